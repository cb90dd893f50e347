// Shared by the norm family's tests (norm_*.test.ts): running a fused kernel by name on a backend, the float64
// references every kernel is checked against (plain JS, written from the definitions, never from our output), and
// switches for the CPU ISA and thread count.
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {backendUnderTest, type Tolerance, useBackend, worstMismatch} from '../testing/parity.js';
import type {HostTensor} from '../testing/random.js';

/** Runs the kernel `name` on `backend` with inputs made from host data; returns its outputs as host data. */
export function runFused(name: string, inputs: Record<string, HostTensor>, attrs: Record<string, number> = {},
                         backend = backendUnderTest): HostTensor[] {
  const previous = tf.getBackend();
  useBackend(backend);
  try {
    let out: HostTensor[] = [];
    tf.tidy(() => {
      const xs = Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype)]));
      const r = tf.engine().runKernel(name, xs, attrs) as tf.Tensor | tf.Tensor[];
      out = (Array.isArray(r) ? r : [r]).map(
          (t) => ({shape: t.shape.slice(), dtype: t.dtype, values: t.dataSync() as HostTensor['values']}));
    });
    return out;
  } finally {
    useBackend(previous);
  }
}

export function f32(shape: number[], values: ArrayLike<number>): HostTensor {
  return {shape, dtype: 'float32', values: Float32Array.from(values)};
}

/** Asserts a float32 kernel output against float64 values: shape, dtype and |got - want| <= atol + rtol |want|. */
export function assertMatches64(t: ExecutionContext, got: HostTensor | undefined, shape: number[],
                                want: ArrayLike<number>, tol: Tolerance, label: string): void {
  if (!got) {
    t.fail(`${label}: missing output`);
    return;
  }
  t.deepEqual(got.shape, shape, `${label}: shape`);
  t.is(got.dtype, 'float32', `${label}: dtype`);
  t.is(got.values.length, want.length, `${label}: size`);
  const bad = worstMismatch(got.values, want, tol);
  t.is(bad, null, bad ? `${label}: flat index ${bad.index}: got ${bad.got}, float64 reference ${bad.want}` : '');
}

// ---- float64 special functions ------------------------------------------------------------------------------------

/**
 * erf to ~1e-13: the Maclaurin series below |x| = 3 (terms stay under e^9, so < 1e-12 is lost to cancellation), the
 * continued fraction of erfc above (Lentz-free backward evaluation, 80 levels: converged to double precision at 3).
 */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 3) {
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x * x / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-18 * Math.abs(sum)) break;
    }
    return sum * 2 / Math.sqrt(Math.PI);
  }
  if (a > 27) return Math.sign(x);  // erfc underflows
  let f = a;
  for (let k = 80; k >= 1; k--) f = a + (k / 2) / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export function gelu64(z: number): number {
  return 0.5 * z * (1 + erf64(z / Math.SQRT2));
}

/** GELU'(z) = Φ(z) + z φ(z). */
export function geluGrad64(z: number): number {
  return 0.5 * (1 + erf64(z / Math.SQRT2)) + z * Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

// ---- float64 references of the kernels ----------------------------------------------------------------------------

/** LayerNorm over rows of d: biased variance, two-pass. */
export function layerNorm64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rows: number,
                            d: number, eps: number): {y: Float64Array; mean: Float64Array; rstd: Float64Array} {
  const y = new Float64Array(rows * d), mean = new Float64Array(rows), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]!;
    const m = s / d;
    let q = 0;
    for (let i = 0; i < d; i++) q += (x[r * d + i]! - m) ** 2;
    const rs = 1 / Math.sqrt(q / d + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i]! - m) * rs * gamma[i]! + beta[i]!;
  }
  return {y, mean, rstd};
}

/**
 * The LayerNorm gradient in float64, from the definition: per row, with xhat = (x - mean) rstd and g = dy gamma,
 * dx = rstd (g - mean(g) - xhat mean(g xhat)); dgamma = Σ dy xhat, dbeta = Σ dy. The tests also confirm this formula
 * by central differences of layerNorm64 on a small case. `stats` replaces the exact mean and rstd by given ones (the
 * float32 values the gradient kernel receives: a row far from zero with a tiny spread is ill-conditioned, and the
 * kernel can only be asked to be accurate for the statistics it is given).
 */
