// l2Normalize and weightNorm composites against float64: forward on random ranks and odd widths, zero and tiny
// vectors (the eps clamp), gradients against float64 closed forms and by finite differences, argument errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertGradCheck} from '@ibotjs/tfjs-backend-native/testing/gradcheck';
import {randomShape, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {withFusedImpl} from './dispatch.js';
import {l2Normalize} from './l2_normalize.js';
import {assertMatches64, assertWithin, compositeBackends, f64, runOp, uniformHost} from './testing/op_testing.js';
import {weightNorm} from './weight_norm.js';

/** y = x / max(‖x‖, eps) per row and the gradient of sum(w · y), in float64. */
function l2Normalize64(x: Float64Array, w: Float64Array, d: number, eps: number): {y: Float64Array; dx: Float64Array} {
  const y = new Float64Array(x.length), dx = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j]! ** 2;
    const norm = Math.sqrt(s);
    const denom = Math.max(norm, eps);
    let wy = 0;
    for (let j = 0; j < d; j++) {
      y[o + j] = x[o + j]! / denom;
      wy += w[o + j]! * y[o + j]!;
    }
    // Above the clamp: (w − y (w·y)) / ‖x‖; at or below it the denominator is the constant eps.
    for (let j = 0; j < d; j++) dx[o + j] = norm > eps ? (w[o + j]! - y[o + j]! * wy) / norm : w[o + j]! / eps;
  }
  return {y, dx};
}

/** w = g · v / ‖v‖ per row of v [K, C], and the gradients of sum(u · w) for v and g. */
function weightNorm64(v: Float64Array, g: Float64Array, u: Float64Array, c: number):
    {w: Float64Array; dv: Float64Array; dvScale: Float64Array; dg: Float64Array} {
  const k = g.length;
  const w = new Float64Array(v.length), dv = new Float64Array(v.length), dg = new Float64Array(k);
  // The size of the two terms dv is the difference of (they cancel exactly for C = 1, where w = g · sign(v)).
  const dvScale = new Float64Array(v.length);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += v[i * c + j]! ** 2;
    const norm = Math.sqrt(s);
    let uv = 0;
    for (let j = 0; j < c; j++) {
      w[i * c + j] = g[i]! * v[i * c + j]! / norm;
      uv += u[i * c + j]! * v[i * c + j]!;
    }
    dg[i] = uv / norm;
    for (let j = 0; j < c; j++) {
      dv[i * c + j] = g[i]! / norm * (u[i * c + j]! - v[i * c + j]! * uv / (norm * norm));
      dvScale[i * c + j] = Math.abs(g[i]! / norm) * (Math.abs(u[i * c + j]!) + Math.abs(v[i * c + j]! * uv) / (norm * norm));
    }
  }
  return {w, dv, dvScale, dg};
}

