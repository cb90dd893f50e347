// linear's composites ('none': tf.fused.matMul + bias; 'gelu': + exact erf GELU) against float64: forward on random
// ranks and odd sizes, no bias, large pre-activations; gradients by finite differences; argument errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertGradCheck, assertGradMatchesReference64} from '@ibotjs/tfjs-backend-native/testing/gradcheck';
import {dotTolerance} from '@ibotjs/tfjs-backend-native/testing/parity';
import {randomShape, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {withFusedImpl} from './dispatch.js';
import {geluErf, linear, type LinearActivation} from './linear.js';
import {assertMatches64, compositeBackends, erf64, f64, gelu64, host, runOp, uniformHost} from
    './testing/op_testing.js';

/** act(x w + b) in float64 for x [M, K], w [K, N], b [N] or null. */
function linear64(x: Float64Array, w: Float64Array, b: Float64Array | null, k: number, n: number,
                  act: LinearActivation): Float64Array {
  const m = x.length / k;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = b ? b[j]! : 0;
      for (let c = 0; c < k; c++) s += x[i * k + c]! * w[c * n + j]!;
      y[i * n + j] = act === 'gelu' ? gelu64(s) : s;
    }
  }
  return y;
}

test('the float64 erf reference matches tabulated values (CPython math.erf) on both of its branches', (t) => {
  const table: Array<[number, number]> = [
    [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
    [2.4999, 0.9995928300996666], [2.5, 0.999593047982555], [2.7, 0.9998656672600594], [2.9999, 0.9999778955735178],
    [3, 0.9999779095030014],
    [4.5, 0.9999999998033839], [-2.7, -0.9998656672600594], [6, 1], [0, 0],
  ];
  for (const [x, want] of table) t.true(Math.abs(erf64(x) - want) <= 2e-15, `erf(${x}) = ${erf64(x)}, want ${want}`);
  // GELU(1) = Φ(1), GELU(-2) = -2 Φ(-2).
  t.true(Math.abs(gelu64(1) - 0.8413447460685429) < 1e-15);
  t.true(Math.abs(gelu64(-2) - -0.04550026389635842) < 1e-15);
});

for (const backend of compositeBackends) {
  for (const activation of ['none', 'gelu'] as const) {
    test(`composite '${activation}' on ${backend} matches float64 on random ranks 1-4 and odd sizes, with and ` +
         'without bias', (t) => {
      const rng = seededRng(t);
      for (let trial = 0; trial < 8; trial++) {
        const k = rng.pick([1, rng.int(2, 70)]), n = rng.pick([1, rng.int(2, 40)]);
        const xShape = [...randomShape(rng, rng.int(0, 3), 5), k];
        const withBias = trial % 3 !== 1;
        const inputs = [uniformHost(rng, xShape), uniformHost(rng, [k, n]),
                        ...(withBias ? [uniformHost(rng, [n])] : [])];
        const [y] = runOp(backend, 'composite', (x, w, b) => linear(x!, w!, b ?? null, {activation}), inputs);
        const want = linear64(f64(inputs[0]!), f64(inputs[1]!), withBias ? f64(inputs[2]!) : null, k, n, activation);
        assertMatches64(t, y!, want, [...xShape.slice(0, -1), n], dotTolerance(k),
                        `x [${xShape}] w [${k}, ${n}] bias ${withBias}`);
      }
    });

    test(`composite '${activation}' on ${backend}: gradients of x, w, b by finite differences`, (t) => {
      const rng = seededRng(t);
      for (let trial = 0; trial < 3; trial++) {
        const k = rng.int(1, 24), n = rng.int(1, 17);
        const xShape = [rng.int(1, 3), rng.int(1, 6), k];  // rank 3: the leading dims are folded into rows
        assertGradCheck(t, (x, w, b) => withFusedImpl('composite', () => linear(x!, w!, b!, {activation})),
                        [uniformHost(rng, xShape, -2, 2), uniformHost(rng, [k, n]), uniformHost(rng, [n])],
                        {backend}, `x [${xShape}] w [${k}, ${n}]`);
      }
      const k = rng.int(1, 6), n = rng.int(1, 5), xShape = [2, rng.int(1, 3), k];
      assertGradMatchesReference64(
          t, (x, w, b) => withFusedImpl('composite', () => linear(x!, w!, b!, {activation})),
          ([x, w, b]) => linear64(x!, w!, b!, k, n, activation),
          [uniformHost(rng, xShape, -2, 2), uniformHost(rng, [k, n]), uniformHost(rng, [n])],
          {backend, tol: {rtol: 1e-4, atol: 1e-5}, label: `linear ${activation} x [${xShape}] w [${k}, ${n}]`});
    });
  }

  test(`geluErf on ${backend} is the exact erf GELU (not the tanh form) on large and tiny inputs`, (t) => {
    // Pre-activations across the range where the tanh approximation differs (by up to ~5e-4) and the tails
    // (GELU(z) → z, → 0). For z < 0, 1 + erf(z/√2) cancels in float32 (erf's ~6e-8 absolute error), so the
    // absolute tolerance is 1e-6, still far below the tanh form's difference.
    const zs = [-10, -6, -3.5, -2.5, -1, -1e-3, 0, 1e-7, 0.3, 1, 2.2, 3, 5, 12];
    const [y] = runOp(backend, 'composite', (z) => geluErf(z!), [host(zs, [zs.length])]);
    assertMatches64(t, y!, zs.map((z) => gelu64(Math.fround(z))), [zs.length], {rtol: 2e-6, atol: 1e-6}, 'gelu');
  });
}

test('linear leaves no tensors behind and rejects bad arguments naming the op and shapes', (t) => {
  const x = tf.ones([2, 3, 4]), w = tf.ones([4, 5]), b = tf.ones([5]);
  const before = tf.memory().numTensors;
  withFusedImpl('composite', () => linear(x, w, b, {activation: 'gelu'}).dispose());
  t.is(tf.memory().numTensors, before, 'tensors leaked');
  t.deepEqual(linear(x, w, null).shape, [2, 3, 5]);
  t.throws(() => linear(x, tf.ones([3, 5]), b),
           {message: /linear: the last dimension of x \[2, 3, 4\] must match the rows of w \[3, 5\]/});
  t.throws(() => linear(x, w, tf.ones([4])), {message: /linear: b must have shape \[5\], got \[4\]/});
  t.throws(() => linear(x, tf.ones([4, 5, 1]), b), {message: /linear: w must have rank 2/});
  t.throws(() => linear(x, w, b, {activation: 'relu' as LinearActivation}), {message: /linear: activation/});
  tf.dispose([x, w, b]);
});
