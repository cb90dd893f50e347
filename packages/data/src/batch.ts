// Builds one batch: decodes its items, augments every item into every crop and normalises into crop-major NHWC buffers.
// The same function runs in the loader's worker threads and, with workers: 0, in the calling thread.
import type {Dataset, Sample, SkipRecord} from './dataset.js';
import {toFloatImage} from './augment/image.js';
import {augmentImage, normalizeInto, type CropSpec} from './augment/multicrop.js';

/** What every batch of a loader shares: plain data, sent once to each worker. */
export interface AugmentConfig {
  crops: CropSpec[];
  mean: number[];
  std: number[];
  seed: number;
}

export interface BatchJob {
  epoch: number;
  batchIndex: number;
  /** Dataset indices of the batch's items. */
  indices: number[];
}

export interface BatchData {
  indices: Int32Array; // [B]
  labels: Int32Array; // [B]
  /** Per crop k: [B, S_k, S_k, C] normalised float32, item-major within the crop. */
  crops: Float32Array[];
  shapes: Array<[number, number, number, number]>;
  /** Files the dataset skipped (and replaced) while building this batch. */
  skipped: SkipRecord[];
}

/** An error while loading or augmenting one item; `index` is the dataset index. */
export class ItemError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
    this.name = 'ItemError';
  }
}

/** Items decoded at once (ImageFolder decodes on libuv's thread pool). */
const DECODE_CONCURRENCY = 4;

export async function assembleBatch(dataset: Dataset, config: AugmentConfig, job: BatchJob): Promise<BatchData> {
  const {crops, mean, std, seed} = config;
  const {indices, epoch} = job;
  const b = indices.length;
  const c = dataset.channels;
  const where = (index: number) => `item ${index} (batch ${job.batchIndex} of epoch ${epoch})`;

  const samples = new Array<Sample>(b);
  let next = 0;
  const decode = async () => {
    for (let i = next++; i < b; i = next++) {
      const index = indices[i]!;
      try {
        samples[i] = await dataset.get(index);
      } catch (e) {
        throw new ItemError(index, `${where(index)}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({length: Math.min(DECODE_CONCURRENCY, b)}, decode));

  const shapes = crops.map((s) => [b, s.size, s.size, c] as [number, number, number, number]);
  const out = shapes.map(([, h, w]) => new Float32Array(b * h * w * c));
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const index = indices[i]!;
    const sample = samples[i]!;
    try {
      if (sample.channels !== c) throw new Error(`has ${sample.channels} channels, the dataset ${c}`);
      labels[i] = sample.label;
      const views = augmentImage(toFloatImage(sample), crops, seed, epoch, index);
      views.forEach((view, k) => normalizeInto(view, mean, std, out[k]!, i * view.data.length));
    } catch (e) {
      throw new ItemError(index, `${where(index)}: ${(e as Error).message}`);
    }
  }
  return {indices: Int32Array.from(indices), labels, crops: out, shapes, skipped: dataset.takeSkipped?.() ?? []};
}
