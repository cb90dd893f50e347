// Finite-difference checks of the gradients a ViT + iBOT step takes through the native kernels: each program is
// differentiated with tf.grads on the backend under test and compared with central differences of the same program
// (testing/gradcheck.ts explains the projection, the directions and the tolerance).
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {assertGradCheck} from '../testing/gradcheck.js';
import {type HostTensor, randomTensor, Rng, testSeed} from '../testing/random.js';

type Program = (...xs: tf.Tensor[]) => tf.Tensor;

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const {mean, variance} = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), gamma), beta);
}

const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));

/**
 * Values spaced 0.1 apart in a random order, from -2 up: max and min have a kink wherever two entries are equal, and
 * central differences of step h = 0.01 across a kink are wrong, so their inputs must stay far apart (two uniform draws
 * closer than 2h made this check fail now and then).
 */
function separatedTensor(rng: Rng, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({length: n}, (_, i) => -2 + 0.1 * i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return {shape, dtype: 'float32', values: Float32Array.from(values)};
}

// [name, program, input shapes, value range ('separated': distinct values at least 0.1 apart)]
const programs: Array<[string, Program, number[][], ([number, number] | 'separated')?]> = [
  ['matMul', (a, b) => tf.matMul(a!, b!), [[7, 13], [13, 5]]],
  ['matMul transposed both', (a, b) => tf.matMul(a!, b!, true, true), [[13, 7], [5, 13]]],
  ['batched matMul with a broadcast weight', (a, b) => tf.matMul(a!, b!), [[3, 6, 9], [9, 4]]],
  ['per-head attention scores', (q, k) => tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), 0.25)),
   [[2, 3, 5, 8], [2, 3, 5, 8]]],
  ['conv2d stride 2, same padding', (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'),
   [[2, 7, 7, 3], [3, 3, 3, 4]]],
  ['patch embedding conv (kernel = stride)', (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 4, 'valid'),
   [[1, 8, 8, 2], [4, 4, 2, 5]]],
  ['softmax and logSoftmax', (x) => tf.add(tf.softmax(x!), tf.logSoftmax(x!)), [[4, 11]]],
  ['layer norm', (x, g, b) => layerNorm(x!, g!, b!), [[3, 5, 16], [16], [16]]],
  ['exact-erf GELU', (x) => gelu(x!), [[6, 10]]],
  ['exp, log, tanh, sigmoid, sqrt', (x) => tf.add(tf.add(tf.tanh(x!), tf.sigmoid(x!)),
                                                    tf.log(tf.add(tf.exp(x!), tf.sqrt(tf.square(x!)))))
   , [[5, 7]], [0.2, 2]],
  ['broadcast arithmetic', (a, b) => tf.div(tf.sub(tf.mul(a!, b!), b!), tf.add(tf.square(b!), 1)), [[4, 1, 6], [3, 6]]],
  ['reductions over several axes', (x) => tf.add(tf.sum(tf.mul(x!, x!), [0, 2]), tf.mean(x!, [0, 2])), [[3, 4, 5]]],
  ['max and min (no ties)', (x) => tf.add(tf.sum(tf.max(x!, 1)), tf.sum(tf.min(x!, 0))), [[5, 8]], 'separated'],
  ['transpose, slice, concat, pad, tile', (x) => {
    const a = tf.transpose(x!, [1, 0, 2]);  // [4, 3, 2]
    const joined = tf.concat([a, tf.slice(a, [0, 0, 1], [4, 3, 1])], 2);  // [4, 3, 3]
    return tf.tile(tf.pad(joined, [[1, 0], [0, 2], [0, 0]]), [2, 1, 1]);
  }, [[3, 4, 2]]],
  ['gather rows', (x) => tf.gather(x!, tf.tensor1d([2, 0, 2, 1], 'int32')), [[3, 5]]],
  ['softmax cross-entropy', (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 0, 3], 'int32'), 5), x!),
   [[3, 5]]],
  ['pow, squared difference, maximum', (a, b) => tf.add(tf.pow(a!, 3), tf.add(tf.squaredDifference(a!, b!),
                                                                           tf.maximum(a!, tf.add(b!, 0.5)))),
   [[4, 6], [4, 6]], [0.5, 2]],
  // The condition is a constant: comparisons have no gradient in tfjs.
  ['where', (a, b) => tf.where(tf.tensor2d([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1]], [2, 5], 'bool'), tf.mul(a!, b!),
                               tf.sub(a!, b!)), [[2, 5], [2, 5]]],
];

for (const [name, f, shapes, range] of programs) {
  test(`gradient of ${name} matches finite differences`, (t) => {
    const rng = new Rng(testSeed());
    const inputs = shapes.map((s) => (range === 'separated' ? separatedTensor(rng, s) :
                                      randomTensor(rng, s, 'float32', {min: range?.[0] ?? -2, max: range?.[1] ?? 2})));
    assertGradCheck(t, f, inputs);
  });
}
