// maskApply's composite (a broadcasting where) against a plain JS reference: exact replacement on random shapes
// (empty and full masks, non-finite tokens under the mask), gradients exact and by finite differences, errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertGradCheck} from '@ibotjs/tfjs-backend-native/testing/gradcheck';
import {type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {withFusedImpl} from './dispatch.js';
import {maskApply} from './mask_apply.js';
import {boolHost, compositeBackends, runOp, uniformHost} from './testing/op_testing.js';

function randomMask(rng: Rng, b: number, n: number, kind: 'random' | 'none' | 'all' = 'random') {
  return boolHost(Array.from({length: b * n}, () => (kind === 'random' ? rng.next() < 0.3 : kind === 'all')), [b, n]);
}

for (const backend of compositeBackends) {
  test(`composite on ${backend} replaces exactly the masked tokens (random, empty and full masks, non-finite tokens)`,
       (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 8; trial++) {
      const b = rng.int(1, 4), n = rng.pick([1, rng.int(2, 50)]), d = rng.pick([1, rng.int(2, 40)]);
      const tokens = uniformHost(rng, [b, n, d], -3, 3);
      const mask = randomMask(rng, b, n, trial === 1 ? 'none' : trial === 2 ? 'all' : 'random');
      // Masked positions may hold anything, NaN and infinities included: the token replaces them exactly.
      for (let i = 0; i < b * n; i++) if (mask.values[i] && rng.next() < 0.5) tokens.values[i * d] = rng.pick([NaN, Infinity, -Infinity]);
      const token = uniformHost(rng, rng.next() < 0.5 ? [d] : [1, d]);
      const [out] = runOp(backend, 'composite', (x, m, tk) => maskApply(x!, m!, tk!), [tokens, mask, token]);
      const want = Float32Array.from(tokens.values, (v, i) => (mask.values[Math.floor(i / d)] ? token.values[i % d]! : v));
      t.deepEqual(out!.shape, [b, n, d]);
      t.deepEqual(Array.from(out!.values), Array.from(want), `[${b}, ${n}, ${d}]`);
    }
  });

  test(`composite on ${backend}: gradients are exact (dy where unmasked; Σ dy over masked rows) and pass gradCheck`,
       (t) => {
    const rng = seededRng(t);
    const b = rng.int(1, 4), n = rng.int(2, 30), d = rng.int(1, 20);
    const tokens = uniformHost(rng, [b, n, d]), mask = randomMask(rng, b, n), token = uniformHost(rng, [1, d]);
    const dy = uniformHost(rng, [b, n, d]);
    const [dTokens, dToken] = runOp(backend, 'composite', (x, m, tk, w) => tf.grads(
        (a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(maskApply(a, m!, c), w!)))([x!, tk!]), [tokens, mask, token, dy]);
    const wantTokens = Float32Array.from(dy.values, (v, i) => (mask.values[Math.floor(i / d)] ? 0 : v));
    const wantToken = new Float64Array(d);
    dy.values.forEach((v, i) => { if (mask.values[Math.floor(i / d)]) wantToken[i % d] += v; });
    // + 0 turns the -0 of where's gradient (dy · 0) into 0.
    t.deepEqual(Array.from(dTokens!.values, (v) => v + 0), Array.from(wantTokens), 'dTokens');
    t.deepEqual(dToken!.shape, [1, d], 'dMaskToken keeps the token shape');
    Array.from(dToken!.values).forEach((v, j) => t.true(Math.abs(v - wantToken[j]!) <= 1e-5 * (1 + Math.abs(wantToken[j]!)),
                                                        `dMaskToken[${j}]: ${v} vs ${wantToken[j]}`));
    assertGradCheck(t, (x, tk) => withFusedImpl('composite', () => maskApply(x!, tf.tensor(mask.values, mask.shape, 'bool'), tk!)),
                    [tokens, token], {backend}, `[${b}, ${n}, ${d}]`);
  });
}

test('maskApply leaves no tensors behind and rejects bad arguments naming the op and shapes', (t) => {
  const x = tf.ones([2, 3, 4]), m = tf.tensor2d([[1, 0, 1], [0, 0, 1]], [2, 3], 'bool'), tk = tf.zeros([4]);
  const before = tf.memory().numTensors;
  withFusedImpl('composite', () => maskApply(x, m, tk).dispose());
  t.is(tf.memory().numTensors, before, 'tensors leaked');
  t.throws(() => maskApply(x, tf.ones([2, 3]), tk), {message: /maskApply: mask must be bool/});
  t.throws(() => maskApply(x, tf.ones([2, 4], 'bool'), tk), {message: /maskApply: mask must have shape \[2, 3\]/});
  t.throws(() => maskApply(x, m, tf.zeros([5])), {message: /maskApply: maskToken must have shape \[4\] or \[1, 4\]/});
  t.throws(() => maskApply(tf.ones([6, 4]), m, tk), {message: /maskApply: tokens must have rank 3/});
  tf.dispose([x, m, tk]);
});
