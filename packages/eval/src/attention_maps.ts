// Attention maps of the last block's [CLS] query (IBOT_SPEC §6.7, DINO's visualize_attention.py): one map per head over
// the patch grid, the thresholded mask that keeps the top `threshold` of each head's attention mass, and the
// nearest-neighbour upsampling by the patch size that puts both back on the image's pixels.
import type {ViT} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';

/** DINO's default for --threshold: keep the patches holding the top 60 % of the mass. */
export const ATTENTION_DEFAULT_THRESHOLD = 0.6;

/**
 * The [CLS] row of each head restricted to the patch columns, on the patch grid: probs [B, heads, 1+N, 1+N] with
 * N = gh·gw → [B, heads, gh, gw] (row-major grid, as the patch embedding flattens it).
 */
export function clsAttention(probs: tf.Tensor4D, gh: number, gw: number): tf.Tensor4D {
  const [b, heads, t, t2] = probs.shape;
  if (t !== t2 || t !== 1 + gh * gw) {
    throw new Error(`clsAttention: probs must be [B, heads, 1+${gh}·${gw}, 1+${gh}·${gw}], got [${probs.shape}]`);
  }
  return tf.tidy(() => tf.reshape(tf.slice(probs, [0, 0, 0, 1], [b, heads, 1, gh * gw]), [b, heads, gh, gw]) as tf.Tensor4D);
}

/**
 * The last block's [CLS] attention of each head for images [B, H, W, C] (normalised, sides multiples of the patch
 * size; other sizes than the ViT's imgSize work through its position-embedding interpolation) → [B, heads, H/p, W/p].
 */
export function attentionMaps(vit: ViT, images: tf.Tensor4D): tf.Tensor4D {
  const p = vit.config.patchSize;
  const [, h, w] = images.shape;
  if (h % p !== 0 || w % p !== 0) {
    throw new Error(`attentionMaps: image sides must be multiples of the patch size ${p}, got images [${images.shape}]`);
  }
  return tf.tidy(() => clsAttention(vit.getLastSelfAttention(images), h / p, w / p));
}

/**
 * One head's mask: 1 for the patches kept, 0 for the others, in the input's order. Exactly DINO's rule: sort the values
 * ascending, divide by their sum, take the cumulative sum, and keep a patch when its cumulative value is strictly
 * greater than 1 − threshold. Read from the top: a patch is kept when the mass of the patches ranked above it is less
 * than `threshold`, so the patch that crosses the threshold is kept and the kept mass is at least `threshold`.
 * Ties (which torch.sort orders arbitrarily) are ordered by index, as a stable ascending sort does: among equal values
 * at the boundary, the lower indices are dropped first. Sums are in float64 (DINO's in float32: they can differ only
 * for a patch whose cumulative value is within float32 rounding of 1 − threshold).
 */
export function thresholdHead(values: ArrayLike<number>, threshold = ATTENTION_DEFAULT_THRESHOLD): Uint8Array {
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`thresholdMask: threshold must be in [0, 1], got ${threshold}`);
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`thresholdMask: attention values must be finite and >= 0, got ${v} at ${i}`);
    sum += v;
  }
  if (!(sum > 0)) throw new Error(`thresholdMask: the ${n} attention values sum to ${sum}; nothing to normalise`);
  const order = Array.from({length: n}, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b); // ascending, stable
  const mask = new Uint8Array(n);
  const cut = 1 - threshold;
  let cum = 0;
  for (const i of order) {
    cum += values[i]! / sum;
    if (cum > cut) mask[i] = 1;
  }
  return mask;
}

/** thresholdHead for every head of maps [B, heads, gh, gw] → masks of 0/1, [B, heads, gh, gw] row-major. */
export function thresholdMask(attn: tf.Tensor4D, threshold = ATTENTION_DEFAULT_THRESHOLD): Uint8Array {
  const [b, heads, gh, gw] = attn.shape;
  const n = gh * gw;
  const data = attn.dataSync();
  const out = new Uint8Array(b * heads * n);
  for (let r = 0; r < b * heads; r++) out.set(thresholdHead(data.subarray(r * n, (r + 1) * n), threshold), r * n);
  return out;
}

/** Nearest-neighbour upsampling of one map [gh, gw] by `factor` (the patch size) → [gh·factor, gw·factor]. */
export function upsampleNearest<T extends Float32Array | Uint8Array>(map: T, gh: number, gw: number, factor: number): T {
  if (map.length !== gh * gw) throw new Error(`upsampleNearest: map holds ${map.length} values, [${gh}, ${gw}] needs ${gh * gw}`);
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upsampleNearest: factor must be a positive integer, got ${factor}`);
  const w = gw * factor;
  const out = new (map.constructor as new (n: number) => T)(gh * factor * w);
  for (let y = 0; y < gh * factor; y++) {
    const row = Math.floor(y / factor) * gw;
    for (let x = 0; x < w; x++) out[y * w + x] = map[row + Math.floor(x / factor)]!;
  }
  return out;
}
