// The trainer's data side: the dataset a config names, its normalisation, and the multi-crop loader of @ibotjs/data
// (IBOT_SPEC §5.1: crops 0..G−1 global, then the L local crops, crop-major; drop_last as the official sampler).
import {
  computeChannelStats, createLoader, DEBIAN_FASHION_MNIST_DIR, embeddedFashionMnist, hasFashionMnist, IMAGENET_MEAN,
  IMAGENET_STD, loadFashionMnist, multiCropRecipe, openImageFolder, SyntheticDataset, type Dataset, type Loader,
  type SkipRecord,
} from '@ibotjs/data';

import type {DataConfig, IbotTrainConfig} from './config.js';

/** Opens the dataset of a config; errors name the data source. */
export async function openTrainDataset(data: DataConfig): Promise<Dataset> {
  switch (data.kind) {
    case 'fashion-mnist-embedded':
      return embeddedFashionMnist();
    case 'fashion-mnist': {
      const split = data.split ?? 'train';
      // Without a folder: the Debian package's files when installed, else the embedded test split.
      if (data.dir === undefined && !hasFashionMnist(split, DEBIAN_FASHION_MNIST_DIR)) return embeddedFashionMnist();
      return loadFashionMnist({dir: data.dir, split});
    }
    case 'image-folder':
      return openImageFolder(data.root, {channels: data.channels ?? 3});
    case 'synthetic':
      return new SyntheticDataset({
        size: data.size, height: data.height, width: data.width, channels: data.channels, numClasses: data.numClasses,
        seed: data.seed,
      });
    default:
      throw new Error(`IbotTrainer: unknown data kind ${JSON.stringify((data as {kind: unknown}).kind)}`);
  }
}

/** Mean and std per channel for the config's `normalize` (the dataset's own statistics over up to 10k images). */
export async function normalization(config: IbotTrainConfig, dataset: Dataset): Promise<{mean: number[]; std: number[]}> {
  if (dataset.channels !== config.inChans) {
    throw new Error(`IbotTrainer: the dataset has ${dataset.channels}-channel images, the config inChans = ${config.inChans}`);
  }
  const n = config.normalize;
  if (n === 'imagenet') return {mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD]};
  if (n === 'dataset') {
    const stats = await computeChannelStats(dataset, {maxItems: 10_000});
    // A constant image set would divide by zero.
    return {mean: stats.mean, std: stats.std.map((s) => Math.max(s, 1e-3))};
  }
  return {mean: [...n.mean], std: [...n.std]};
}

/** The multi-crop loader: G global crops of imgSize px, then L local crops of localCropSize px. */
export async function createTrainLoader(config: IbotTrainConfig, dataset: Dataset, norm: {mean: number[]; std: number[]},
                                        onSkip?: (r: SkipRecord) => void): Promise<Loader> {
  const crops = multiCropRecipe({
    global: {count: config.globalCropsNumber, size: config.imgSize, scale: config.globalCropsScale},
    local: config.localCropsNumber > 0 ?
        {count: config.localCropsNumber, size: config.localCropSize, scale: config.localCropsScale} : undefined,
  });
  // Worker threads re-open the dataset from its description; one that has none is loaded in this thread.
  const workers = dataset.description === null ? 0 : config.numWorkers;
  return createLoader({
    dataset, batchSize: config.batchSize, crops, mean: norm.mean, std: norm.std, seed: config.seed, workers,
    dropLast: true, onSkip,
  });
}
