// layerNorm's composite against float64: forward on random ranks and odd widths, zero-variance and offset rows,
// other eps; gradients against the float64 closed form (zero-variance rows included) and by finite differences.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertGradCheck} from '@ibotjs/tfjs-backend-native/testing/gradcheck';
import {randomShape, type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {withFusedImpl} from './dispatch.js';
import {layerNorm} from './layer_norm.js';
import {assertMatches64, assertWithin, compositeBackends, f64, host, runOp, size, uniformHost} from './testing/op_testing.js';

interface LnRef {
  y: Float64Array;
  /** Gradients of sum(w * y). */
  dx: Float64Array;
  /** Each y's float32 rounding scale: the row mean's rounding (~D ulp of max|x|) times rstd times |gamma|. */
  yScale: Float64Array;
  /** The size of the terms summed into each dx (they cancel almost exactly on narrow rows). */
  dxScale: Float64Array;
  /** The mean's rounding (as in yScale) carried through xhat and mean(g·xhat) into dx. */
  dxRound: Float64Array;
  dgamma: Float64Array;
  /** The xhat rounding (as in dxRound) summed into dgamma. */
  dgammaRound: Float64Array;
  dbeta: Float64Array;
}

/** Layer norm over the last axis in float64 with its closed-form backward for upstream gradient w. */
function layerNorm64(x: Float64Array, gamma: Float64Array, beta: Float64Array, w: Float64Array, d: number,
                     eps: number): LnRef {
  const rows = x.length / d;
  const y = new Float64Array(x.length), yScale = new Float64Array(x.length);
  const dx = new Float64Array(x.length), dxScale = new Float64Array(x.length), dxRound = new Float64Array(x.length);
  const dgamma = new Float64Array(d), dgammaRound = new Float64Array(d), dbeta = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let mu = 0;
    for (let j = 0; j < d; j++) mu += x[o + j]!;
    mu /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[o + j]! - mu) ** 2;
    v /= d;
    const rstd = 1 / Math.sqrt(v + eps);
    let maxAbs = 0;
    for (let j = 0; j < d; j++) maxAbs = Math.max(maxAbs, Math.abs(x[o + j]!));
    let meanG = 0, meanGX = 0, meanAbsG = 0;
    for (let j = 0; j < d; j++) {
      const xhat = (x[o + j]! - mu) * rstd;
      y[o + j] = xhat * gamma[j]! + beta[j]!;
      yScale[o + j] = d * 2 ** -24 * maxAbs * rstd * Math.abs(gamma[j]!);
      const g = w[o + j]! * gamma[j]!;
      meanG += g / d;
      meanGX += g * xhat / d;
      meanAbsG += Math.abs(g) / d;
      dgamma[j] += w[o + j]! * xhat;
      dgammaRound[j] += Math.abs(w[o + j]!) * d * 2 ** -24 * maxAbs * rstd;
      dbeta[j] += w[o + j]!;
    }
    for (let j = 0; j < d; j++) {
      const xhat = (x[o + j]! - mu) * rstd;
      dx[o + j] = rstd * (w[o + j]! * gamma[j]! - meanG - xhat * meanGX);
      const dXhat = d * 2 ** -24 * maxAbs * rstd;  // rounding of xhat through the mean
      dxScale[o + j] = rstd * (Math.abs(w[o + j]! * gamma[j]!) + Math.abs(meanG) + Math.abs(xhat * meanGX));
      dxRound[o + j] = rstd * dXhat * (Math.abs(meanGX) + meanAbsG);
    }
  }
  return {y, yScale, dx, dxScale, dxRound, dgamma, dgammaRound, dbeta};
}

/** x [..., D] with random rows, some constant (zero variance) and some offset far from 0. */
function randomRows(rng: Rng, shape: number[]): Float32Array {
  const d = shape[shape.length - 1]!;
  const x = new Float32Array(size(shape));
  for (let o = 0; o < x.length; o += d) {
    const kind = rng.next();
    const offset = kind < 0.2 ? 0 : rng.uniform(-10, 10), scale = rng.uniform(0.1, 3);
    const constant = rng.uniform(-2, 2);
    for (let j = 0; j < d; j++) x[o + j] = kind < 0.2 ? constant : offset + scale * rng.uniform(-1, 1);
  }
  return x;
}

