// Helpers for the FusedAttention / FusedAttentionGrad tests: a float64 reference written from the definition (never
// from our kernels' output), the kernels run through tfjs on any backend, and error bounds for float32 attention.
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {backendUnderTest, runOn, worstMismatch} from '../testing/parity.js';
import type {HostTensor, Rng} from '../testing/random.js';

export type Shape4 = [number, number, number, number];

const EPS = 2 ** -24;  // float32 unit roundoff

export interface ForwardReference {
  out: Float64Array;    // [B, H, N, d]
  lse: Float64Array;    // [B, H, N]
  probs: Float64Array;  // [B, H, N, N]
  /** max over (head, i, j) of |scale| Σ_p |q_ip k_jp|: how large the terms of the float32 score sums get. */
  logitMagnitude: number;
  /** max |lse| */
  lseMagnitude: number;
}

export interface BackwardReference {
  dq: Float64Array;
  dk: Float64Array;
  dv: Float64Array;
  /**
   * The largest sum of |terms| behind an element of each gradient, with dS's terms taken as P (|dP| + |D|) |scale|:
   * the size float32 rounding errors scale with (a gradient can cancel to 0, e.g. dq at N = 1, while its terms
   * do not).
   */
  magnitude: {dq: number; dk: number; dv: number};
}

/** softmax(q kᵀ · scale) v per head in float64, with the log-sum-exp of every score row and the probabilities. */
export function referenceForward(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, shape: Shape4,
                                 scale: number): ForwardReference {
  const [B, H, N, d] = shape;
  const out = new Float64Array(B * H * N * d), lse = new Float64Array(B * H * N), probs = new Float64Array(B * H * N * N);
  let logitMagnitude = 0, lseMagnitude = 0;
  const s = new Float64Array(N);
  for (let h = 0; h < B * H; h++) {
    const base = h * N * d;
    for (let i = 0; i < N; i++) {
      let max = -Infinity;
      for (let j = 0; j < N; j++) {
        let dot = 0, mag = 0;
        for (let p = 0; p < d; p++) {
          const term = q[base + i * d + p]! * k[base + j * d + p]!;
          dot += term;
          mag += Math.abs(term);
        }
        s[j] = scale * dot;
        logitMagnitude = Math.max(logitMagnitude, Math.abs(scale) * mag);
        max = Math.max(max, s[j]!);
      }
      let sum = 0;
      for (let j = 0; j < N; j++) sum += Math.exp(s[j]! - max);
      const l = max + Math.log(sum);
      lse[h * N + i] = l;
      lseMagnitude = Math.max(lseMagnitude, Math.abs(l));
      const prow = (h * N + i) * N;
      for (let j = 0; j < N; j++) probs[prow + j] = Math.exp(s[j]! - l);
      for (let j = 0; j < N; j++) {
        const pj = probs[prow + j]!;
        for (let c = 0; c < d; c++) out[base + i * d + c] += pj * v[base + j * d + c]!;
      }
    }
  }
  return {out, lse, probs, logitMagnitude, lseMagnitude};
}

/**
 * Gradients of sum(out ⊙ dy) in float64 from the definition: dV = Pᵀ dY, dP = dY Vᵀ, dS = P ⊙ (dP - rowsum(P ⊙ dP)),
 * dQ = scale · dS K, dK = scale · dSᵀ Q.
 */
export function referenceBackward(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>,
                                  dy: ArrayLike<number>, shape: Shape4, scale: number,
                                  fwd: ForwardReference): BackwardReference {
  const [B, H, N, d] = shape;
  const dq = new Float64Array(B * H * N * d), dk = new Float64Array(B * H * N * d), dv = new Float64Array(B * H * N * d);
  // dpAbs[j] = Σ_c |dy_c · v_c|: dP's float32 rounding error scales with it, not with |dP| (which may cancel to ~0).
  const dp = new Float64Array(N), dpAbs = new Float64Array(N);
  const aq = new Float64Array(B * H * N * d), ak = new Float64Array(B * H * N * d), av = new Float64Array(B * H * N * d);
  for (let h = 0; h < B * H; h++) {
    const base = h * N * d;
    for (let i = 0; i < N; i++) {
      const prow = (h * N + i) * N;
      let D = 0, dAbs = 0;
      for (let j = 0; j < N; j++) {
        let dot = 0, abs = 0;
        for (let c = 0; c < d; c++) {
          const t = dy[base + i * d + c]! * v[base + j * d + c]!;
          dot += t;
          abs += Math.abs(t);
        }
        dp[j] = dot;
        dpAbs[j] = abs;
        D += fwd.probs[prow + j]! * dot;
        dAbs += fwd.probs[prow + j]! * abs;
      }
      for (let j = 0; j < N; j++) {
        const pj = fwd.probs[prow + j]!;
        const ds = pj * (dp[j]! - D) * scale;
        const dsMag = pj * (dpAbs[j]! + dAbs) * Math.abs(scale);
        for (let c = 0; c < d; c++) {
          const y = dy[base + i * d + c]!, kk = k[base + j * d + c]!, qq = q[base + i * d + c]!;
          dv[base + j * d + c] += pj * y;
          dq[base + i * d + c] += ds * kk;
          dk[base + j * d + c] += ds * qq;
          av[base + j * d + c] += pj * Math.abs(y);
          aq[base + i * d + c] += dsMag * Math.abs(kk);
          ak[base + j * d + c] += dsMag * Math.abs(qq);
        }
      }
    }
  }
  return {dq, dk, dv, magnitude: {dq: maxAbs(aq), dk: maxAbs(ak), dv: maxAbs(av)}};
}

