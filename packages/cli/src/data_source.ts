// --data: where the training images come from and which images the k-NN evaluation holds out. A data set with its own
// test split (Fashion-MNIST IDX files) trains on 'train' and evaluates on 'test'; any other is split by --held-out.
import {existsSync, statSync} from 'node:fs';
import {resolve} from 'node:path';

import {
  DEBIAN_FASHION_MNIST_DIR, embeddedFashionMnist, hasFashionMnist, loadFashionMnist, openImageFolder, splitDataset,
  SyntheticDataset, type Dataset,
} from '@ibotjs/data';
import type {DataConfig} from '@ibotjs/ibot';

/** What --data names, before anything is read. */
export type DataSource =
  | {kind: 'embedded'}
  | {kind: 'fmnist'; dir: string}
  | {kind: 'synthetic'; size: number}
  | {kind: 'image-folder'; root: string};

/** Parses --data: embedded (default), fmnist, synthetic[:N], or a folder (Fashion-MNIST IDX files or an ImageFolder). */
export function parseDataSource(value: string | undefined): DataSource {
  if (value === undefined || value === 'embedded') return {kind: 'embedded'};
  if (value === 'fmnist') return {kind: 'fmnist', dir: DEBIAN_FASHION_MNIST_DIR};
  const syn = /^synthetic(?::(\d+))?$/.exec(value);
  if (syn) {
    const size = syn[1] === undefined ? 1000 : Number(syn[1]);
    if (!(size >= 2)) throw new Error(`--data ${value}: a synthetic set needs at least 2 images`);
    return {kind: 'synthetic', size};
  }
  const dir = resolve(value);
  if (!existsSync(dir)) throw new Error(`--data ${value}: no such folder (${dir})`);
  if (!statSync(dir).isDirectory()) throw new Error(`--data ${value}: not a folder (${dir})`);
  if (hasFashionMnist('train', dir)) return {kind: 'fmnist', dir};
  return {kind: 'image-folder', root: dir};
}

/** The --data value that opens a DataConfig's images (a config file's `data` field). */
export function dataSourceOf(data: DataConfig, where: string): string {
  switch (data?.kind) {
    case 'fashion-mnist-embedded':
      return 'embedded';
    case 'fashion-mnist':
      return data.dir ?? 'fmnist';
    case 'image-folder':
      return data.root;
    case 'synthetic':
      return `synthetic:${data.size}`;
    default:
      throw new Error(`${where}: data must be {kind: 'fashion-mnist-embedded' | 'fashion-mnist' | 'image-folder' | 'synthetic', ...}, got ${JSON.stringify(data)}`);
  }
}

/** The trainer's DataConfig for a source (recorded in the run's config and checkpoints). */
export function dataConfigOf(source: DataSource, inChans: number): DataConfig {
  switch (source.kind) {
    case 'embedded':
      return {kind: 'fashion-mnist-embedded'};
    case 'fmnist':
      return {kind: 'fashion-mnist', dir: source.dir, split: 'train'};
    case 'synthetic':
      return {kind: 'synthetic', size: source.size, height: 28, width: 28, channels: inChans === 3 ? 3 : 1, numClasses: 10, seed: 0};
    case 'image-folder':
      return {kind: 'image-folder', root: source.root, channels: inChans === 3 ? 3 : 1};
  }
}

export interface OpenedData {
  /** What the model trains on; also the k-NN's labelled reference set. */
  train: Dataset;
  /** The k-NN's test set, never trained on. */
  heldOut: Dataset;
  /** One line for the user: what was opened and how it was split. */
  description: string;
}

/** Opens the source and splits off the held-out images (heldOut: a count or a fraction; seed: the split's). */
export async function openData(source: DataSource, options: {inChans: number; heldOut: number; seed: number}): Promise<OpenedData> {
  const split = (ds: Dataset, what: string): OpenedData => {
    const {train, heldOut} = splitDataset(ds, {heldOut: options.heldOut, seed: options.seed});
    return {train, heldOut, description: `${what}: ${train.size} training images, ${heldOut.size} held out for evaluation`};
  };
  switch (source.kind) {
    case 'embedded':
      return split(await embeddedFashionMnist(), 'embedded Fashion-MNIST (10k test split)');
    case 'fmnist': {
      if (!hasFashionMnist('train', source.dir)) {
        throw new Error(`--data fmnist: no Fashion-MNIST files in ${source.dir}. Install them with 'apt-get install dataset-fashion-mnist', ` +
                        `or use --data embedded (the 10k split shipped with ibotjs)`);
      }
      const train = await loadFashionMnist({dir: source.dir, split: 'train'});
      if (!hasFashionMnist('test', source.dir)) return split(train, `Fashion-MNIST train split in ${source.dir}`);
      const test = await loadFashionMnist({dir: source.dir, split: 'test'});
      return {train, heldOut: test, description: `Fashion-MNIST in ${source.dir}: ${train.size} training images, evaluated on the ${test.size} test images`};
    }
    case 'synthetic': {
      const ds = new SyntheticDataset({size: source.size, height: 28, width: 28, channels: options.inChans === 3 ? 3 : 1, numClasses: 10, seed: 0});
      return split(ds, `synthetic images (${source.size})`);
    }
    case 'image-folder': {
      const ds = await openImageFolder(source.root, {channels: options.inChans === 3 ? 3 : 1});
      return split(ds, `ImageFolder ${source.root} (${ds.numClasses} classes)`);
    }
  }
}
