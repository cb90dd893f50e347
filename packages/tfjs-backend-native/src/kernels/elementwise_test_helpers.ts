// Helpers for the elementwise parity tests: run one kernel directly on cpu and on the backend under test, compare
// values and the sign of zero results, and check that the native kernel (not the cpu fallback) ran.
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import type {NativeBackend} from '../backend.js';
import {assertClose, backendUnderTest, runOn, type TensorFn, type Tolerance} from '../testing/parity.js';
import type {HostTensor} from '../testing/random.js';

/** A function running `kernelName` itself on its inputs (bypassing the op's dtype casts and broadcasts). */
export function kernelFn(kernelName: string, inputNames: readonly string[], attrs: tf.NamedAttrMap = {}): TensorFn {
  return (...xs) => {
    const inputs: tf.NamedTensorMap = {};
    inputNames.forEach((n, i) => (inputs[n] = xs[i]!));
    return tf.engine().runKernel(kernelName, inputs, attrs) as tf.Tensor;
  };
}

function backend(): NativeBackend {
  return tf.findBackend(backendUnderTest) as NativeBackend;
}

/**
 * Asserts fn gives the cpu backend's shapes, dtypes and values (within tol) and the same signed zeros. With `native`,
 * also asserts that kernel ran natively (no cpu fallback was counted for it).
 */
export function check(t: ExecutionContext, fn: TensorFn, inputs: readonly HostTensor[],
                      opts: {tol?: Tolerance; label?: string; native?: string} = {}): void {
  const label = opts.label ?? '';
  const want = runOn('cpu', fn, inputs);
  const before = opts.native ? backend().fallbacks()[opts.native] ?? 0 : 0;
  const got = runOn(backendUnderTest, fn, inputs);
  if (opts.native) {
    t.is(backend().fallbacks()[opts.native] ?? 0, before, `${label}: ${opts.native} fell back to the cpu kernel`);
  }
  t.is(got.length, want.length, `${label} number of outputs`);
  const desc = inputs.map((i) => `${i.dtype}[${i.shape}]`).join(', ');
  want.forEach((w, k) => {
    const g = got[k]!;
    assertClose(t, g, w, opts.tol, `${label} (inputs ${desc}) output ${k}:`);
    const i = Array.prototype.findIndex.call(w.values, (v: number, j: number) => v === 0 && g.values[j] === 0 &&
                                                                               !Object.is(v, g.values[j]));
    t.is(i, -1, i < 0 ? '' : `${label} output ${k}: zero of the wrong sign at flat index ${i}`);
  });
}

/** float32 values that exercise special cases: NaN, infinities, signed zeros, huge, denormal, boundaries. */
export const specialFloats = [
  NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3, -7, 1e-7, -1e-7, 1e-30, 1e-40, -1e-40,
  3e38, -3e38, 88, -88, 89, -104, 14, -14, 6, 6.5, 3e9, -3e9, 1e20, 2147483648, -2147483904, 2147483520, 4294967296,
  -4294967296, 6e9, -6.5e9, 1.7e10, 7.2e16, -1.8e19, 0.1, 1e4,
];

/** int32 values at the edges: zero, ±1, wrap-around boundaries, squares near 2^31. */
export const specialInts = [
  0, 1, -1, 2, -2, 3, 6, 7, -7, 65536, 46340, -46340, 4097, 16777217, 2147483647, -2147483648,
];

/** Every (a, b) pair of `values` as two flat tensors. */
export function allPairs(values: readonly number[], dtype: 'float32' | 'int32'): [HostTensor, HostTensor] {
  const n = values.length;
  const make = (f: (i: number, j: number) => number) => {
    const v = dtype === 'float32' ? new Float32Array(n * n) : new Int32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v[i * n + j] = f(i, j);
    return {shape: [n * n], dtype, values: v};
  };
  return [make((i) => values[i]!), make((_, j) => values[j]!)];
}

export function hostTensor(values: readonly number[], dtype: 'float32' | 'int32' | 'bool', shape = [values.length]):
    HostTensor {
  const v = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) :
                                                               Uint8Array.from(values);
  return {shape, dtype, values: v};
}
