// The four fused ops the ViT uses, with @ibotjs/ops' signatures, built from stock tfjs ops until @ibotjs/ops exports
// them; then this file becomes one re-export line.
import * as tf from '@tensorflow/tfjs-core';

export interface FusedAttentionOptions {
  scale?: number;
  returnProbs?: boolean;
}

export type FusedAttentionResult = {
  out: tf.Tensor4D;  // [B, H, N, d]
  probs?: tf.Tensor4D;  // [B, H, N, N]
};

/** softmax(q kᵀ · scale) v for q, k, v [B, H, N, d]. */
export function fusedAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: FusedAttentionOptions = {}):
    FusedAttentionResult {
  const scale = options.scale ?? q.shape[3]! ** -0.5;
  return tf.tidy(() => {
    const probs = tf.softmax(tf.matMul(tf.mul(q, tf.scalar(scale)), k, false, true)) as tf.Tensor4D;  // [B, H, N, N]
    const out = tf.matMul(probs, v) as tf.Tensor4D;
    return options.returnProbs ? {out, probs} : {out};  // probs are for attention maps only
  });
}

/** LayerNorm over the last axis, biased variance. */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-6): T {
  return tf.tidy(() => {
    const {mean, variance} = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, tf.scalar(eps)))), gamma), beta) as T;
  });
}

export interface LinearOptions {
  activation?: 'none' | 'gelu';
}

/** act(x w + b) for x [..., K], w [K, N], b [N] or null; exact-erf GELU. */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, options: LinearOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const [k, n] = w.shape as [number, number];
    const lead = x.shape.slice(0, -1);
    let z = tf.matMul(tf.reshape(x, [-1, k]), w as tf.Tensor2D);  // [M, N]: leading dims folded (tfjs batch-grad trap)
    if (b) z = tf.add(z, b);
    if (options.activation === 'gelu') z = tf.mul(tf.mul(z, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.erf(tf.mul(z, tf.scalar(Math.SQRT1_2)))));
    return tf.reshape(z, [...lead, n]);
  });
}

/** tokens [B, N, D], mask [B, N] bool, maskToken [D] or [1, D] → maskToken where mask, else tokens. */
export function maskApply(tokens: tf.Tensor, mask: tf.Tensor, maskToken: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, n, d] = tokens.shape as [number, number, number];
    return tf.where(tf.reshape(mask, [b, n, 1]), tf.reshape(maskToken, [d]) as tf.Tensor, tokens) as tf.Tensor3D;
  });
}
