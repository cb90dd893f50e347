// The dataset interface every loader and evaluator uses, its serialisable description (how a worker re-opens it),
// an in-memory dataset and subsets with a seeded split.
import {Rng, RngStream} from './rng.js';

/** One labelled image, HWC. Uint8Array holds 0..255; Float32Array holds values in [0, 1]. */
export interface Sample {
  image: Uint8Array | Float32Array; // [H, W, C]
  height: number;
  width: number;
  channels: number;
  label: number;
}

/** A file that could not be used (not an image, corrupt, unreadable), with the reason. */
export interface SkipRecord {
  path: string;
  reason: string;
}

/**
 * How to open a dataset again in another thread: plain JSON data (no buffers), so a worker can load the dataset itself
 * instead of receiving images per item.
 */
export type DatasetDescription =
  | {kind: 'idx'; images: string; labels: string; classNames?: string[]}
  | {kind: 'image-folder'; root: string; channels: 1 | 3; classNames: string[]; entries: Array<[path: string, label: number]>}
  | {kind: 'synthetic'; options: SyntheticOptions}
  | {kind: 'subset'; base: DatasetDescription; indices: number[]}
  /** A user dataset: `(await import(module))[exportName ?? 'default'](options)` must return a Dataset (or a promise of one). */
  | {kind: 'module'; module: string; exportName?: string; options?: unknown};

export interface SyntheticOptions {
  /** Number of items. */
  size: number;
  numClasses?: number; // default 10
  height?: number; // default 28
  width?: number; // default 28
  channels?: 1 | 3; // default 1
  seed?: number; // default 0
  /** Standard deviation of the per-pixel noise (image values in [0, 1]); default 0.1. */
  noise?: number;
}

export interface Dataset {
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Channels of every image (1 grey, 3 RGB). */
  readonly channels: number;
  /** [H, W, C] when every image has the same shape, null when sizes vary (ImageFolder). */
  readonly imageShape: readonly [number, number, number] | null;
  /** How a worker thread re-opens this dataset; null when it can only be used in this thread. */
  readonly description: DatasetDescription | null;
  /** The item's label without decoding its image. */
  labelOf(index: number): number;
  get(index: number): Promise<Sample>;
  /** Files skipped since the last call (ImageFolder: images that failed to decode and were replaced). */
  takeSkipped?(): SkipRecord[];
}

export function checkIndex(dataset: {size: number}, index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= dataset.size) {
    throw new RangeError(`${what}: index ${index} out of range [0, ${dataset.size})`);
  }
}

/** Images held in one buffer [N, H, W, C] of bytes, labels in another: Fashion-MNIST and other IDX data. */
export class InMemoryDataset implements Dataset {
  readonly size: number;
  readonly numClasses: number;
  readonly imageShape: readonly [number, number, number];

  constructor(
    readonly images: Uint8Array, // [N, H, W, C]
    readonly labels: Uint8Array | Int32Array, // [N]
    shape: readonly [height: number, width: number, channels: number],
    readonly classNames: readonly string[],
    readonly description: DatasetDescription | null = null,
  ) {
    const [h, w, c] = shape;
    this.size = labels.length;
    if (images.length !== this.size * h * w * c) {
      throw new Error(`InMemoryDataset: images hold ${images.length} bytes, ${this.size} labels × [${h}, ${w}, ${c}] need ${this.size * h * w * c}`);
    }
    this.imageShape = [h, w, c];
    this.numClasses = classNames.length;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (!(l >= 0 && l < this.numClasses)) {
        throw new Error(`InMemoryDataset: label ${l} of item ${i} is outside [0, ${this.numClasses}) (${this.numClasses} class names)`);
      }
    }
  }

  get channels(): number {
    return this.imageShape[2];
  }

  labelOf(index: number): number {
    checkIndex(this, index, 'InMemoryDataset.labelOf');
    return this.labels[index]!;
  }

  getSync(index: number): Sample {
    checkIndex(this, index, 'InMemoryDataset.get');
    const [height, width, channels] = this.imageShape;
    const n = height * width * channels;
    return {image: this.images.subarray(index * n, (index + 1) * n), height, width, channels, label: this.labels[index]!};
  }

  async get(index: number): Promise<Sample> {
    return this.getSync(index);
  }
}

/** The items of `base` at `indices`, in that order. */
export class SubsetDataset implements Dataset {
  readonly description: DatasetDescription | null;

  constructor(
    readonly base: Dataset,
    readonly indices: readonly number[],
  ) {
    for (const i of indices) checkIndex(base, i, 'SubsetDataset');
    this.description = base.description === null ? null : {kind: 'subset', base: base.description, indices: [...indices]};
  }

  get size(): number {
    return this.indices.length;
  }
  get numClasses(): number {
    return this.base.numClasses;
  }
  get classNames(): readonly string[] {
    return this.base.classNames;
  }
  get channels(): number {
    return this.base.channels;
  }
  get imageShape(): readonly [number, number, number] | null {
    return this.base.imageShape;
  }

  labelOf(index: number): number {
    checkIndex(this, index, 'SubsetDataset.labelOf');
    return this.base.labelOf(this.indices[index]!);
  }

  get(index: number): Promise<Sample> {
    checkIndex(this, index, 'SubsetDataset.get');
    return this.base.get(this.indices[index]!);
  }

  takeSkipped(): SkipRecord[] {
    return this.base.takeSkipped?.() ?? [];
  }
}

/**
 * Splits a dataset into a training part and a held-out part (e.g. 8000 / 2000 of the embedded Fashion-MNIST for
 * pre-training vs k-NN evaluation) by a permutation seeded with `seed`; both parts list their indices in ascending order.
 * `heldOut` is a count (≥ 1) or a fraction in (0, 1).
 */
export function splitDataset(dataset: Dataset, options: {heldOut: number; seed: number}): {train: SubsetDataset; heldOut: SubsetDataset} {
  const n = dataset.size;
  const {heldOut, seed} = options;
  const count = heldOut > 0 && heldOut < 1 ? Math.round(heldOut * n) : heldOut;
  if (!Number.isInteger(count) || count < 1 || count >= n) {
    throw new Error(`splitDataset: heldOut must be a count in [1, ${n}) or a fraction in (0, 1), got ${heldOut} (dataset of ${n})`);
  }
  const perm = new Rng(seed, 0, 0, RngStream.split).permutation(n);
  const held = Array.from(perm.subarray(0, count)).sort((a, b) => a - b);
  const train = Array.from(perm.subarray(count)).sort((a, b) => a - b);
  return {train: new SubsetDataset(dataset, train), heldOut: new SubsetDataset(dataset, held)};
}
