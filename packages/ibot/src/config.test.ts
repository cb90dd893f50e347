// The training configuration: the presets follow the paper recipe (IBOT_SPEC §5.9) and the scaled-down default,
// overrides are applied and checked, and bad values give errors naming the field.
import test from 'ava';

import {presets, resolveTrainConfig, validateTrainConfig} from './config.js';

test('vit-s16-imagenet is the released ViT-S/16 recipe', (t) => {
  const c = resolveTrainConfig({}, 'vit-s16-imagenet');
  t.like(c, {
    arch: 'small', patchSize: 16, imgSize: 224, outDim: 8192, patchOutDim: 8192, sharedHead: true,
    normLastLayer: false, headHiddenDim: 2048, headBottleneckDim: 256, headLayers: 3, globalCropsNumber: 2,
    localCropsNumber: 10, localCropSize: 96, predShape: 'block', predStartEpoch: 0, warmupTeacherTemp: 0.04,
    teacherTemp: 0.07, warmupTeacherPatchTemp: 0.04, teacherPatchTemp: 0.07, warmupTeacherTempEpochs: 30,
    studentTemp: 0.1, lambda1: 1, lambda2: 1, lr: 5e-4, minLr: 1e-6, warmupEpochs: 10, weightDecay: 0.04,
    weightDecayEnd: 0.4, momentumTeacher: 0.996, clipGrad: 3, freezeLastLayer: 1, dropPath: 0.1, epochs: 800,
    batchSize: 1024, normalize: 'imagenet',
  });
  t.deepEqual(c.globalCropsScale, [0.25, 1]);
  t.deepEqual(c.localCropsScale, [0.05, 0.25]);
  t.deepEqual(c.predRatio, [0, 0.3]);
  t.deepEqual(c.predRatioVar, [0, 0.2]);
});

test('fmnist-vit-tiny is the default and fits 28×28 grey images', (t) => {
  const c = resolveTrainConfig();
  t.is(c.inChans, 1);
  t.is(c.imgSize, 28);
  t.is(c.imgSize % c.patchSize, 0);
  t.true(c.localCropSize >= c.patchSize && c.localCropSize < c.imgSize);
  t.deepEqual(c.data, {kind: 'fashion-mnist-embedded'});
});

test('overrides apply to a copy; undefined overrides are ignored', (t) => {
  const c = resolveTrainConfig({epochs: 3, lr: undefined, predRatio: 0.5, predRatioVar: 0});
  t.is(c.epochs, 3);
  t.is(c.lr, presets['fmnist-vit-tiny'].lr);
  c.globalCropsScale[0] = 0.9;
  t.is(presets['fmnist-vit-tiny'].globalCropsScale[0], 0.4);
});

test('bad values give errors naming the field', (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{epochs: 0}, /epochs/],
    [{patchOutDim: 7}, /patchOutDim/],
    [{predRatio: [0.3], predRatioVar: [0.1, 0.2]}, /predRatioVar/],
    [{predRatio: 1.5}, /predRatio/],
    [{globalCropsScale: [0.5, 0.2]}, /globalCropsScale/],
    [{normalize: 'imagenet'}, /normalize/],
    [{warmupEpochs: 99}, /warmupEpochs/],
    [{data: {kind: 'nope'}}, /data/],
    [{bogus: 1}, /unknown field 'bogus'/],
    [{arch: 'huge'}, /arch/],
    [{clipGrad: -1}, /clipGrad/],
  ];
  for (const [o, re] of bad) t.throws(() => resolveTrainConfig(o as never), {message: re}, JSON.stringify(o));
  t.throws(() => resolveTrainConfig({}, 'nope' as never), {message: /unknown preset/});
  t.notThrows(() => validateTrainConfig(resolveTrainConfig({}, 'vit-s16-imagenet')));
});
