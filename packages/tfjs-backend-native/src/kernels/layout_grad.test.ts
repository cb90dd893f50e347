// Gradients through the layout kernels on the backend under test vs tfjs cpu: tfjs's own gradient functions, run on
// our kernels (Slice <-> Pad, Concat <-> Split, Gather -> UnsortedSegmentSum, Transpose, Tile, Pack <-> Unpack, ...).
// Gather with batchDims is left out: its tfjs gradient calls chained tensor methods (x.split) that tfjs-core's Node
// entry does not register, so it fails on the cpu backend as well.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {assertParity, runOn} from '../testing/parity.js';
import {randomTensor, seededRng} from '../testing/random.js';

const tol = {rtol: 1e-5, atol: 1e-5};

const cases: Array<[string, number[], (x: tf.Tensor) => tf.Tensor]> = [
  ['slice', [4, 5, 6], (x) => tf.slice(x, [1, 0, 2], [2, 3, 3])],
  ['concat', [3, 4, 5], (x) => tf.concat([x, tf.mul(x, tf.scalar(2)), tf.slice(x, [0, 1, 0], [3, 2, 5])], 1)],
  ['gather with repeated indices', [4, 7, 3], (x) => tf.gather(x, tf.tensor1d([6, 0, 6, 2, 6], 'int32'), 1)],
  ['transpose', [3, 4, 5], (x) => tf.transpose(x, [2, 0, 1])],
  ['pad', [3, 4, 5], (x) => tf.pad(x, [[1, 2], [0, 1], [3, 0]], 1.5)],
  ['tile', [2, 3, 4], (x) => tf.tile(x, [2, 1, 3])],
  ['broadcastTo', [3, 1, 4], (x) => tf.broadcastTo(x, [2, 3, 5, 4])],
  ['stack and unstack', [3, 4], (x) => tf.stack([...tf.unstack(x, 1).reverse(), tf.slice(tf.reshape(x, [12]), 0, 3)], 1)],
  ['split', [4, 9], (x) => tf.concat(tf.split(x, [2, 3, 4], 1).reverse(), 1)],
  ['reverse', [3, 4, 5], (x) => tf.reverse(x, [0, 2])],
];

for (const [name, shape, f] of cases) {
  test(`gradient through ${name} matches cpu`, (t) => {
    const rng = seededRng(t);
    const x = randomTensor(rng, shape);
    const [y] = runOn('cpu', (a) => f(a!), [x]);
    const dy = randomTensor(rng, y!.shape);
    assertParity(t, (a, d) => tf.grad(f)(a!, d!), [x, dy], tol, name);
  });
}
