// The masked patch positions of a batch of global crops as host index lists: which rows of the flattened [G·B·N]
// patch tokens are masked, the image each belongs to, and each image's mask count. The head projects only these rows
// and the loss weights them per image (IBOT_SPEC §4.2), so both must agree on this one order: row-major over
// (crop-major image, patch).
import * as tf from '@tensorflow/tfjs-core';

export class MaskedRows {
  /** I = G·B images (crop-major) and N patches per image. */
  readonly images: number;
  readonly patches: number;
  /** [R] flat indices i·N + n of the masked patches, ascending. */
  readonly rows: Int32Array;
  /** [R] the image i of each masked row. */
  readonly image: Int32Array;
  /** [I] masked patches per image. */
  readonly counts: Int32Array;

  private constructor(images: number, patches: number, mask: ArrayLike<number | boolean>) {
    this.images = images;
    this.patches = patches;
    this.counts = new Int32Array(images);
    let r = 0;
    for (let j = 0; j < mask.length; j++) if (mask[j]) r++;
    this.rows = new Int32Array(r);
    this.image = new Int32Array(r);
    r = 0;
    for (let j = 0; j < mask.length; j++) {
      if (!mask[j]) continue;
      const i = Math.floor(j / patches);
      this.rows[r] = j;
      this.image[r++] = i;
      this.counts[i]!++;
    }
  }

  /**
   * From masks [I, N] or [I, h, w] (bool or numeric, non-zero = masked): a tensor (read back to the host: the row
   * count decides tensor shapes, so it has to be known there) or host values with their shape.
   */
  static fromMasks(masks: tf.Tensor | {data: ArrayLike<number | boolean>; shape: readonly number[]}): MaskedRows {
    const shape = masks.shape;
    if (shape.length !== 2 && shape.length !== 3) {
      throw new Error(`MaskedRows: masks must be [images, N] or [images, h, w], got [${shape}]`);
    }
    const images = shape[0]!, patches = shape.slice(1).reduce((a, b) => a * b, 1);
    const data = masks instanceof tf.Tensor ? masks.dataSync() : masks.data;
    if (data.length !== images * patches) {
      throw new Error(`MaskedRows: ${data.length} mask values for shape [${shape}]`);
    }
    return new MaskedRows(images, patches, data as ArrayLike<number>);
  }

  get count(): number {
    return this.rows.length;
  }

  /** [R] int32: the head's `patchRows`. */
  rowIndices(): tf.Tensor1D {
    return tf.tensor1d(this.rows, 'int32');
  }

  /** [I, N] bool. */
  maskTensor(): tf.Tensor2D {
    const m = new Uint8Array(this.images * this.patches);
    for (const j of this.rows) m[j] = 1;
    return tf.tensor2d(m, [this.images, this.patches], 'bool');
  }
}
