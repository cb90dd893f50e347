// Finite-difference gradient checks. gradCheck: tf.grads of any tfjs program on the backend under test against
// central differences of the same program on the same backend (float32), along random directions.
// finiteDifferences64: element-wise central differences of a float64 JS function, the reference for kernel tests.
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

import {backendUnderTest, type Tolerance, useBackend, worstMismatch} from './parity.js';
import {type HostTensor, Rng, testSeed} from './random.js';

const EPS32 = 2 ** -23;

export interface GradCheckOptions {
  /** Backend to run on (default: the backend under test). */
  backend?: string;
  /** Seed of the random output weights and directions (default: testSeed()). */
  seed?: number;
  /** Number of random directions checked (default 4). */
  directions?: number;
  /** Step, relative to each input's RMS value (default 1e-2; a second run uses h/2; see gradCheck). */
  h?: number;
  /** Relative tolerance on each directional derivative (default 2e-2). */
  rtol?: number;
  /** Multiplier of the rounding-noise floor (default 8; raise it for programs with large cancelling intermediates). */
  noiseFactor?: number;
  /** Indices of the inputs to differentiate (default: every float32 input). */
  wrt?: number[];
}

export interface DirectionCheck {
  /** The derivative of L along v from central differences (Richardson-extrapolated). */
  numeric: number;
  /** The same derivative from tf.grads: sum over inputs of <grad, (x+ - x-) / 2s>. */
  analytic: number;
  tolerance: number;
}

export interface GradCheckResult {
  passed: boolean;
  seed: number;
  checks: DirectionCheck[];
  /** A one-line summary for assertion messages. */
  summary: string;
}

type Program = (...xs: tf.Tensor[]) => tf.Tensor;

function rms(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return v.length ? Math.sqrt(s / v.length) : 0;
}

/**
 * Checks tf.grads(f) on a backend against central differences of f on the same backend.
 *
 * The program's output y is projected on fixed random weights w ~ U[-1, 1], L = sum(w * y), so every output element
 * contributes and errors cannot cancel by symmetry; the gradient is then checked along random directions v (each
 * element U[-1, 1] times its input's RMS). Per direction, the defect d(s) (central difference minus the analytic
 * derivative, at step s) is taken at s = h and h/2 and Richardson-extrapolated, (4 d(h/2) - d(h)) / 3, which cancels
 * the O(h^2) truncation term: 4 forward runs per direction whatever the input size.
 *
 * Tolerance rationale: |defect| <= rtol * |derivative| + noise + |d(h) - d(h/2)|, where
 * - noise is the float32 rounding of the forward runs: each output element carries a relative error of a few eps32
 *   of random sign, so L is off by about eps32 * ||w * y||_2 (an error sum; sum |w * y| would overestimate it by
 *   sqrt(size)), and a difference quotient over step s by that over s. noiseFactor (8) is headroom for rounding
 *   inside f; programs with large cancelling intermediates can raise it.
 * - |d(h) - d(h/2)| is a measured bound on what the extrapolation leaves: it is large only when f is not smooth at
 *   the scale of h (the float32 staircase of a saturated tanh or exp, a kink) and stays tiny for a wrong gradient of
 *   a smooth f, whose defect is the same at both steps.
 * - rtol = 2e-2 covers the analytic gradient's own float32 error with room. A wrong gradient (a missing term, a
 *   wrong broadcast sum, a transposed factor) is off by O(1) relative along a random direction.
 * Measured with the defaults (h = 1e-2), 60 random inputs x 4 directions each: correct gradients of a softmax of
 * logits in [-9, 9], a layer norm, a log-sum-exp, an erf GELU, a saturated tanh(matmul) composite and a
 * [256, 256] x [256, 64] matmul all stayed below 0.07 of the tolerance; a gradient 5 % off was caught by a single
 * direction 88-100 % of the time, so by one of 4 directions practically always.
 * Perturbed inputs are rounded to float32 and the analytic side uses the rounded steps, so input rounding adds no
 * error. Keep inputs away from kinks (relu at 0, max ties, abs at 0).
 */
