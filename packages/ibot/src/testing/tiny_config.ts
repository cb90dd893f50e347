// A tiny training configuration for the trainer's tests: a 1-block ViT of width 16 on 16 px grey synthetic images,
// 2 global and 2 local 8 px crops, K = 32, 4 images per step; one step takes milliseconds.
import {resolveTrainConfig, type IbotTrainConfig} from '../config.js';

export function tinyConfig(overrides: Partial<IbotTrainConfig> = {}): IbotTrainConfig {
  return resolveTrainConfig({
    arch: 'tiny', embedDim: 16, depth: 1, numHeads: 2, patchSize: 4, imgSize: 16, inChans: 1, dropPath: 0.1,
    outDim: 32, patchOutDim: 32, headHiddenDim: 32, headBottleneckDim: 8, localCropsNumber: 2, localCropSize: 8,
    globalCropsScale: [0.4, 1], localCropsScale: [0.1, 0.4], batchSize: 4, epochs: 3, warmupEpochs: 1,
    warmupTeacherTempEpochs: 1, predRatio: [0, 0.3], predRatioVar: [0, 0.2], lr: 0.05, numWorkers: 0, seed: 3,
    data: {kind: 'synthetic', size: 16, height: 16, width: 16, channels: 1}, normalize: {mean: [0.3], std: [0.3]},
    ...overrides,
  });
}