for (const backend of compositeBackends) {
  test(`l2Normalize composite on ${backend} matches float64 (forward and gradient), zero and sub-eps vectors`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 8; trial++) {
      const shape = [...randomShape(rng, rng.int(0, 2), 5), rng.pick([1, 2, rng.int(3, 300)])];
      const d = shape[shape.length - 1]!;
      const eps = trial % 2 ? 1e-12 : 1e-3;
      const x = uniformHost(rng, shape, -2, 2);
      // Some rows all zeros, some scaled below eps (the clamp is active: y = x / eps, dx = w / eps).
      for (let o = 0; o < x.values.length; o += d) {
        const kind = rng.next();
        for (let j = 0; j < d; j++) {
          if (kind < 0.15) x.values[o + j] = 0;
          else if (kind < 0.3) x.values[o + j] = x.values[o + j]! * eps / (2 * Math.sqrt(d));
        }
      }
      const w = uniformHost(rng, shape);
      const [y, dx] = runOp(backend, 'composite', (a, wt) => [
        l2Normalize(a!, eps), tf.grads((b: tf.Tensor) => tf.sum(tf.mul(l2Normalize(b, eps), wt!)))([a!])[0]!,
      ], [x, w]);
      const want = l2Normalize64(f64(x), f64(w), d, eps);
      t.true(Array.from(dx!.values).every(Number.isFinite), 'gradient finite (zero vectors included)');
      assertMatches64(t, y!, want.y, shape, {rtol: 1e-5, atol: 1e-6}, `y [${shape}] eps ${eps}`);
      // Below the clamp dx = w / eps (1e12 at eps 1e-12): relative tolerance.
      assertMatches64(t, dx!, want.dx, shape, {rtol: 1e-4, atol: 1e-5}, `dx [${shape}] eps ${eps}`);
    }
  });

  test(`l2Normalize composite on ${backend}: gradient by finite differences`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 3; trial++) {
      const shape = [rng.int(1, 4), rng.int(1, 3), rng.int(2, 40)];
      assertGradCheck(t, (x) => withFusedImpl('composite', () => l2Normalize(x!)), [uniformHost(rng, shape)],
                      {backend}, `[${shape}]`);
    }
  });

  test(`weightNorm composite on ${backend} matches float64 (forward and gradients of v and g), g as [K, 1] and [K]`,
       (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 6; trial++) {
      const k = rng.pick([1, rng.int(2, 70)]), c = rng.pick([1, rng.int(2, 300)]);
      const gShape = trial % 2 ? [k] : [k, 1];
      const v = uniformHost(rng, [k, c]), g = uniformHost(rng, gShape, -2, 2), u = uniformHost(rng, [k, c]);
      const [w, dv, dg] = runOp(backend, 'composite', (vt, gt, ut) => [
        weightNorm(vt!, gt!),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(weightNorm(a, b), ut!)))([vt!, gt!]),
      ], [v, g, u]);
      const want = weightNorm64(f64(v), f64(g), f64(u), c);
      const label = `v [${k}, ${c}] g [${gShape}]`;
      assertMatches64(t, w!, want.w, [k, c], {rtol: 1e-5, atol: 1e-6}, `w ${label}`);
      t.deepEqual(dv!.shape, [k, c]);
      assertWithin(t, dv!.values, want.dv, (i) => 1e-4 * Math.abs(want.dv[i]!) + 1e-5 + 1e-5 * want.dvScale[i]!,
                   `dv ${label}`);
      assertMatches64(t, dg!, want.dg, gShape, {rtol: 1e-4, atol: 1e-5}, `dg ${label}`);
    }
  });

  test(`weightNorm composite on ${backend}: gradients by finite differences`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 3; trial++) {
      const k = rng.int(1, 9), c = rng.int(1, 33);
      assertGradCheck(t, (v, g) => withFusedImpl('composite', () => weightNorm(v!, g!)),
                      [uniformHost(rng, [k, c]), uniformHost(rng, [k, 1], 0.5, 2)], {backend}, `[${k}, ${c}]`);
    }
  });
}

test('iBOT head numbers: unit rows after l2Normalize; weightNorm with g = 1 has unit rows (cosine logits)', (t) => {
  const rng = seededRng(t);
  const x = uniformHost(rng, [5, 256], -0.0625, 0.0625);
  const [y] = runOp('cpu', 'composite', (a) => weightNorm(a!, tf.ones([5, 1])), [x]);
  for (let i = 0; i < 5; i++) {
    const n = Math.hypot(...Array.from(y!.values.slice(i * 256, (i + 1) * 256)));
    t.true(Math.abs(n - 1) < 1e-6, `row ${i} norm ${n}`);
  }
});

test('l2Normalize and weightNorm leave no tensors behind and reject bad arguments', (t) => {
  const x = tf.ones([3, 4]), g = tf.ones([3, 1]);
  const before = tf.memory().numTensors;
  withFusedImpl('composite', () => {
    l2Normalize(x).dispose();
    weightNorm(x, g).dispose();
  });
  t.is(tf.memory().numTensors, before, 'tensors leaked');
  t.throws(() => l2Normalize(tf.scalar(1)), {message: /l2Normalize: x must have rank >= 1/});
  t.throws(() => l2Normalize(x, -1), {message: /l2Normalize: eps must be a positive number/});
  t.throws(() => weightNorm(x, tf.ones([4, 1])), {message: /weightNorm: g must have shape \[3, 1\] or \[3\]/});
  t.throws(() => weightNorm(tf.ones([3]), tf.ones([3])), {message: /weightNorm: v must have rank 2/});
  tf.dispose([x, g]);
});