for (const backend of compositeBackends) {
  test(`composite on ${backend} matches float64, forward and gradients, ranks 1-4, odd widths, constant rows`,
       (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 10; trial++) {
      const shape = [...randomShape(rng, rng.int(0, 3), 6), rng.pick([1, 2, rng.int(3, 67)])];
      const d = shape[shape.length - 1]!;
      const eps = trial % 3 === 2 ? rng.uniform(1e-5, 1e-2) : 1e-6;
      const x = host(randomRows(rng, shape), shape);
      const gamma = uniformHost(rng, [d], -2, 2), beta = uniformHost(rng, [d], -1, 1);
      const w = uniformHost(rng, shape);
      const got = runOp(backend, 'composite', (xt, g, b, wt) => {
        const y = layerNorm(xt!, g!, b!, eps);
        const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, c, e, eps),
                                                                                        wt!)))([xt!, g!, b!]);
        return [y, ...grads];
      }, [x, gamma, beta, w]);
      const want = layerNorm64(f64(x), f64(gamma), f64(beta), f64(w), d, eps);
      const label = `[${shape}] eps ${eps}`;
      // Element-wise tolerances from the float32 rounding scales (see LnRef): a row whose spread is small next to
      // its values (or constant: rstd = eps^-1/2 = 1000) amplifies the mean's rounding; dx is a difference of
      // terms of size rstd·|w γ| that cancel almost exactly on narrow rows (a 2-wide row normalises to ±1).
      assertWithin(t, got[0]!.values, want.y, (i) => 1e-4 * Math.abs(want.y[i]!) + 2e-5 + 4 * want.yScale[i]!,
                   `y ${label}`);
      assertWithin(t, got[1]!.values, want.dx,
                   (i) => 1e-4 * Math.abs(want.dx[i]!) + 3e-5 * want.dxScale[i]! + 4 * want.dxRound[i]!,
                   `dx ${label}`);
      t.deepEqual([got[0]!.shape, got[1]!.shape, got[2]!.shape], [shape, shape, [d]], 'shapes');
      assertWithin(t, got[2]!.values, want.dgamma,
                   (i) => 1e-4 * Math.abs(want.dgamma[i]!) + 1e-4 + 4 * want.dgammaRound[i]!, `dgamma ${label}`);
      assertMatches64(t, got[3]!, want.dbeta, [d], {rtol: 1e-4, atol: 1e-5}, `dbeta ${label}`);
    }
  });

  test(`composite on ${backend}: gradients of x, gamma, beta by finite differences`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 3; trial++) {
      // Rows of 3+ values: a 2-wide row normalises to ±1, a function too flat and kinked for finite differences.
      const shape = [rng.int(1, 5), rng.int(3, 19)];
      const d = shape[1]!;
      assertGradCheck(t, (x, g, b) => withFusedImpl('composite', () => layerNorm(x!, g!, b!)),
                      [uniformHost(rng, shape, -2, 2), uniformHost(rng, [d], -2, 2), uniformHost(rng, [d])],
                      {backend}, `[${shape}]`);
    }
  });
}

test('layerNorm leaves no tensors behind and rejects bad arguments naming the op and shapes', (t) => {
  const x = tf.ones([2, 5]), g = tf.ones([5]);
  const before = tf.memory().numTensors;
  withFusedImpl('composite', () => layerNorm(x, g, g).dispose());
  t.is(tf.memory().numTensors, before, 'tensors leaked');
  t.throws(() => layerNorm(x, tf.ones([4]), g), {message: /layerNorm: gamma must have shape \[5\], got \[4\]/});
  t.throws(() => layerNorm(x, g, tf.ones([1, 5])), {message: /layerNorm: beta must have shape \[5\]/});
  t.throws(() => layerNorm(tf.scalar(1), g, g), {message: /layerNorm: x must have rank >= 1/});
  t.throws(() => layerNorm(x, g, g, 0), {message: /layerNorm: eps must be a positive number/});
  tf.dispose([x, g]);
});
