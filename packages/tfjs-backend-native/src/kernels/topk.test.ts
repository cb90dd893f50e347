// Parity of TopK with the tfjs cpu backend: random shapes of rank 1-5, k from 0 to the row length, many ties (lower
// index first), float32/int32/bool, empty tensors, long rows; sorted=false compared as sets (tfjs leaves the order open).
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {assertParity, backendUnderTest, runOn} from '../testing/parity.js';
import {type HostTensor, randomShape, randomTensor, Rng, seededRng, testSeed} from '../testing/random.js';

const exact = {rtol: 0, atol: 0};
const topk = (k: number, sorted = true) => (x: tf.Tensor) => {
  const {values, indices} = tf.topk(x, k, sorted);
  return [values, indices];
};

function check(t: ExecutionContext, x: HostTensor, k: number, label: string): void {
  assertParity(t, topk(k), [x], exact, `${label} k ${k}`);
}

test('TopK (sorted) matches cpu on random shapes, k and dtypes, ties included', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 5; rank++) {
    for (let trial = 0; trial < 5; trial++) {
      const shape = randomShape(rng, rank, rank > 3 ? 5 : 30);
      const n = shape[rank - 1]!;
      const k = rng.pick([0, 1, n, rng.int(0, n)]);
      check(t, randomTensor(rng, shape, 'float32'), k, `float32 [${shape}]`);
      check(t, randomTensor(rng, shape, 'int32', {min: 0, max: 4}), k, `int32 [${shape}]`);  // many ties
      check(t, randomTensor(rng, shape, 'bool'), k, `bool [${shape}]`);
    }
  }
});

test('TopK on long rows and rows with repeated values', (t) => {
  const rng = seededRng(t);
  check(t, randomTensor(rng, [100003]), 5, 'long row');
  check(t, randomTensor(rng, [3, 5000], 'int32', {min: -3, max: 3}), 700, 'ties');
  const zeros = {shape: [2, 6], dtype: 'float32' as const, values: new Float32Array([0, -0, 0, -0, 1, 1, 2, 2, 2, 2, 2, 2])};
  check(t, zeros, 6, 'signed zeros and equal values');
  const infs = {shape: [5], dtype: 'float32' as const, values: new Float32Array([1, Infinity, -Infinity, 3, 2])};
  check(t, infs, 5, 'distinct infinities');
});

test('TopK of empty tensors', (t) => {
  const rng = new Rng(testSeed());
  check(t, randomTensor(rng, [0, 3]), 2, '[0,3]');
  check(t, randomTensor(rng, [2, 0]), 0, '[2,0]');
  check(t, randomTensor(rng, [4, 3]), 0, '[4,3]');
});

test('TopK sorted=false returns the same (index, value) pairs as cpu', (t) => {
  const rng = seededRng(t);
  for (let trial = 0; trial < 10; trial++) {
    const shape = randomShape(rng, rng.int(1, 3), 40);
    const n = shape[shape.length - 1]!;
    const k = rng.int(0, n);
    const x = randomTensor(rng, shape, 'int32', {min: 0, max: 5});
    const [wantV, wantI] = runOn('cpu', topk(k, false), [x]);
    const [gotV, gotI] = runOn(backendUnderTest, topk(k, false), [x]);
    t.deepEqual(gotV!.shape, wantV!.shape);
    t.is(gotI!.dtype, 'int32');
    // Per row: the same set of indices, each with its own value.
    const rows = k === 0 ? 0 : gotI!.values.length / k;
    for (let r = 0; r < rows; r++) {
      const pairs = (v: HostTensor, i: HostTensor) =>
        Array.from({length: k}, (_, j) => `${i.values[r * k + j]}:${v.values[r * k + j]}`).sort();
      t.deepEqual(pairs(gotV!, gotI!), pairs(wantV!, wantI!), `[${shape}] k ${k} row ${r}`);
    }
  }
});
