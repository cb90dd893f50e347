// Stochastic depth (IBOT_SPEC §1.9): each sample's residual branch is dropped with probability `rate` and the kept
// ones are scaled by 1/keep, so E[output] = x. Training only; the caller gives each call its own seed.
import * as tf from '@tensorflow/tfjs-core';

/**
 * x [B, ...] → x / keep · floor(keep + U) with one U ~ U[0, 1) per sample; x itself when rate is 0. The seed is
 * passed to tf.randomUniform (a string seed is never mistaken for "unseeded", which a numeric 0 is).
 */
export function dropPath<T extends tf.Tensor>(x: T, rate: number, seed: number | string): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropPath: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  const keep = 1 - rate;
  return tf.tidy(() => {
    const perSample = [x.shape[0]!, ...x.shape.slice(1).map(() => 1)];
    const u = tf.randomUniform(perSample, 0, 1, 'float32', seed);
    const scale = tf.div(tf.floor(tf.add(u, tf.scalar(keep))), tf.scalar(keep));  // 0 or 1/keep per sample
    return tf.mul(x, scale) as T;
  });
}
