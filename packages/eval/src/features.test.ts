// extractFeatures against the ViT called directly on the same normalised images: CLS (avgpool 0), mean patch token
// (1), both (2); the linear protocol's CLS of the last n blocks (+ mean patch token), unnormalised; dataset order, unit
// norms, partial last batch, errors; on the backend under test.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {syntheticDataset} from '@ibotjs/data';
import {worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import {createViT} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {extractFeatures, linearPooling} from './features.js';

const VIT = {imgSize: 12, patchSize: 4, inChans: 1, embedDim: 16, depth: 2, numHeads: 2, seed: 3};
const MEAN = [0.3], STD = [0.2];

/** The images of the whole dataset, normalised by hand: [N, 12, 12, 1]. */
async function images(ds: ReturnType<typeof syntheticDataset>): Promise<tf.Tensor4D> {
  const data = new Float32Array(ds.size * 144);
  for (let i = 0; i < ds.size; i++) {
    const s = await ds.get(i);
    for (let p = 0; p < 144; p++) {
      const v = s.image instanceof Float32Array ? s.image[p]! : s.image[p]! / 255;
      data[i * 144 + p] = (v - MEAN[0]!) / STD[0]!;
    }
  }
  return tf.tensor4d(data, [ds.size, 12, 12, 1]);
}

const unitRows = (x: tf.Tensor2D) => tf.tidy(() => tf.div(x, tf.norm(x, 'euclidean', 1, true)));

test.serial('extractFeatures equals the ViT on the normalised images, for avgpool 0, 1 and 2', async (t) => {
  const ds = syntheticDataset({size: 11, numClasses: 3, height: 12, width: 12, seed: 5});
  const vit = createViT(VIT);
  const x = await images(ds);
  try {
    const tokens = vit.getIntermediateLayers(x, 1)[0]!; // [11, 10, 16]
    const cls = tf.reshape(tf.slice(tokens, [0, 0, 0], [11, 1, 16]), [11, 16]) as tf.Tensor2D;
    const patch = tf.mean(tf.slice(tokens, [0, 1, 0], [11, 9, 16]), 1) as tf.Tensor2D;
    const want = {0: unitRows(cls), 1: unitRows(patch), 2: unitRows(tf.concat([cls, patch], 1))};
    for (const avgpool of [0, 1, 2] as const) {
      const {features, labels} = await extractFeatures(vit, ds, {batchSize: 4, avgpool, mean: MEAN, std: STD});
      t.deepEqual(features.shape, [11, avgpool === 2 ? 32 : 16]);
      t.deepEqual(Array.from(labels), Array.from({length: 11}, (_, i) => ds.labelOf(i)));
      const bad = worstMismatch(features.dataSync(), want[avgpool].dataSync(), {rtol: 1e-4, atol: 1e-5});
      t.is(bad, null, `avgpool ${avgpool}: ${JSON.stringify(bad)}`);
      const norms = tf.norm(features, 'euclidean', 1).dataSync();
      t.true(norms.every((n) => Math.abs(n - 1) < 1e-5), 'unit norms');
      features.dispose();
    }
    tf.dispose([tokens, cls, patch, ...Object.values(want)]);
  } finally {
    x.dispose();
    vit.dispose();
  }
});

test.serial('nLastBlocks: the CLS of the last n blocks (+ the last mean patch token), in block order, not normalised', async (t) => {
  const ds = syntheticDataset({size: 7, numClasses: 3, height: 12, width: 12, seed: 8});
  const vit = createViT(VIT);
  const x = await images(ds);
  try {
    const layers = vit.getIntermediateLayers(x, 2); // 2 × [7, 10, 16]
    const cls = layers.map((l) => tf.reshape(tf.slice(l, [0, 0, 0], [7, 1, 16]), [7, 16]));
    const patch = tf.mean(tf.slice(layers[1]!, [0, 1, 0], [7, 9, 16]), 1);
    const want = {0: tf.concat(cls, 1), 1: patch, 2: tf.concat([...cls, patch], 1)};
    for (const avgpool of [0, 1, 2] as const) {
      const {features} = await extractFeatures(vit, ds, {batchSize: 3, avgpool, nLastBlocks: 2, normalize: false, mean: MEAN, std: STD});
      t.deepEqual(features.shape, [7, {0: 32, 1: 16, 2: 48}[avgpool]]);
      const bad = worstMismatch(features.dataSync(), want[avgpool].dataSync(), {rtol: 1e-4, atol: 1e-5});
      t.is(bad, null, `avgpool ${avgpool}: ${JSON.stringify(bad)}`);
      features.dispose();
    }
    // The first block's CLS differs from the last one's: the concatenation is not one block twice.
    t.notDeepEqual(Array.from(cls[0]!.dataSync()), Array.from(cls[1]!.dataSync()));
    tf.dispose([...layers, ...cls, patch, ...Object.values(want)]);
    await t.throwsAsync(extractFeatures(vit, ds, {nLastBlocks: 3}), {message: /nLastBlocks must be an integer in \[1, 2\] \(the ViT's depth\), got 3/});
    await t.throwsAsync(extractFeatures(vit, ds, {nLastBlocks: 0}), {message: /nLastBlocks must be an integer in \[1, 2\]/});
  } finally {
    x.dispose();
    vit.dispose();
  }
});

test('linearPooling: the run.sh defaults per variant, n capped at the depth', (t) => {
  t.deepEqual(linearPooling('small', 12), {avgpool: 0, nLastBlocks: 4});
  t.deepEqual(linearPooling('tiny', 12), {avgpool: 0, nLastBlocks: 4});
  t.deepEqual(linearPooling('tiny', 2), {avgpool: 0, nLastBlocks: 2});
  t.deepEqual(linearPooling('base', 12), {avgpool: 2, nLastBlocks: 1});
  t.deepEqual(linearPooling('large', 24), {avgpool: 2, nLastBlocks: 1});
});

test.serial('extractFeatures leaks no tensors, reports progress and rejects a channel mismatch', async (t) => {
  const ds = syntheticDataset({size: 5, numClasses: 2, height: 12, width: 12, seed: 1});
  const vit = createViT(VIT);
  const before = tf.memory().numTensors;
  const progress: number[] = [];
  const {features} = await extractFeatures(vit, ds, {batchSize: 2, onProgress: (done) => progress.push(done)});
  t.deepEqual(progress, [2, 4, 5]);
  features.dispose();
  t.is(tf.memory().numTensors, before);
  const rgb = syntheticDataset({size: 2, height: 12, width: 12, channels: 3});
  await t.throwsAsync(extractFeatures(vit, rgb), {message: /3-channel images, the ViT takes 1/});
  await t.throwsAsync(extractFeatures(vit, ds, {avgpool: 3 as 0}), {message: /avgpool must be 0, 1 or 2/});
  vit.dispose();
});
