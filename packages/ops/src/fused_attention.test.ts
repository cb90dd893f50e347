// fusedAttention's composite (stock matMul + softmax) against a float64 attention written here: forward on random
// and extreme inputs, the probabilities output, gradients by finite differences, argument errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertGradCheck, assertGradMatchesReference64} from '@ibotjs/tfjs-backend-native/testing/gradcheck';
import {type HostTensor, type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {withFusedImpl} from './dispatch.js';
import {fusedAttention} from './fused_attention.js';
import {assertMatches64, compositeBackends, f64, runOp, softmaxRows64, uniformHost} from './testing/op_testing.js';

/** softmax(q kᵀ · scale) v per (b, h) in float64: out [B, H, N, d] and probs [B, H, N, N]. */
function attention64(q: Float64Array, k: Float64Array, v: Float64Array, shape: number[], scale: number):
    {out: Float64Array; probs: Float64Array} {
  const [b, h, n, d] = shape as [number, number, number, number];
  const out = new Float64Array(b * h * n * d), probs = new Float64Array(b * h * n * n);
  for (let bh = 0; bh < b * h; bh++) {
    const base = bh * n * d;
    const scores = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[base + i * d + c]! * k[base + j * d + c]!;
        scores[i * n + j] = s * scale;
      }
    }
    const p = softmaxRows64(scores, n, n);
    probs.set(p, bh * n * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += p[i * n + j]! * v[base + j * d + c]!;
        out[base + i * d + c] = s;
      }
    }
  }
  return {out, probs};
}

function randomQkv(rng: Rng, maxN = 13, maxD = 9, range = 1): {shape: number[]; inputs: HostTensor[]} {
  const shape = [rng.int(1, 3), rng.int(1, 3), rng.pick([1, 2, rng.int(3, maxN)]), rng.int(1, maxD)];
  return {shape, inputs: [0, 1, 2].map(() => uniformHost(rng, shape, -range, range))};
}

for (const backend of compositeBackends) {
  test(`composite on ${backend} matches float64 on random shapes (N = 1, odd N and d), default and custom scale`,
       (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 8; trial++) {
      const {shape, inputs} = randomQkv(rng, 13, 9, 2);
      const scale = trial % 2 ? rng.uniform(0.05, 2) : undefined;
      const [out, probs] = runOp(backend, 'composite', (q, k, v) => {
        const r = fusedAttention(q!, k!, v!, {scale, returnProbs: true});
        return [r.out, r.probs!];
      }, inputs);
      const want = attention64(f64(inputs[0]!), f64(inputs[1]!), f64(inputs[2]!), shape,
                               scale ?? shape[3]! ** -0.5);
      const [b, h, n] = shape as [number, number, number];
      assertMatches64(t, out!, want.out, shape, {rtol: 1e-4, atol: 1e-5}, `out [${shape}] scale ${scale}`);
      assertMatches64(t, probs!, want.probs, [b, h, n, n], {rtol: 1e-4, atol: 1e-6}, `probs [${shape}]`);
    }
  });

  test(`composite on ${backend} stays finite and matches float64 on extreme logits (saturated softmax)`, (t) => {
    const rng = seededRng(t);
    // Scores up to ~±2000: exp would overflow without the max subtraction; rows become (nearly) one-hot.
    const {shape, inputs} = randomQkv(rng, 9, 6, 30);
    const [out] = runOp(backend, 'composite', (q, k, v) => fusedAttention(q!, k!, v!, {scale: 1}).out, inputs);
    t.true(Array.from(out!.values).every(Number.isFinite), 'all finite');
    const want = attention64(f64(inputs[0]!), f64(inputs[1]!), f64(inputs[2]!), shape, 1);
    // float32 scores of magnitude ~1e3 carry ~1e-4 absolute rounding: near-ties move probabilities by that much.
    assertMatches64(t, out!, want.out, shape, {rtol: 1e-3, atol: 3e-2}, `out [${shape}]`);
  });

  test(`composite on ${backend}: gradients of q, k, v by finite differences`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 3; trial++) {
      const {shape, inputs} = randomQkv(rng, 9, 7, 1.5);
      assertGradCheck(t, (q, k, v) => withFusedImpl('composite', () => fusedAttention(q!, k!, v!).out), inputs,
                      {backend}, `[${shape}]`);
    }
    // Small enough for element-wise float64 central differences of the reference.
    const {shape, inputs} = randomQkv(rng, 5, 4, 1.5);
    const scale = 0.7;
    assertGradMatchesReference64(
        t, (q, k, v) => withFusedImpl('composite', () => fusedAttention(q!, k!, v!, {scale}).out),
        ([q, k, v]) => attention64(q!, k!, v!, shape, scale).out, inputs,
        {backend, tol: {rtol: 1e-4, atol: 1e-5}, label: `attention [${shape}]`});
  });

  test(`composite on ${backend}: no gradient flows through the returned probabilities`, (t) => {
    const rng = seededRng(t);
    const {inputs} = randomQkv(rng);
    // probs depends on q and k only (v would have no path at all, which tf.grads rejects).
    const grads = runOp(backend, 'composite', (q, k, v) => tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const {probs} = fusedAttention(a, b, v!, {returnProbs: true});
      return tf.sum(tf.mul(probs!, tf.randomUniform(probs!.shape, -1, 1, 'float32', 3)));
    })([q!, k!]), inputs);
    t.is(grads.length, 2);
    grads.forEach((g, i) => t.true(Array.from(g.values).every((x) => x === 0), `gradient ${i} is zero`));
  });
}

test('fusedAttention leaves no tensors behind and rejects bad arguments naming the op and shapes', (t) => {
  const q = tf.zeros([2, 3, 5, 4]);
  const before = tf.memory().numTensors;
  withFusedImpl('composite', () => tf.dispose(Object.values(fusedAttention(q, q, q, {returnProbs: true}))));
  t.is(tf.memory().numTensors, before, 'tensors leaked');
  t.throws(() => fusedAttention(q, tf.zeros([2, 3, 6, 4]), q), {message: /fusedAttention: k must have shape \[2, 3, 5, 4\], got \[2, 3, 6, 4\]/});
  t.throws(() => fusedAttention(tf.zeros([3, 5, 4]), q, q), {message: /fusedAttention: q must have rank 4/});
  t.throws(() => fusedAttention(q, q, tf.zeros([2, 3, 5, 4], 'int32')), {message: /fusedAttention: v must be float32/});
  t.throws(() => fusedAttention(q, q, q, {scale: NaN}), {message: /fusedAttention: scale/});
  q.dispose();
});
