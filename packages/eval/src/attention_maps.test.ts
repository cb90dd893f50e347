// Attention maps: the [CLS] rows against getLastSelfAttention read by index, at the ViT's size and another; DINO's
// threshold rule on hand-computed cases (boundary, ties, one patch with all the mass, uniform) and on random maps
// against its top-down restatement; nearest-neighbour upsampling; errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {createViT} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {attentionMaps, clsAttention, thresholdHead, thresholdMask, upsampleNearest} from './attention_maps.js';

const VIT = {imgSize: 12, patchSize: 4, inChans: 1, embedDim: 16, depth: 2, numHeads: 2, seed: 7};

for (const side of [12, 20]) {
  test.serial(`attentionMaps is the [CLS] row of getLastSelfAttention over the patch columns (${side}×${side} images)`, (t) => {
    const vit = createViT(VIT);
    const x = tf.randomNormal([3, side, side, 1], 0, 1, 'float32', side) as tf.Tensor4D;
    try {
      const g = side / 4, n = g * g;
      const maps = attentionMaps(vit, x);
      t.deepEqual(maps.shape, [3, 2, g, g]);
      const probs = vit.getLastSelfAttention(x); // [3, 2, 1+n, 1+n]
      t.deepEqual(probs.shape, [3, 2, 1 + n, 1 + n]);
      const p = probs.dataSync(), got = maps.dataSync();
      for (let b = 0; b < 3; b++) {
        for (let h = 0; h < 2; h++) {
          const row = ((b * 2 + h) * (1 + n)) * (1 + n); // query 0 (CLS)
          let mass = p[row]!; // CLS → CLS
          for (let i = 0; i < g; i++) {
            for (let j = 0; j < g; j++) {
              t.is(got[((b * 2 + h) * g + i) * g + j], p[row + 1 + i * g + j]);
              mass += got[((b * 2 + h) * g + i) * g + j]!;
            }
          }
          t.true(Math.abs(mass - 1) < 1e-5, `softmax row sums to ${mass}`);
        }
      }
      tf.dispose([maps, probs]);
    } finally {
      x.dispose();
      vit.dispose();
    }
  });
}

test('attentionMaps and clsAttention reject sizes that do not fit', (t) => {
  const vit = createViT(VIT);
  const x = tf.zeros([1, 10, 12, 1]) as tf.Tensor4D;
  try {
    t.throws(() => attentionMaps(vit, x), {message: /multiples of the patch size 4, got images \[1,10,12,1\]/});
    const probs = tf.zeros([1, 2, 10, 10]) as tf.Tensor4D;
    t.throws(() => clsAttention(probs, 2, 2), {message: /probs must be \[B, heads, 1\+2·2, 1\+2·2\], got \[1,2,10,10\]/});
    probs.dispose();
  } finally {
    x.dispose();
    vit.dispose();
  }
});

test('thresholdHead: hand-computed cases of DINO\'s rule (cumulative ascending mass > 1 − threshold)', (t) => {
  // 2/5 and 3/5: ascending cumulative values 0.4, 1.0; 0.4 > 0.4 is false, so only the larger patch is kept.
  t.deepEqual([...thresholdHead([3, 2], 0.6)], [1, 0]);
  // Just past the boundary, the smaller patch crosses 1 − 0.6 and is kept too.
  t.deepEqual([...thresholdHead([3, 2.01], 0.6)], [1, 1]);
  // All the mass in one patch: only that patch.
  t.deepEqual([...thresholdHead([0, 0, 5, 0], 0.6)], [0, 0, 1, 0]);
  // Uniform over 4: cumulative 0.25, 0.5, 0.75, 1 → the last three in ascending (index) order are kept.
  t.deepEqual([...thresholdHead([1, 1, 1, 1], 0.6)], [0, 1, 1, 1]);
  // Ties at the boundary: 5 equal values, cumulative 0.2, 0.4, 0.6, ... → indices 0 and 1 dropped (stable order).
  t.deepEqual([...thresholdHead([7, 7, 7, 7, 7], 0.6)], [0, 0, 1, 1, 1]);
  // Ties among unequal values: [1, 4, 1, 4] / 10 ascending 1(0), 1(2), 4(1), 4(3): cumulative 0.1, 0.2, 0.6, 1.
  t.deepEqual([...thresholdHead([1, 4, 1, 4], 0.6)], [0, 1, 0, 1]);
  t.deepEqual([...thresholdHead([1, 4, 1, 4], 0.85)], [0, 1, 1, 1]);
  // threshold 1 keeps every patch with mass (cumulative > 0); 0 keeps none.
  t.deepEqual([...thresholdHead([0, 2, 1], 1)], [0, 1, 1]);
  t.deepEqual([...thresholdHead([0, 2, 1], 0)], [0, 0, 0]);
});

test('thresholdHead on random maps equals the top-down reading: kept iff the mass ranked above is < threshold', (t) => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(rand() * 40);
    const values = Array.from({length: n}, () => (rand() < 0.2 ? Math.floor(rand() * 3) : rand()));
    if (!values.some((v) => v !== 0)) values[0] = 1;
    const threshold = Math.round(rand() * 100) / 100;
    const sum = values.reduce((a, b) => a + b, 0);
    // Descending, ties by decreasing index (the reverse of the stable ascending order).
    const down = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]! || b - a);
    const want = new Array<number>(n).fill(0);
    let above = 0;
    let kept = 0;
    for (const i of down) {
      if ((sum - above) / sum > 1 - threshold) want[i] = 1; // its ascending cumulative mass, computed another way
      above += values[i]!;
      if (want[i]) kept += values[i]!;
    }
    const got = thresholdHead(values, threshold);
    t.deepEqual([...got], want, `values ${values} threshold ${threshold}`);
    // The kept mass reaches the threshold (up to rounding) whenever anything is kept.
    if (threshold > 0) t.true(kept / sum >= threshold - 1e-12, `kept ${kept / sum} < ${threshold}`);
  }
});

test('thresholdMask applies the rule per head of [B, heads, gh, gw]', (t) => {
  const a = tf.tensor4d([0, 0, 5, 0, 1, 1, 1, 1, 3, 2, 0, 0, 7, 7, 7, 7], [2, 2, 2, 2]);
  t.deepEqual([...thresholdMask(a, 0.6)], [0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1]);
  a.dispose();
});

test('thresholdHead errors: threshold out of range, negative or non-finite values, zero mass', (t) => {
  t.throws(() => thresholdHead([1, 2], 1.5), {message: /threshold must be in \[0, 1\], got 1.5/});
  t.throws(() => thresholdHead([1, -2], 0.6), {message: /finite and >= 0, got -2 at 1/});
  t.throws(() => thresholdHead([1, NaN], 0.6), {message: /got NaN at 1/});
  t.throws(() => thresholdHead([0, 0], 0.6), {message: /sum to 0/});
});

test('upsampleNearest repeats each patch value over a factor × factor block', (t) => {
  const up = upsampleNearest(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3, 2); // [2, 3] → [4, 6]
  t.deepEqual([...up], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6]);
  t.true(upsampleNearest(new Uint8Array([1, 0]), 1, 2, 3) instanceof Uint8Array);
  t.throws(() => upsampleNearest(new Float32Array(5), 2, 3, 2), {message: /holds 5 values, \[2, 3\] needs 6/});
  t.throws(() => upsampleNearest(new Float32Array(6), 2, 3, 0), {message: /positive integer, got 0/});
});
