// Position-embedding interpolation for crops of another size (IBOT_SPEC §1.5): PyTorch's bicubic resize
// (A = −0.75, align_corners false, edge clamping, no antialiasing) given the scale factor (n + 0.1)/√N, as fixed 1-D
// interpolation matrices R: P′ = R_h · P · R_wᵀ per channel, two matmuls that tfjs differentiates.
import * as tf from '@tensorflow/tfjs-core';

const A = -0.75;

/** Cubic-convolution kernel for |x| <= 1. */
function cubicNear(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

/** Cubic-convolution kernel for 1 < |x| < 2. */
function cubicFar(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/** The four tap weights for taps i−1, i, i+1, i+2 at fraction t = src − i. */
export function cubicTapWeights(t: number): [number, number, number, number] {
  return [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)];
}

/** How the output is sized: by a scale factor (what the official code passes) or by an explicit size. */
export type ResizeBy = {scaleFactor: number} | {size: number};

/** A 1-D resize as a dense [outSize, inSize] matrix, row-major float64. */
export interface ResizeMatrix {
  inSize: number;
  outSize: number;
  values: Float64Array;
}

/**
 * PyTorch's 1-D bicubic resize (align_corners false) as a matrix. With a scale factor f the output has floor(in·f)
 * entries and the source coordinate of output d is (d + 0.5)·(1/f) − 0.5: the GIVEN factor, not in/out. With a size,
 * the coordinate scale is in/out. Taps are clamped to [0, in − 1].
 */
export function bicubicResizeMatrix(inSize: number, by: ResizeBy): ResizeMatrix {
  if (!Number.isInteger(inSize) || inSize < 1) throw new Error(`bicubicResizeMatrix: bad input size ${inSize}`);
  let outSize: number, scale: number;
  if ('scaleFactor' in by) {
    if (!(by.scaleFactor > 0) || !Number.isFinite(by.scaleFactor)) {
      throw new Error(`bicubicResizeMatrix: scale factor must be positive and finite, got ${by.scaleFactor}`);
    }
    outSize = Math.floor(inSize * by.scaleFactor);
    scale = 1 / by.scaleFactor;
  } else {
    outSize = by.size;
    scale = inSize / by.size;
  }
  if (!Number.isInteger(outSize) || outSize < 1) throw new Error(`bicubicResizeMatrix: bad output size ${outSize}`);
  const values = new Float64Array(outSize * inSize);
  for (let d = 0; d < outSize; d++) {
    const src = scale * (d + 0.5) - 0.5;
    // PyTorch guards the index and the fraction; with these scales the guards never bind, they are kept for fidelity.
    const i = Math.min(Math.floor(src), inSize - 1);
    const t = Math.min(Math.max(src - i, 0), 1);
    const w = cubicTapWeights(t);
    for (let k = 0; k < 4; k++) {
      const tap = Math.min(Math.max(i - 1 + k, 0), inSize - 1);
      values[d * inSize + tap] += w[k]!;
    }
  }
  return {inSize, outSize, values};
}

// Host copies per (input size, factor): the matrices are tiny and a training run uses two or three crop sizes.
const cache = new Map<string, {outSize: number; values: Float32Array}>();

function cachedMatrix(inSize: number, scaleFactor: number): {outSize: number; values: Float32Array} {
  const key = `${inSize}:${scaleFactor}`;
  let m = cache.get(key);
  if (!m) {
    const r = bicubicResizeMatrix(inSize, {scaleFactor});
    m = {outSize: r.outSize, values: Float32Array.from(r.values)};
    cache.set(key, m);
  }
  return m;
}

/**
 * The position embedding for an image of imageH × imageW pixels giving an h0 × w0 patch grid, from the stored
 * pos_embed [1, 1+N, D] (its patch part a √N × √N grid). Returned unchanged when h0·w0 = N and the image is square,
 * as in the official code; otherwise the CLS slot is kept and the grid resized by the factors (h0 + 0.1)/√N (rows)
 * and (w0 + 0.1)/√N (columns). → [1, 1 + h0·w0, D]
 */
export function interpolatePosEmbed(posEmbed: tf.Tensor, h0: number, w0: number, imageH: number, imageW: number):
    tf.Tensor3D {
  if (posEmbed.rank !== 3 || posEmbed.shape[0] !== 1) {
    throw new Error(`interpolatePosEmbed: pos_embed must be [1, 1+N, D], got [${posEmbed.shape}]`);
  }
  const [, t, D] = posEmbed.shape as [number, number, number];
  const N = t - 1;
  if (h0 * w0 === N && imageH === imageW) return posEmbed as tf.Tensor3D;
  const g = Math.round(Math.sqrt(N));
  if (g * g !== N) throw new Error(`interpolatePosEmbed: ${N} patch positions are not a square grid`);
  const rh = cachedMatrix(g, (h0 + 0.1) / g), rw = cachedMatrix(g, (w0 + 0.1) / g);
  if (rh.outSize !== h0 || rw.outSize !== w0) {
    throw new Error(`interpolatePosEmbed: resizing the ${g}×${g} grid by (${h0}+0.1)/${g}, (${w0}+0.1)/${g} gives ` +
                    `${rh.outSize}×${rw.outSize}, not ${h0}×${w0}`);
  }
  return tf.tidy(() => {
    const cls = tf.slice(posEmbed, [0, 0, 0], [1, 1, D]);                           // [1, 1, D]
    const grid = tf.reshape(tf.slice(posEmbed, [0, 1, 0], [1, N, D]), [g, g * D]);  // [g, g·D] rows of the grid
    const rows = tf.matMul(tf.tensor2d(rh.values, [h0, g]), grid);                  // [h0, g·D]
    const byCol = tf.reshape(tf.transpose(tf.reshape(rows, [h0, g, D]), [1, 0, 2]), [g, h0 * D]);
    const cols = tf.matMul(tf.tensor2d(rw.values, [w0, g]), byCol);                // [w0, h0·D]
    const patch = tf.transpose(tf.reshape(cols, [w0, h0, D]), [1, 0, 2]);           // [h0, w0, D]
    return tf.concat([cls, tf.reshape(patch, [1, h0 * w0, D])], 1) as tf.Tensor3D;  // [1, 1 + h0·w0, D]
  });
}
