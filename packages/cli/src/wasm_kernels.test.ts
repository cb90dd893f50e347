// The JS UnsortedSegmentSum registered for tfjs-wasm against tfjs cpu's kernel: float32 and int32, repeated and
// out-of-range ids, several trailing shapes; and the gradient of gather, which is what the trainer needs, on wasm.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@ibotjs/tfjs-backend-native'; // tfjs's gradients

import {worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import {seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {registerWasmKernels} from './wasm_kernels.js';

registerWasmKernels();
// tfjs cpu prints an advert for tfjs-node on first use; noise in test logs.
(tf.findBackend('cpu') as unknown as {firstUse: boolean}).firstUse = false;

/** fn's (host) result on `backend`; its tensors are freed. */
async function on(backend: string, fn: () => unknown): Promise<unknown> {
  await tf.setBackend(backend);
  let out: unknown;
  tf.tidy(() => {
    out = fn();
  });
  return out;
}

test.serial('UnsortedSegmentSum on wasm equals tfjs cpu', async (t) => {
  const rng = seededRng(t);
  const cases: Array<[number[], number, 'float32' | 'int32']> =
      [[[7], 4, 'float32'], [[9, 3], 5, 'float32'], [[6, 2, 5], 3, 'int32'], [[1, 4], 1, 'float32'], [[0, 3], 2, 'float32'], [[5], 8, 'int32']];
  for (const [shape, numSegments, dtype] of cases) {
    const n = shape[0]!;
    const size = shape.reduce((a, b) => a * b, 1);
    const xs = Array.from({length: size}, () => (dtype === 'int32' ? rng.int(-5, 5) : rng.uniform(-1, 1)));
    const ids = Array.from({length: n}, () => rng.int(-1, numSegments)); // -1 and numSegments: dropped
    const run = () => {
      const y = tf.unsortedSegmentSum(tf.tensor(xs, shape, dtype), tf.tensor1d(ids, 'int32'), numSegments);
      return {shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync())};
    };
    const got = await on('wasm', run) as {shape: number[]; dtype: string; values: number[]};
    const want = await on('cpu', run) as typeof got;
    const what = `${JSON.stringify(shape)} ${dtype}`;
    t.deepEqual([got.shape, got.dtype], [want.shape, want.dtype], what);
    // Sums in another order than tfjs cpu's: float32 rounding apart (int32 exact).
    t.is(worstMismatch(got.values, want.values, {rtol: 1e-6, atol: dtype === 'int32' ? 0 : 1e-6}), null, what);
  }
});

test.serial('the gradient of gather runs on wasm and equals tfjs cpu', async (t) => {
  const rng = seededRng(t);
  const x = Array.from({length: 10 * 4}, () => rng.uniform(-1, 1));
  const idx = [3, 1, 3, 9, 0];
  const grad = () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, tf.tensor1d(idx, 'int32')), tf.reshape(tf.range(1, 21), [5, 4]))))(tf.tensor2d(x, [10, 4])).arraySync();
  const got = await on('wasm', grad) as number[][], want = await on('cpu', grad) as number[][];
  t.is(got.length, 10);
  got.flat().forEach((g, i) => t.true(Math.abs(g - want.flat()[i]!) < 1e-5));
});
