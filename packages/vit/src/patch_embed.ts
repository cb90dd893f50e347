// Patch embedding as an exact reshape/transpose plus one linear (IBOT_SPEC §1.2): the same numbers as PyTorch's Conv2d
// with kernel = stride = p, with no im2col and no conv kernel, tokens in row-major order r·(W/p) + c.
import {linear} from '@ibotjs/ops';
import * as tf from '@tensorflow/tfjs-core';

/**
 * images [B, H, W, C] → patches [B, h0·w0, p·p·C], each patch flattened channels-last (py, px, c). Rows and columns
 * beyond h0·p, w0·p (h0 = H div p) are dropped, as the strided conv does.
 */
export function extractPatches(images: tf.Tensor4D, p: number): tf.Tensor3D {
  const [B, H, W, C] = images.shape;
  const h0 = Math.floor(H / p), w0 = Math.floor(W / p);
  if (h0 < 1 || w0 < 1) throw new Error(`patch embedding: image [${images.shape}] is smaller than the patch size ${p}`);
  return tf.tidy(() => {
    const x = H === h0 * p && W === w0 * p ? images : tf.slice(images, [0, 0, 0, 0], [B, h0 * p, w0 * p, C]);
    const grid = tf.transpose(tf.reshape(x, [B, h0, p, w0, p, C]), [0, 1, 3, 2, 4, 5]);  // [B, h0, w0, p, p, C]
    return tf.reshape(grid, [B, h0 * w0, p * p * C]) as tf.Tensor3D;
  });
}

/** images [B, H, W, C], weight [p·p·C, D], bias [D] → patch embeddings [B, h0·w0, D]. */
export function patchEmbed(images: tf.Tensor4D, weight: tf.Tensor, bias: tf.Tensor, p: number): tf.Tensor3D {
  return tf.tidy(() => linear(extractPatches(images, p), weight, bias) as tf.Tensor3D);
}
