// Feature extraction for the frozen-feature protocols (IBOT_SPEC §6.1–§6.3): a backbone in eval mode over the centre
// view of every dataset item, in dataset order, pooled as `avgpool` and `nLastBlocks` say, L2-normalised for k-NN.
import {computeChannelStats, createLoader, IMAGENET_MEAN, IMAGENET_STD, type Dataset} from '@ibotjs/data';
import type {ViT, ViTVariant} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';

import {l2NormalizeRows} from './knn.js';

/**
 * How tokens become one feature (eval_knn.py's --avgpool): 0 the final-normed CLS token [D]; 1 the mean of the
 * final-normed patch tokens [D] (our ViT has no fc_norm: the final norm is the one applied); 2 both concatenated [2D].
 */
export type AvgPool = 0 | 1 | 2;

/**
 * The linear protocol's pooling per variant (run.sh, IBOT_SPEC §6.1 table): tiny/small → the CLS of the last 4 blocks;
 * base/large → CLS + mean patch token of the last block. nLastBlocks is capped at `depth` (for shallow test models).
 */
export function linearPooling(arch: ViTVariant, depth: number): {avgpool: AvgPool; nLastBlocks: number} {
  return arch === 'tiny' || arch === 'small' ? {avgpool: 0, nLastBlocks: Math.min(4, depth)} : {avgpool: 2, nLastBlocks: 1};
}

export interface ExtractOptions {
  /** Images per forward pass (default 64). */
  batchSize?: number;
  avgpool?: AvgPool;
  /**
   * The CLS tokens of the last n blocks (each through the final norm) are concatenated, in block order (eval_linear.py's
   * --n_last_blocks; default 1). With avgpool 2 the mean patch token of the last block follows them; avgpool 1 uses the
   * last block only. Ignored for raw pixels.
   */
  nLastBlocks?: number;
  /** Side of the centre crop fed to the ViT (default: the ViT's imgSize). */
  imageSize?: number;
  /** Side the shorter image side is resized to before the centre crop (default imageSize: no crop for square images). */
  resize?: number;
  /**
   * Normalisation per channel, the one the backbone was trained with. Default: ImageNet's for 3 channels, otherwise
   * the dataset's own statistics over its first 10,000 items (computeChannelStats).
   */
  mean?: readonly number[];
  std?: readonly number[];
  /** L2-normalise each feature (default true, as the k-NN protocol does; the linear protocol does not). */
  normalize?: boolean;
  /** Loader worker threads (default 0: decode in this thread); > 0 needs a dataset with a description. */
  workers?: number;
  /** Called after each batch with the number of items done so far. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface Features {
  features: tf.Tensor2D; // [N, D'] on the active backend; the caller disposes it
  labels: Int32Array; // [N]
}

/** The normalisation extractFeatures uses by default for `dataset`. */
export async function defaultNormalization(dataset: Dataset): Promise<{mean: number[]; std: number[]}> {
  if (dataset.channels === 3) return {mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD]};
  return computeChannelStats(dataset, {maxItems: 10000});
}

/**
 * Pools one batch of images [B, H, W, C] into features [B, D'] (eval mode: no drop path, no mask); see AvgPool and
 * ExtractOptions.nLastBlocks. Without a ViT (the raw-pixel baseline) the feature is the normalised image itself,
 * flattened: [B, H·W·C].
 */
export function poolFeatures(vit: ViT | null, images: tf.Tensor4D, avgpool: AvgPool, nLastBlocks = 1): tf.Tensor2D {
  return tf.tidy(() => {
    if (vit === null) return tf.reshape(images, [images.shape[0], -1]) as tf.Tensor2D;
    if (avgpool === 0 && nLastBlocks === 1) return vit.forward(images, {returnAllTokens: false, training: false}) as tf.Tensor2D;
    const layers = vit.getIntermediateLayers(images, nLastBlocks); // n × [B, 1+N, D], final-normed, in block order
    const [b, n1, d] = layers[0]!.shape;
    const patchMean = tf.mean(tf.slice(layers.at(-1)!, [0, 1, 0], [b, n1 - 1, d]), 1) as tf.Tensor2D; // [B, D]
    if (avgpool === 1) return patchMean;
    const cls = layers.map((t) => tf.reshape(tf.slice(t, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D); // n × [B, D]
    return tf.concat(avgpool === 2 ? [...cls, patchMean] : cls, 1); // [B, n·D (+ D)]
  });
}

/** Features and labels of every item of `dataset`, in dataset order; `vit` null: the raw (normalised) pixels. */
export async function extractFeatures(vit: ViT | null, dataset: Dataset, options: ExtractOptions = {}): Promise<Features> {
  const batchSize = options.batchSize ?? 64;
  const avgpool = options.avgpool ?? 0;
  if (avgpool !== 0 && avgpool !== 1 && avgpool !== 2) throw new Error(`extractFeatures: avgpool must be 0, 1 or 2, got ${String(avgpool)}`);
  const nLastBlocks = options.nLastBlocks ?? 1;
  if (vit !== null && !(Number.isInteger(nLastBlocks) && nLastBlocks >= 1 && nLastBlocks <= vit.config.depth)) {
    throw new Error(`extractFeatures: nLastBlocks must be an integer in [1, ${vit.config.depth}] (the ViT's depth), got ${nLastBlocks}`);
  }
  if (dataset.size < 1) throw new Error('extractFeatures: the dataset is empty');
  if (vit !== null && dataset.channels !== vit.config.inChans) {
    throw new Error(`extractFeatures: the dataset has ${dataset.channels}-channel images, the ViT takes ${vit.config.inChans}`);
  }
  const size = options.imageSize ?? vit?.config.imgSize ?? dataset.imageShape?.[0];
  if (size === undefined) throw new Error('extractFeatures: give imageSize for raw pixels of a dataset with images of several sizes');
  let {mean, std} = options;
  if (mean === undefined || std === undefined) {
    const d = await defaultNormalization(dataset);
    mean ??= d.mean;
    std ??= d.std;
  }
  const loader = await createLoader({
    dataset, batchSize, crops: [{kind: 'center', size, resize: options.resize ?? size}], mean, std, seed: 0, shuffle: false, workers: options.workers ?? 0,
  });
  const parts: tf.Tensor2D[] = [];
  const labels = new Int32Array(dataset.size);
  let done = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      options.signal?.throwIfAborted();
      const feats = tf.tidy(() => {
        const images = tf.tensor4d(batch.crops[0]!, batch.shapes[0]!);
        const f = poolFeatures(vit, images, avgpool, nLastBlocks);
        return (options.normalize ?? true) ? l2NormalizeRows(f) : f;
      });
      parts.push(feats);
      labels.set(batch.labels, done);
      done += batch.labels.length;
      options.onProgress?.(done, dataset.size);
    }
    const features = parts.length === 1 ? parts[0]!.clone() : tf.concat(parts, 0);
    return {features, labels};
  } finally {
    for (const p of parts) p.dispose();
    await loader.close();
  }
}