/**
 * Error bound for a float32 attention result against the float64 reference, as an absolute tolerance relative to
 * the result's largest magnitude. Sources, each with a safety factor of 4-16 over its typical size:
 *  - float32 sums: the d-term score dots and the N-term products drift like sqrt(K) · 2^-24 of their terms (random
 *    signs), and the results here are bounded by maxAbs (inputs in [-1, 1]);
 *  - the scores' own rounding, sqrt(d) · 2^-24 · Σ|terms| (logitMagnitude), enters the probabilities as a relative
 *    error through exp (0 when the scores are exact, e.g. small integers times a power of two);
 *  - lse is a float32: |lse| · 2^-24 absolute, which exp turns into a relative error of the recomputed probabilities;
 *  - exp_f32 / log_f32 are within a few ulp.
 * Typical errors are ~50x below this; a dropped key, a wrong row or column, or a missing scale gives errors of
 * order 1/N or more, far above it.
 */
export function attentionTolerance(n: number, d: number, ref: ForwardReference, maxAbs: number,
                                   exactLogits = false, tf32 = false): {atol: number; rtol: number} {
  const logits = exactLogits ? 0 : 8 * Math.sqrt(d) * ref.logitMagnitude;
  let atol = maxAbs * EPS * (16 * (Math.sqrt(n) + Math.sqrt(d)) + logits + 4 * ref.lseMagnitude + 16) + 1e-30;
  // TF32 tensor cores (cuda): every operand of a product is rounded to 2^-11 relative; in the scores that error is
  // relative to their terms' magnitude and reaches the probabilities through exp.
  if (tf32) atol += maxAbs * 2 ** -11 * (8 + 4 * ref.logitMagnitude);
  return {atol, rtol: tf32 ? 2 ** -10 : 16 * EPS};
}

/**
 * Runs fn with the cuda backend in strict FP32 (no TF32 tensor cores), the precision these tolerances are for; a
 * no-op on the CPU backend, which is always FP32.
 */
export function withStrictFp32(fn: () => void): void {
  if (backendUnderTest !== 'cuda') {
    fn();
    return;
  }
  const addon = nativeAddon();
  const before = addon.info().cuda.tf32;
  addon.setAllowTf32(false);
  try {
    fn();
  } finally {
    addon.setAllowTf32(before);
  }
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** Asserts got ≈ want elementwise (both finite where want is), naming the worst element on failure. */
export function assertNear(t: ExecutionContext, got: HostTensor, wantShape: number[], want: ArrayLike<number>,
                           tol: {atol: number; rtol: number}, label: string): void {
  t.deepEqual(got.shape, wantShape, `${label}: shape`);
  t.is(got.dtype, 'float32', `${label}: dtype`);
  const bad = worstMismatch(got.values, want, tol);
  t.is(bad, null, bad ? `${label}: flat index ${bad.index}: got ${bad.got}, want ${bad.want} (atol ${tol.atol.toExponential(
                            2)}, rtol ${tol.rtol.toExponential(2)})` : '');
}

/** FusedAttention through the engine on `backend`: [out, lse] or [out, lse, probs]. */
export function runForward(backend: string, q: HostTensor, k: HostTensor, v: HostTensor, scale: number,
                           returnProbs: boolean): HostTensor[] {
  return runOn(backend, (qt, kt, vt) => tf.engine().runKernel('FusedAttention', {q: qt!, k: kt!, v: vt!},
                                                                 {scale, returnProbs}) as tf.Tensor[], [q, k, v]);
}

/** FusedAttentionGrad through the engine on `backend`: [dq, dk, dv]. */
export function runBackward(backend: string, q: HostTensor, k: HostTensor, v: HostTensor, out: HostTensor,
                            lse: HostTensor, dy: HostTensor, scale: number): HostTensor[] {
  return runOn(backend, (qt, kt, vt, ot, lt, dt) => tf.engine().runKernel(
                            'FusedAttentionGrad', {q: qt!, k: kt!, v: vt!, out: ot!, lse: lt!, dy: dt!}, {scale}) as
                            tf.Tensor[],
               [q, k, v, out, lse, dy]);
}

/** float32 host tensor of the given values (rounded from float64). */
export function hostF32(shape: number[], values: ArrayLike<number>): HostTensor {
  return {shape, dtype: 'float32', values: Float32Array.from(values)};
}

/** Uniform in [lo, hi], or small integers in [lo, hi] when `integers` (exact float32 dot products). */
export function randomInputs(rng: Rng, shape: number[], lo = -1, hi = 1, integers = false): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = integers ? rng.int(lo, hi) : rng.uniform(lo, hi);
  return {shape, dtype: 'float32', values};
}