export function layerNormGrad64(dy: ArrayLike<number>, x: ArrayLike<number>, gamma: ArrayLike<number>, rows: number,
                                d: number, eps: number,
                                stats?: {mean: ArrayLike<number>; rstd: ArrayLike<number>}):
    {dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array} {
  const {mean, rstd} = stats ?? layerNorm64(x, gamma, new Float64Array(d), rows, d, eps);
  const dx = new Float64Array(rows * d), dgamma = new Float64Array(d), dbeta = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const m = mean[r]!, rs = rstd[r]!;
    let sg = 0, sgx = 0;
    for (let i = 0; i < d; i++) {
      const xh = (x[r * d + i]! - m) * rs, g = dy[r * d + i]! * gamma[i]!;
      sg += g;
      sgx += g * xh;
      dgamma[i]! += dy[r * d + i]! * xh;
      dbeta[i]! += dy[r * d + i]!;
    }
    for (let i = 0; i < d; i++) {
      const xh = (x[r * d + i]! - m) * rs;
      dx[r * d + i] = rs * (dy[r * d + i]! * gamma[i]! - sg / d - xh * sgx / d);
    }
  }
  return {dx, dgamma, dbeta};
}

/** y = x / max(‖x‖, eps) per row (NaN norm → NaN, as Math.max gives), and ‖x‖. */
export function l2Normalize64(x: ArrayLike<number>, rows: number, d: number, eps: number):
    {y: Float64Array; norm: Float64Array} {
  const y = new Float64Array(rows * d), norm = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    const n = Math.sqrt(s);
    norm[r] = n;
    const denom = Math.max(n, eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i]! / denom;
  }
  return {y, norm};
}

/** The L2Normalize gradient w.r.t. x, from x itself (the Jacobian of x / max(‖x‖, eps)). */
export function l2NormalizeGrad64(dy: ArrayLike<number>, x: ArrayLike<number>, rows: number, d: number,
                                  eps: number): Float64Array {
  const dx = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    const n = Math.sqrt(s);
    if (n > eps) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += dy[r * d + i]! * x[r * d + i]! / n;
      for (let i = 0; i < d; i++) dx[r * d + i] = (dy[r * d + i]! - x[r * d + i]! / n * dot) / n;
    } else {
      for (let i = 0; i < d; i++) dx[r * d + i] = dy[r * d + i]! / eps;
    }
  }
  return dx;
}

/** w[k] = g[k] v[k] / ‖v[k]‖ and ‖v[k]‖. */
export function weightNorm64(v: ArrayLike<number>, g: ArrayLike<number>, k: number, c: number):
    {w: Float64Array; norm: Float64Array} {
  const w = new Float64Array(k * c), norm = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    let s = 0;
    for (let i = 0; i < c; i++) s += v[r * c + i]! ** 2;
    norm[r] = Math.sqrt(s);
    for (let i = 0; i < c; i++) w[r * c + i] = g[r]! * v[r * c + i]! / norm[r]!;
  }
  return {w, norm};
}

export function weightNormGrad64(dw: ArrayLike<number>, v: ArrayLike<number>, g: ArrayLike<number>, k: number,
                                 c: number): {dv: Float64Array; dg: Float64Array} {
  const dv = new Float64Array(k * c), dg = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    let s = 0, q = 0;
    for (let i = 0; i < c; i++) {
      s += dw[r * c + i]! * v[r * c + i]!;
      q += v[r * c + i]! ** 2;
    }
    const n = Math.sqrt(q);
    dg[r] = s / n;
    for (let i = 0; i < c; i++) dv[r * c + i] = g[r]! / n * (dw[r * c + i]! - v[r * c + i]! * s / (n * n));
  }
  return {dv, dg};
}

// ---- CPU switches -------------------------------------------------------------------------------------------------

export const CPU_ISAS = ['generic', 'avx2', 'avx512'] as const;

/** Runs fn under each CPU ISA this machine supports (restoring the previous one); returns the ISAs it ran. */
export function forEachIsa(fn: (isa: (typeof CPU_ISAS)[number]) => void): string[] {
  const addon = nativeAddon();
  const start = addon.info().cpu.isa;
  const ran: string[] = [];
  try {
    for (const isa of CPU_ISAS) {
      if (!addon.setCpuIsa(isa)) continue;
      ran.push(isa);
      fn(isa);
    }
  } finally {
    addon.setCpuIsa(start);
  }
  return ran;
}

/** Runs fn with the CPU thread pool at `threads` (restored afterwards). */
export function withThreads<T>(threads: number, fn: () => T): T {
  const addon = nativeAddon();
  const start = addon.info().cpu.threads;
  addon.setNumThreads(threads);
  try {
    return fn();
  } finally {
    addon.setNumThreads(start);
  }
}
