// Parity of the broadcasting binary kernels with the tfjs cpu backend: random shapes of rank 0-6, broadcasting in
// both directions, empty tensors, float32 and int32.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {assertParity} from '../testing/parity.js';
import {broadcastableShape, randomShape, randomTensor, Rng, testSeed} from '../testing/random.js';

const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, Array<'float32' | 'int32'>]> = [
  ['add', tf.add, ['float32', 'int32']],
  ['sub', tf.sub, ['float32', 'int32']],
  ['mul', tf.mul, ['float32', 'int32']],
  ['div', tf.div, ['float32']],
];

for (const [name, op, dtypes] of ops) {
  for (const dtype of dtypes) {
    test(`${name} ${dtype} matches cpu on random broadcast shapes of rank 0-6`, (t) => {
      const seed = testSeed();
      const rng = new Rng(seed);
      t.log(`seed ${seed}`);
      for (let rank = 0; rank <= 6; rank++) {
        for (let trial = 0; trial < 4; trial++) {
          const full = randomShape(rng, rank, rank > 4 ? 4 : 9);
          const other = broadcastableShape(rng, full);
          const [sa, sb] = rng.next() < 0.5 ? [full, other] : [other, full];
          // Divisors away from zero so both backends divide the same finite numbers.
          const b = randomTensor(rng, sb, dtype, name === 'div' ? {min: 0.5, max: 3} : {});
          assertParity(t, op, [randomTensor(rng, sa, dtype), b], {}, `${name} [${sa}] [${sb}]`);
        }
      }
    });
  }
}

test('binary ops handle empty tensors and large flat inputs split across threads', (t) => {
  const rng = new Rng(testSeed());
  assertParity(t, tf.add, [randomTensor(rng, [0, 3]), randomTensor(rng, [3])]);
  assertParity(t, tf.mul, [randomTensor(rng, [3, 0, 2]), randomTensor(rng, [1, 1, 2])]);
  assertParity(t, tf.sub, [randomTensor(rng, [100003]), randomTensor(rng, [100003])]);
  assertParity(t, tf.add, [randomTensor(rng, [257, 1, 129]), randomTensor(rng, [1, 65, 129])]);
});

test('division by zero gives the same infinities and NaNs as cpu', (t) => {
  const a = {shape: [4], dtype: 'float32' as const, values: new Float32Array([1, -1, 0, 2])};
  const b = {shape: [4], dtype: 'float32' as const, values: new Float32Array([0, 0, 0, 2])};
  assertParity(t, tf.div, [a, b]);
});
