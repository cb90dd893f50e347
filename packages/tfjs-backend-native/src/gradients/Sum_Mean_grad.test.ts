// Sum's and Mean's gradient overrides against float64 finite differences (ranks 0-4, axis sets, keepDims), and the
// reason for them: no x-sized array is built on the host and uploaded during the backward pass.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import type {NativeBackend} from '../backend.js';
import {assertGradMatchesReference64} from '../testing/gradcheck.js';
import {backendUnderTest, useBackend} from '../testing/parity.js';
import {randomShape, randomTensor, Rng, seededRng} from '../testing/random.js';
import {meanGradConfig} from './Mean_grad.js';
import {sumGradConfig} from './Sum_grad.js';

/** Float64 reference of sum or mean of x over `axes` (flat output; keepDims does not change the order). */
function reduce64(x: Float64Array, shape: readonly number[], axes: readonly number[], mean: boolean): Float64Array {
  const rank = shape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const outShape = shape.filter((_, i) => !reduced.has(i));
  const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  let count = 1;
  reduced.forEach((a) => (count *= shape[a]!));
  for (let i = 0; i < x.length; i++) {
    let rest = i, o = 0, stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
      if (!reduced.has(d)) {
        o += idx * stride;
        stride *= shape[d]!;
      }
    }
    out[o]! += x[i]!;
  }
  return mean ? out.map((v) => v / count) : out;
}

function axisSets(rng: Rng, rank: number): Array<number[] | undefined> {
  const all = Array.from({length: rank}, (_, i) => i);
  const sets: Array<number[] | undefined> = [undefined, []];
  if (rank > 0) sets.push([0], [-1], all.filter(() => rng.next() < 0.5));
  if (rank > 2) sets.push([0, rank - 1], [1, 2]);
  return sets;
}

for (const op of ['sum', 'mean'] as const) {
  test(`${op} gradient matches float64 finite differences (ranks 0-4, axis sets, keepDims)`, (t) => {
    const rng = seededRng(t);
    for (let rank = 0; rank <= 4; rank++) {
      const shape = randomShape(rng, rank, 4);
      for (const axis of axisSets(rng, rank)) {
        for (const keepDims of [false, true]) {
          const x = randomTensor(rng, shape, 'float32', {min: -1, max: 1});
          const axes = axis ?? Array.from({length: rank}, (_, i) => i);
          for (const backend of ['cpu', backendUnderTest]) {
            const label = `${op}([${shape}], axis ${JSON.stringify(axis)}, keepDims ${keepDims})`;
            assertGradMatchesReference64(t, (a: tf.Tensor) => tf[op](a, axis, keepDims),
                                         ([a]) => reduce64(a!, shape, axes, op === 'mean'), [x],
                                         {backend, seed: rng.int(0, 2 ** 31), label});
          }
        }
      }
    }
    // Empty inputs: the gradient is an empty tensor of x's shape.
    const empties: Array<[number[], number[] | undefined]> = [[[0, 3], [1]], [[2, 0], [1]], [[0], undefined]];
    for (const [shape, axis] of empties) {
      assertGradMatchesReference64(t, (a: tf.Tensor) => tf[op](a, axis),
                                   ([a]) => reduce64(a!, shape, axis ?? [0], op === 'mean'), [randomTensor(rng, shape)],
                                   {label: `${op}([${shape}], ${JSON.stringify(axis)})`});
    }
  });
}

test('the Sum and Mean gradients registered are ours', (t) => {
  t.is(tf.getGradient(tf.Sum)?.gradFunc, sumGradConfig.gradFunc);
  t.is(tf.getGradient(tf.Mean)?.gradFunc, meanGradConfig.gradFunc);
});

test('sum and mean gradients upload no x-sized array from the host', (t) => {
  useBackend(backendUnderTest);
  const backend = tf.backend() as NativeBackend;
  const x = tf.randomUniform([8, 16, 32]);
  const dy = tf.randomUniform([16]);
  const written: number[] = [];
  const write = backend.write;
  backend.write = function(values, shape, dtype) {
    written.push(shape.reduce((a, b) => a * b, 1));
    return write.call(this, values, shape, dtype);
  };
  try {
    tf.tidy(() => {
      tf.grad((a: tf.Tensor) => tf.sum(a, [0, 2]))(x, dy);
      tf.grad((a: tf.Tensor) => tf.mean(a, [0, 2]))(x, dy);
    });
  } finally {
    backend.write = write;
    tf.dispose([x, dy]);
  }
  // tfjs-core 4.22's gradients write ones(x.shape), 4096 values each; Mean's divisor is the only (scalar) upload.
  t.true(written.every((n) => n <= 1), `host writes of sizes ${written.join(', ')}`);
});
