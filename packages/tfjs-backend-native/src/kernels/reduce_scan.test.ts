// Parity of Cumsum and Cumprod with the tfjs cpu backend: every axis of random shapes of rank 1-6, exclusive and
// reverse, float32/int32/bool, int32 wrap-around, empty tensors and long scans. tfjs rounds at every step (float32
// adds/multiplies, int32 through a double) and so do we, so results must be identical.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {assertParity} from '../testing/parity.js';
import {randomShape, randomTensor, Rng, seededRng, testSeed} from '../testing/random.js';

const exact = {rtol: 0, atol: 0};
const ops = [['Cumsum', tf.cumsum], ['Cumprod', tf.cumprod]] as const;

for (const [name, op] of ops) {
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    test(`${name} ${dtype} matches cpu on every axis, exclusive and reverse`, (t) => {
      const rng = seededRng(t);
      for (let rank = 1; rank <= 6; rank++) {
        for (let trial = 0; trial < 3; trial++) {
          const shape = randomShape(rng, rank, rank > 4 ? 4 : 8);
          const axis = rng.int(0, rank - 1);
          const range = name === 'Cumprod' ? {min: 0.5, max: 1.5} : {};
          const x = randomTensor(rng, shape, dtype, dtype === 'float32' ? range : {min: -9, max: 9});
          for (const exclusive of [false, true]) {
            for (const reverse of [false, true]) {
              assertParity(t, (xt) => op(xt, axis, exclusive, reverse), [x], exact,
                           `${name} [${shape}] axis ${axis} exclusive ${exclusive} reverse ${reverse}`);
            }
          }
        }
      }
    });
  }
}

test('Cumsum/Cumprod of int32 wrap around like tfjs; long scans and empty tensors', (t) => {
  const rng = seededRng(t);
  const big = {shape: [6], dtype: 'int32' as const, values: new Int32Array([100000, 100000, 3, 2147483647, -7, 65536])};
  for (const [name, op] of ops) {
    assertParity(t, (x) => op(x, 0), [big], exact, `${name} wrap`);
    assertParity(t, (x) => op(x, 0, true, true), [big], exact, `${name} wrap exclusive reverse`);
    assertParity(t, (x) => op(x, 0), [randomTensor(rng, [100003], 'float32', {min: 0.99, max: 1.01})], exact,
                 `${name} long row`);
    assertParity(t, (x) => op(x, 1), [randomTensor(rng, [3, 2049, 5], 'float32', {min: 0.999, max: 1.001})], exact,
                 `${name} long column`);
    for (const shape of [[0], [0, 3], [3, 0], [2, 0, 3]]) {
      for (let axis = 0; axis < shape.length; axis++) {
        assertParity(t, (x) => op(x, axis), [randomTensor(rng, shape)], exact, `${name} [${shape}] axis ${axis}`);
      }
    }
  }
  const specials = {shape: [6], dtype: 'float32' as const, values: new Float32Array([1, NaN, Infinity, -Infinity, 2, -0])};
  assertParity(t, (x) => tf.cumsum(x), [specials], exact, 'cumsum specials');
  assertParity(t, (x) => tf.cumprod(x, 0, false, true), [specials], exact, 'cumprod specials');
});

test('Cumsum gradient (a reverse cumsum) through tf.grad matches cpu', (t) => {
  const rng = new Rng(testSeed());
  const x = randomTensor(rng, [4, 9]);
  const w = randomTensor(rng, [4, 9]);
  assertParity(t, (xt, wt) => tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(y, 1), wt)))(xt), [x, w],
               {rtol: 1e-5, atol: 1e-6});
});
