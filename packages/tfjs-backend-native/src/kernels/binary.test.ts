// Parity of the broadcasting binary kernels with the tfjs cpu backend: every kernel and accepted dtype on random
// shapes of rank 0-6 broadcast both ways, empty tensors, inputs split across threads, every pair of special values
// (NaN, ±Inf, ±0, huge, denormal; int32 wrap-around) and the sign of zero results. Kernels run directly
// (engine.runKernel) so dtype paths the ops would cast away (int32 RealDiv, float32 FloorDiv) are covered too.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {allPairs, check, kernelFn, specialFloats, specialInts} from './elementwise_test_helpers.js';
import {broadcastableShape, randomShape, randomTensor, Rng, seededRng, testSeed} from '../testing/random.js';

type Dtype = 'float32' | 'int32' | 'bool';
const FI: Dtype[] = ['float32', 'int32'];
const FIB: Dtype[] = ['float32', 'int32', 'bool'];

// [kernel, dtypes, input names]
const kernels: Array<[string, Dtype[], [string, string]?]> = [
  ['Add', FI], ['Sub', FI], ['Multiply', FI], ['RealDiv', FI], ['SquaredDifference', FI], ['Maximum', FI],
  ['Minimum', FI], ['Pow', FI], ['FloorDiv', FI], ['Mod', FI], ['Atan2', FI], ['Prelu', ['float32'], ['x', 'alpha']],
  ['Equal', FIB], ['NotEqual', FIB], ['Less', FIB], ['LessEqual', FIB], ['Greater', FIB], ['GreaterEqual', FIB],
  ['LogicalAnd', ['bool']], ['LogicalOr', ['bool']],
];

for (const [name, dtypes, inputNames = ['a', 'b']] of kernels) {
  const fn = kernelFn(name, inputNames);
  for (const dtype of dtypes) {
    test(`${name} ${dtype} matches cpu on random broadcast shapes of rank 0-6`, (t) => {
      const rng = seededRng(t);
      for (let rank = 0; rank <= 6; rank++) {
        for (let trial = 0; trial < 4; trial++) {
          const full = randomShape(rng, rank, rank > 4 ? 4 : 9);
          const other = broadcastableShape(rng, full);
          const [sa, sb] = rng.next() < 0.5 ? [full, other] : [other, full];
          // Small ints make equal pairs (for the comparisons) and exact powers likely.
          const range = dtype === 'int32' && rng.next() < 0.5 ? {min: -3, max: 3} : {};
          const inputs = [randomTensor(rng, sa, dtype, range), randomTensor(rng, sb, dtype, range)];
          check(t, fn, inputs, {label: `${name} [${sa}] [${sb}]`, native: name});
        }
      }
    });
  }
  if (dtypes.includes('float32')) {
    test(`${name} float32 matches cpu on every pair of special values, signed zeros included`, (t) => {
      check(t, fn, allPairs(specialFloats, 'float32'), {label: name, native: name});
    });
  }
  if (dtypes.includes('int32')) {
    test(`${name} int32 matches cpu on every pair of edge values (wrap-around, division by zero)`, (t) => {
      check(t, fn, allPairs(specialInts, 'int32'), {label: name, native: name});
    });
  }
}

test('binary kernels handle empty tensors, rows crossing thread chunks and large flat inputs', (t) => {
  const rng = new Rng(testSeed());
  const add = kernelFn('Add', ['a', 'b']);
  check(t, add, [randomTensor(rng, [0, 3]), randomTensor(rng, [3])], {native: 'Add'});
  check(t, kernelFn('Multiply', ['a', 'b']), [randomTensor(rng, [3, 0, 2]), randomTensor(rng, [1, 1, 2])]);
  check(t, kernelFn('Less', ['a', 'b']), [randomTensor(rng, [0]), randomTensor(rng, [1])]);
  check(t, kernelFn('Sub', ['a', 'b']), [randomTensor(rng, [100003]), randomTensor(rng, [100003])]);
  check(t, add, [randomTensor(rng, [257, 1, 129]), randomTensor(rng, [1, 65, 129])]);
  check(t, kernelFn('Pow', ['a', 'b']), [randomTensor(rng, [3001, 7], 'float32', {min: 0, max: 3}),
                                         randomTensor(rng, [7])]);
  check(t, kernelFn('Maximum', ['a', 'b']), [randomTensor(rng, [40001, 1]), randomTensor(rng, [1, 3])]);
  check(t, kernelFn('GreaterEqual', ['a', 'b']), [randomTensor(rng, [65537], 'int32'), randomTensor(rng, [], 'int32')]);
});

test('tf ops reach the native kernels (tf.div on int32 is FloorDiv, tf.prelu broadcasts alpha)', (t) => {
  const rng = new Rng(testSeed());
  check(t, (a, b) => tf.div(a, b), [randomTensor(rng, [5, 7], 'int32'), randomTensor(rng, [7], 'int32')],
        {native: 'FloorDiv'});
  check(t, (x, a) => tf.prelu(x, a), [randomTensor(rng, [4, 5, 6]), randomTensor(rng, [6])], {native: 'Prelu'});
  check(t, (a, b) => tf.squaredDifference(a, b), [randomTensor(rng, [9, 1]), randomTensor(rng, [1, 11])],
        {native: 'SquaredDifference'});
});
