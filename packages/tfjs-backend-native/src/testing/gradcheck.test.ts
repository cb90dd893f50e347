// The generic finite-difference checker: it passes correct gradients of composite programs (over many seeds, so
// its tolerance does not flake) and fails gradients that are wrong by a factor or a sign.
import './setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {gradCheck} from './gradcheck.js';
import {backendUnderTest} from './parity.js';
import {randomTensor, Rng, seededRng, testSeed} from './random.js';

// A ViT-like composite: linear layer on [B, N, D] with a broadcast bias, tanh, mean over tokens, a tiled residual.
function program(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const h = tf.tanh(tf.add(tf.matMul(x, w), b));            // [B, N, E]
  const pooled = tf.mean(h, 1, true);                       // [B, 1, E]
  return tf.sum(tf.mul(tf.tile(pooled, [1, 3, 1]), h), 2);  // [B, N]
}

/** x * y with a gradient that is `scale` times the true one for x (and exact for y). */
function scaledGradMul(scale: number) {
  return tf.customGrad((x, y, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor, y as tf.Tensor]);
    return {
      value: tf.mul(x as tf.Tensor, y as tf.Tensor),
      gradFunc: (dy, saved) => [tf.mul(tf.mul(dy, saved[1]!), scale), tf.mul(dy, saved[0]!)],
    };
  });
}

test('gradCheck passes correct gradients of a composite program on every seed tried', (t) => {
  const rng = seededRng(t);
  for (let trial = 0; trial < 8; trial++) {
    const inputs = [randomTensor(rng, [2, 3, 5]), randomTensor(rng, [5, 4], 'float32', {min: -0.5, max: 0.5}),
                    randomTensor(rng, [4])];
    for (const backend of ['cpu', backendUnderTest]) {
      const r = gradCheck(program, inputs, {backend, seed: rng.int(0, 2 ** 31)});
      t.true(r.passed, `${backend}: ${r.summary}`);
    }
  }
});

test('gradCheck fails a gradient off by 5 %, by a sign, or missing an input\'s term', (t) => {
  const rng = seededRng(t);
  const inputs = [randomTensor(rng, [3, 4]), randomTensor(rng, [3, 4])];
  for (const scale of [1.05, -1, 0]) {
    const f = scaledGradMul(scale);
    // Only x's gradient is wrong: checking x alone makes a 5 % error 2.5 rtol, whatever y's share would have been.
    const r = gradCheck((x, y) => tf.sin(f(x!, y!)), inputs, {seed: rng.int(0, 2 ** 31), wrt: [0]});
    t.false(r.passed, `scale ${scale}: ${r.summary}`);
  }
  const exact = scaledGradMul(1);
  t.true(gradCheck((x, y) => tf.sin(exact(x!, y!)), inputs, {seed: rng.int(0, 2 ** 31)}).passed);
});

test('gradCheck differentiates only the inputs named by wrt', (t) => {
  const rng = new Rng(testSeed());
  const inputs = [randomTensor(rng, [4]), randomTensor(rng, [4])];
  const wrong = scaledGradMul(2);  // wrong for x only
  t.true(gradCheck((x, y) => wrong(x!, y!), inputs, {wrt: [1]}).passed);
  t.false(gradCheck((x, y) => wrong(x!, y!), inputs, {wrt: [0]}).passed);
  t.throws(() => gradCheck((x) => x!, [randomTensor(rng, [2], 'int32')]), {message: /no float32 input/});
});