export function gradCheck(f: Program, inputs: readonly HostTensor[], opts: GradCheckOptions = {}): GradCheckResult {
  const seed = opts.seed ?? testSeed();
  const rng = new Rng(seed);
  const h = opts.h ?? 1e-2, rtol = opts.rtol ?? 2e-2, noiseFactor = opts.noiseFactor ?? 8;
  const wrt = opts.wrt ?? inputs.flatMap((x, i) => (x.dtype === 'float32' ? [i] : []));
  if (wrt.length === 0) throw new Error('gradCheck: no float32 input to differentiate');
  const previous = tf.getBackend();
  useBackend(opts.backend ?? backendUnderTest);
  try {
    // L's value and its rounding scale ||w * y||_2 at a given set of inputs.
    let weights: tf.Tensor | undefined;
    const loss = (xs: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(tf.cast(f(...xs), 'float32'), weights!));
    const evaluate = (values: readonly HostTensor[]): {value: number; scale: number} => tf.tidy(() => {
      const xs = values.map((v) => tf.tensor(v.values, v.shape, v.dtype));
      const wy = tf.mul(tf.cast(f(...xs), 'float32'), weights!);
      const terms = wy.dataSync();
      let sq = 0;
      for (let i = 0; i < terms.length; i++) sq += terms[i]! * terms[i]!;
      return {value: tf.sum(wy).dataSync()[0]!, scale: Math.sqrt(sq)};
    });

    // Output weights, shaped like f's output.
    const outShape = tf.tidy(() => f(...inputs.map((v) => tf.tensor(v.values, v.shape, v.dtype))).shape);
    const w = new Float32Array(outShape.reduce((a, b) => a * b, 1)).map(() => rng.uniform(-1, 1));
    weights = tf.tensor(w, outShape, 'float32');

    try {
      const grads: Float32Array[] = tf.tidy(() => {
        const xs = inputs.map((v) => tf.tensor(v.values, v.shape, v.dtype));
        const g = tf.grads((...ws: tf.Tensor[]) => {
          const all = xs.slice();
          wrt.forEach((i, k) => (all[i] = ws[k]!));
          return loss(all);
        });
        return g(wrt.map((i) => xs[i]!)).map((t) => t.dataSync() as Float32Array);
      });

      // The derivative along v at step s: numeric (central difference) and analytic (grads dotted with the actual,
      // float32-rounded step), each divided by 2s; and the rounding scale of the two forward runs.
      const along = (v: Float64Array[], s: number) => {
        const plus = inputs.slice(), minus = inputs.slice();
        let analytic = 0;
        wrt.forEach((i, k) => {
          const x = inputs[i]!.values;
          const xp = new Float32Array(x.length), xm = new Float32Array(x.length);
          for (let j = 0; j < x.length; j++) {
            xp[j] = x[j]! + s * v[k]![j]!;
            xm[j] = x[j]! - s * v[k]![j]!;
            analytic += grads[k]![j]! * (xp[j]! - xm[j]!);
          }
          plus[i] = {...inputs[i]!, values: xp};
          minus[i] = {...inputs[i]!, values: xm};
        });
        const p = evaluate(plus), m = evaluate(minus);
        const scale = Math.max(p.scale, m.scale);
        return {numeric: (p.value - m.value) / (2 * s), analytic: analytic / (2 * s), scale};
      };

      const checks: DirectionCheck[] = [];
      for (let d = 0; d < (opts.directions ?? 4); d++) {
        // v: U[-1, 1] per element, times each input's RMS so every input moves by the same relative amount.
        const v = wrt.map((i) => {
          const x = inputs[i]!.values;
          const r = rms(x) || 1;
          return Float64Array.from(x, () => rng.uniform(-1, 1) * r);
        });
        const coarse = along(v, h), fine = along(v, h / 2);
        const defectCoarse = coarse.numeric - coarse.analytic, defectFine = fine.numeric - fine.analytic;
        // Richardson extrapolation cancels the h^2 truncation term of the central differences.
        const defect = (4 * defectFine - defectCoarse) / 3;
        const noise = 3 * noiseFactor * EPS32 * Math.max(coarse.scale, fine.scale) / h;
        const tolerance = rtol * Math.max(Math.abs(fine.numeric), Math.abs(fine.analytic)) + noise +
            Math.abs(defectFine - defectCoarse);
        checks.push({numeric: fine.analytic + defect, analytic: fine.analytic, tolerance});
      }
      const bad = checks.filter((c) => !(Math.abs(c.numeric - c.analytic) <= c.tolerance));
      const summary = `gradCheck (seed ${seed}, h ${h}, rtol ${rtol}): ` +
          checks.map((c) => `numeric ${c.numeric.toPrecision(6)} vs analytic ${c.analytic.toPrecision(6)} ` +
                             `(tol ${c.tolerance.toPrecision(2)})`).join('; ');
      return {passed: bad.length === 0, seed, checks, summary};
    } finally {
      weights.dispose();
    }
  } finally {
    useBackend(previous);
  }
}

