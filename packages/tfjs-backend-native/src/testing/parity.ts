// Parity checks: run the same tfjs program on the reference backend ('cpu') and on the backend under test, then compare
// shapes, dtypes and values. Everything runs synchronously (dataSync) so concurrent ava tests cannot interleave
// backend switches.
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import type {NativeBackend} from '../backend.js';

import type {HostTensor} from './random.js';

/** The backend the parity tests exercise: 'native' here, 'cuda' in the GPU script (IBOT_TEST_BACKEND=cuda). */
export const backendUnderTest: string = process.env['IBOT_TEST_BACKEND'] ?? 'native';

export function useBackend(name: string): void {
  // For backends with synchronous initialisation the switch happens inside the call; the promise carries no news.
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new Error(`could not switch to backend '${name}'`);
}

export type TensorFn = (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** Runs fn on `backend` with inputs made from host data; returns the outputs as host data. Leaks nothing. */
export function runOn(backend: string, fn: TensorFn, inputs: readonly HostTensor[]): HostTensor[] {
  const previous = tf.getBackend();
  useBackend(backend);
  try {
    let out: HostTensor[] = [];
    tf.tidy(() => {
      const xs = inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype));
      const result = fn(...xs);
      out = (Array.isArray(result) ? result : [result]).map(
          (r) => ({shape: r.shape.slice(), dtype: r.dtype, values: r.dataSync() as HostTensor['values']}));
    });
    return out;
  } finally {
    useBackend(previous);
  }
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Index and size of the worst violation of |got - want| <= atol + rtol*|want|, or null when all pass. */
export function worstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance = {}):
    {index: number; got: number; want: number} | null {
  const rtol = tol.rtol ?? 1e-5, atol = tol.atol ?? 1e-6;
  let worst: {index: number; got: number; want: number; excess: number} | null = null;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;  // includes equal infinities
    const excess = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (!(excess <= 0) && (!worst || !(excess <= worst.excess))) worst = {index: i, got: g, want: w, excess};
  }
  return worst && {index: worst.index, got: worst.got, want: worst.want};
}

export function assertClose(t: ExecutionContext, got: HostTensor, want: HostTensor, tol: Tolerance = {},
                            label = ''): void {
  t.deepEqual(got.shape, want.shape, `${label} shape`);
  t.is(got.dtype, want.dtype, `${label} dtype`);
  t.is(got.values.length, want.values.length, `${label} size`);
  const bad = worstMismatch(got.values, want.values, tol);
  t.is(bad, null,
       bad ? `${label} value at flat index ${bad.index}: got ${bad.got}, want ${bad.want} (shape [${want.shape}])` : '');
}

/**
 * Tolerance for float32 dot products of length k over inputs in [-1, 1] (matmul, conv): the rounding error of a k-term
 * float32 sum grows like sqrt(k) * 2^-24 * |terms| (random signs), so atol scales with sqrt(k): 1e-4 up to k = 64,
 * 2.8e-4 at k = 512, still ~100x the expected error and far below what a wrong index or a dropped block gives.
 */
export function dotTolerance(k: number): Tolerance {
  return {rtol: 1e-4, atol: 1e-4 * Math.max(1, Math.sqrt(k) / 8)};
}

/** Runs fn on 'cpu' and on the backend under test and asserts the outputs match. */
export function assertParity(t: ExecutionContext, fn: TensorFn, inputs: readonly HostTensor[], tol: Tolerance = {},
                             label = ''): void {
  const want = runOn('cpu', fn, inputs);
  const got = runOn(backendUnderTest, fn, inputs);
  t.is(got.length, want.length, `${label} number of outputs`);
  const desc = inputs.map((i) => `${i.dtype}[${i.shape}]`).join(', ');
  want.forEach((w, k) => assertClose(t, got[k]!, w, tol, `${label} (inputs ${desc}) output ${k}:`));
}

/** Runs fn and asserts that none of `kernels` took the cpu fallback, so the test exercised the native code. */
export function assertRanNatively(t: ExecutionContext, kernels: readonly string[], fn: () => void): void {
  const be = tf.findBackend(backendUnderTest) as unknown as NativeBackend;
  be.resetFallbacks();
  fn();
  const fell = Object.keys(be.fallbacks()).filter((k) => kernels.includes(k));
  t.deepEqual(fell, [], `these ran on the cpu fallback: ${fell.join(', ')}`);
}
