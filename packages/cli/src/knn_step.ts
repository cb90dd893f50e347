// The k-NN evaluation that ends `ibot train` (IBOT_SPEC §6.2): teacher backbone, final-normed features of the training
// images (the labelled reference set) and of the held-out images, cosine top-k voting.
import type {Dataset} from '@ibotjs/data';
import {type AvgPool, extractFeatures, knnClassifyMany, type KnnResult} from '@ibotjs/eval';
import type {ViT} from '@ibotjs/vit';

export interface KnnStepOptions {
  /** One result per k, from one similarity pass. */
  ks: readonly number[];
  T: number;
  avgpool: AvgPool;
  batchSize: number;
  mean: readonly number[];
  std: readonly number[];
  /** Side of the images (default: the backbone's imgSize; required for pixels). */
  imageSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface KnnSummary extends Omit<KnnResult, 'predictions'> {
  avgpool: AvgPool;
  trainImages: number;
  testImages: number;
  seconds: number;
}

/** The side the evaluation view is resized to before its centre crop of `size`: fixed-size images the size of the model
 * are used as they are; others get the protocol's resize (256/224) + crop (IBOT_SPEC §6.2). */
export function evalResize(ds: Dataset, size: number): number {
  return ds.imageShape && ds.imageShape[0] === size && ds.imageShape[1] === size ? size : Math.round((size * 256) / 224);
}

/** backbone null: the raw-pixel baseline (features = the normalised images at `imageSize`). */
export async function runKnn(backbone: ViT | null, train: Dataset, heldOut: Dataset, o: KnnStepOptions): Promise<KnnSummary[]> {
  const start = performance.now();
  const size = o.imageSize ?? backbone?.config.imgSize;
  if (size === undefined) throw new Error('runKnn: the pixel baseline needs imageSize');
  const resize = (ds: Dataset) => evalResize(ds, size);
  const total = train.size + heldOut.size;
  const common = {batchSize: o.batchSize, avgpool: o.avgpool, mean: o.mean, std: o.std, imageSize: size};
  const tr = await extractFeatures(backbone, train, {...common, resize: resize(train), onProgress: (d) => o.onProgress?.(d, total)});
  try {
    const te = await extractFeatures(backbone, heldOut, {...common, resize: resize(heldOut), onProgress: (d) => o.onProgress?.(train.size + d, total)});
    try {
      const results = knnClassifyMany(tr.features, tr.labels, te.features, te.labels, o.ks,
                                      {T: o.T, numClasses: Math.max(train.numClasses, heldOut.numClasses)});
      const seconds = (performance.now() - start) / 1000;
      return results.map(({predictions: _, ...r}) => ({...r, avgpool: o.avgpool, trainImages: train.size, testImages: heldOut.size, seconds}));
    } finally {
      te.features.dispose();
    }
  } finally {
    tr.features.dispose();
  }
}

/** `what`: whose features, e.g. 'teacher' (then the pooling is named), 'random ViT', 'raw pixels' (used as given). */
export function formatKnn(r: KnnSummary, what = 'teacher'): string {
  const feat = what === 'raw pixels' ? what : `${what} ${['CLS', 'mean patch token', 'CLS + mean patch token'][r.avgpool]}`;
  return `k-NN accuracy (${feat}, k = ${r.k}, T = ${r.T}; ${r.trainImages} reference / ${r.testImages} held-out images): ` +
         `top-1 ${r.top1.toFixed(2)} %, top-5 ${r.top5.toFixed(2)} %`;
}