/** Asserts that gradCheck passes; the message carries every directional derivative and the seed. */
export function assertGradCheck(t: ExecutionContext, f: Program, inputs: readonly HostTensor[],
                                opts: GradCheckOptions = {}, label = ''): GradCheckResult {
  const r = gradCheck(f, inputs, opts);
  t.true(r.passed, `${label} ${r.summary}`);
  return r;
}

/**
 * dL/dx for every element of every input of a float64 function L, by central differences with step h. For the
 * multilinear forward ops our gradient tests use (matmul, tile, sums) a central difference is exact up to float64
 * rounding, so h only trades rounding (~1e-16 * |terms| / h) against nothing: the default 1e-3 gives ~1e-12.
 */
export function finiteDifferences64(L: (xs: Float64Array[]) => number, xs: readonly Float64Array[], h = 1e-3):
    Float64Array[] {
  const work = xs.map((x) => Float64Array.from(x));
  return work.map((x) => {
    const g = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const x0 = x[j]!;
      x[j] = x0 + h;
      const lp = L(work);
      x[j] = x0 - h;
      const lm = L(work);
      x[j] = x0;
      g[j] = (lp - lm) / (2 * h);
    }
    return g;
  });
}

export interface Reference64Options {
  backend?: string;
  seed?: number;
  /** Tolerance of the float32 gradients against the float64 ones (default rtol 1e-5, atol 1e-5). */
  tol?: Tolerance;
  label?: string;
}

/**
 * Asserts that tf.grads of L = sum(w * f(x)) on a backend matches the central differences of the float64 reference
 * `ref` (the same forward op written in plain JS, returning f(x) flattened in row-major order), w ~ U[-1, 1] fixed.
 */
export function assertGradMatchesReference64(t: ExecutionContext, f: Program,
                                             ref: (xs: readonly Float64Array[]) => Float64Array,
                                             inputs: readonly HostTensor[], opts: Reference64Options = {}): void {
  const seed = opts.seed ?? testSeed();
  const rng = new Rng(seed);
  const backend = opts.backend ?? backendUnderTest;
  const xs64 = inputs.map((x) => Float64Array.from(x.values));
  const w = Float64Array.from(ref(xs64), () => rng.uniform(-1, 1));
  const want = finiteDifferences64((xs) => ref(xs).reduce((acc, y, i) => acc + w[i]! * y, 0), xs64);

  const previous = tf.getBackend();
  useBackend(backend);
  let got: Float32Array[];
  try {
    got = tf.tidy(() => {
      const xs = inputs.map((x) => tf.tensor(x.values, x.shape, x.dtype));
      const wT = tf.tensor(Float32Array.from(w), [w.length]);
      const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(tf.reshape(f(...ys), [-1]), wT)));
      return g(xs).map((d, i) => {
        t.deepEqual(d.shape, inputs[i]!.shape, `${opts.label ?? ''} on ${backend}: shape of gradient ${i}`);
        return d.dataSync() as Float32Array;
      });
    });
  } finally {
    useBackend(previous);
  }
  const desc = inputs.map((x) => `[${x.shape}]`).join(', ');
  want.forEach((wv, i) => {
    const bad = worstMismatch(got[i]!, wv, opts.tol ?? {rtol: 1e-5, atol: 1e-5});
    t.is(bad, null, bad ? `${opts.label ?? ''} on ${backend}, inputs ${desc} (seed ${seed}): gradient ${i} at ` +
                          `flat index ${bad.index}: got ${bad.got}, float64 reference ${bad.want}` : '');
  });
}
