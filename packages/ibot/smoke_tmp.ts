import * as tf from '@tensorflow/tfjs-core';
import '@ibotjs/tfjs-backend-native';
import {IbotTrainer, resolveTrainConfig} from '/work/wt/ibot/packages/ibot/src/index.ts';
const preset = process.argv[2] ?? 'tiny';
const cfg = preset === 'tiny' ? resolveTrainConfig({
  embedDim: 32, depth: 2, numHeads: 2, imgSize: 16, patchSize: 4, localCropSize: 8, localCropsNumber: 2,
  outDim: 64, patchOutDim: 64, headHiddenDim: 64, headBottleneckDim: 16, batchSize: 8, epochs: 2,
  warmupTeacherTempEpochs: 1, warmupEpochs: 1, numWorkers: 0, maxStepsPerEpoch: 3,
  data: {kind: 'synthetic', size: 64, height: 16, width: 16}, normalize: 'dataset',
}) : resolveTrainConfig({maxStepsPerEpoch: Number(process.argv[3] ?? 5), epochs: 5, numWorkers: 1});
const t0 = Date.now();
const trainer = await IbotTrainer.create(cfg, {backend: 'native'});
console.log('created', Date.now() - t0, 'ms; iters/epoch', trainer.itersPerEpoch, 'tensors', tf.memory().numTensors);
const r = await trainer.train({onStep: (l) => console.log(JSON.stringify(l)), onEpoch: (e) => console.log('EPOCH', JSON.stringify(e))});
console.log(r, 'tensors', tf.memory().numTensors);
await trainer.dispose();
console.log('after dispose tensors', tf.memory().numTensors);
