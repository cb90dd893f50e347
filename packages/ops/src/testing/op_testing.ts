// Test helpers of @ibotjs/ops (type-checked, not built): running an op on a backend with its path forced, comparing
// float32 results with float64 references, and the float64 math the references need.
import {backendUnderTest, runOn, type Tolerance, worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import type {HostTensor, Rng} from '@ibotjs/tfjs-backend-native/testing/random';
import type * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import {type FusedImpl, withFusedImpl} from '../dispatch.js';

/** The backends composite tests run on: tfjs's own cpu and the backend under test (native, or cuda on a GPU). */
export const compositeBackends: readonly string[] = ['cpu', backendUnderTest];

/** runOn (testing/parity.ts) with the ops forced onto one path. */
export function runOp(backend: string, impl: FusedImpl, fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
                      inputs: readonly HostTensor[]): HostTensor[] {
  return runOn(backend, (...xs) => withFusedImpl(impl, () => fn(...xs)), inputs);
}

/** A float32 host tensor of the given values. */
export function host(values: ArrayLike<number>, shape: number[]): HostTensor {
  return {shape, dtype: 'float32', values: Float32Array.from(values)};
}

export function boolHost(values: ArrayLike<number | boolean>, shape: number[]): HostTensor {
  return {shape, dtype: 'bool', values: Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0))};
}

/** Uniform float32 values in [lo, hi]. */
export function uniformHost(rng: Rng, shape: number[], lo = -1, hi = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return host(Array.from({length: n}, () => rng.uniform(lo, hi)), shape);
}

export function f64(x: HostTensor): Float64Array {
  return Float64Array.from(x.values);
}

/** Asserts a float32 result matches a float64 reference (shape, dtype float32, values within tol). */
export function assertMatches64(t: ExecutionContext, got: HostTensor, want: ArrayLike<number>, shape: number[],
                                tol: Tolerance, label: string): void {
  t.deepEqual(got.shape, shape, `${label}: shape`);
  t.is(got.dtype, 'float32', `${label}: dtype`);
  t.is(got.values.length, want.length, `${label}: size`);
  const bad = worstMismatch(got.values, want, tol);
  t.is(bad, null, bad ? `${label}: flat index ${bad.index}: got ${bad.got}, float64 reference ${bad.want} ` +
                        `(shape [${shape}], rtol ${tol.rtol}, atol ${tol.atol})` : '');
}

/** Asserts |got[i] - want[i]| <= tol(i) everywhere (element-wise tolerances), naming the first violation. */
export function assertWithin(t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>,
                             tol: (i: number) => number, label: string): void {
  t.is(got.length, want.length, `${label}: size`);
  const bad = Array.from(want).findIndex((w, i) => !(Math.abs(got[i]! - w) <= tol(i)));
  t.is(bad, -1, bad < 0 ? '' : `${label}: flat index ${bad}: got ${got[bad]}, float64 reference ${want[bad]} (tolerance ${tol(bad)})`);
}

/**
 * erf in float64 to ~1e-16: below |x| = 3 the series erf x = 2/√π e^(-x²) Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose
 * terms are all positive (no cancellation); above, 1 − erfc from its continued fraction (checked against tabulated
 * values in linear.test.ts).
 */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= 2 * ax * ax / (2 * n + 1);
      sum += term;
    }
    return Math.sign(x) * 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
  }
  // erfc x = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from the tail.
  let f = ax;
  for (let n = 120; n >= 1; n--) f = ax + (n / 2) / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export function gelu64(z: number): number {
  return 0.5 * z * (1 + erf64(z * Math.SQRT1_2));
}

/** Row-wise softmax of a [rows, n] float64 matrix. */
export function softmaxRows64(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[r * n + j]!);
    let s = 0;
    for (let j = 0; j < n; j++) s += (out[r * n + j] = Math.exp(x[r * n + j]! - max));
    for (let j = 0; j < n; j++) out[r * n + j]! /= s;
  }
  return out;
}

/** Row-wise log-softmax of a [rows, n] float64 matrix. */
export function logSoftmaxRows64(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[r * n + j]!);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[r * n + j]! - max);
    const lse = max + Math.log(s);
    for (let j = 0; j < n; j++) out[r * n + j] = x[r * n + j]! - lse;
  }
  return out;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
