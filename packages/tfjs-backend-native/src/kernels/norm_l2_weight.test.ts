// L2Normalize and WeightNorm with their gradients against float64 references: random shapes over rows {0, 1, 7, 197,
// 1000+} x D {1, 3, 64, 384, 1000}, several eps, zero rows and rows below eps (the clamp, forward and backward), NaN
// and Inf rows against the composite ops on tfjs cpu, every CPU ISA, 1 vs 2 threads. The gradient kernels are checked
// against the analytic float64 Jacobians on large shapes and against central differences of the float64 forward
// functions (the definitions themselves) on small ones.
//
// Tolerances: y = x / ‖x‖ is a float32 norm of D squares (~sqrt(D) 2^-24 relative) then one division: 1e-5 relative
// is ~10x that. The gradients sum D products once more.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {finiteDifferences64} from '../testing/gradcheck.js';
import {assertRanNatively, backendUnderTest, runOn, type Tolerance, worstMismatch} from '../testing/parity.js';
import {randomTensor, type Rng, seededRng} from '../testing/random.js';

import {
  assertMatches64,
  f32,
  forEachIsa,
  l2Normalize64,
  l2NormalizeGrad64,
  runFused,
  weightNorm64,
  weightNormGrad64,
  withThreads,
} from './norm_test_helpers.js';

const ROWS = [0, 1, 7, 197, 1031];
const DIMS = [1, 3, 64, 384, 1000];
const TOL: Tolerance = {rtol: 1e-5, atol: 1e-6};
const GRAD_TOL: Tolerance = {rtol: 1e-4, atol: 1e-5};

function leading(rows: number, rng: Rng): number[] {
  if (rows === 1 && rng.next() < 0.5) return [];
  if (rows === 197 && rng.next() < 0.5) return [1, 197];
  return [rows];
}

// ---- L2Normalize ---------------------------------------------------------------------------------------------------

/** Forward and backward of one case; x's rows at `smallRows` are scaled to norms below eps (the clamp). */
function checkL2(t: ExecutionContext, rng: Rng, lead: number[], d: number, eps: number, label: string,
                 smallRows: number[] = []): void {
  const rows = lead.reduce((a, b) => a * b, 1);
  const x = randomTensor(rng, [...lead, d]);
  for (const r of smallRows) {
    for (let i = 0; i < d; i++) (x.values as Float32Array)[r * d + i] *= eps / (4 * Math.sqrt(d));
  }
  const [y, norm] = runFused('L2Normalize', {x}, {eps});
  const want = l2Normalize64(x.values, rows, d, eps);
  assertMatches64(t, y, x.shape, want.y, TOL, `${label} y`);
  assertMatches64(t, norm, lead, want.norm, {rtol: 1e-5, atol: 0}, `${label} norm`);
  const dy = randomTensor(rng, x.shape);
  const [dx] = runFused('L2NormalizeGrad', {dy, y: y!, norm: norm!}, {eps});
  // dx scales like |dy| / max(norm, eps): the clamped rows are 1/eps larger.
  const scale = Math.max(1, ...smallRows.map(() => 1 / eps));
  assertMatches64(t, dx, x.shape, l2NormalizeGrad64(dy.values, x.values, rows, d, eps),
                  {rtol: GRAD_TOL.rtol, atol: GRAD_TOL.atol! * scale}, `${label} dx`);
}

test('L2Normalize(+Grad) match float64 over rows x D x eps', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, ['L2Normalize', 'L2NormalizeGrad'], () => {
    for (const rows of ROWS) {
      for (const d of DIMS) {
        const eps = rng.pick([1e-12, 1e-6, 0.5]);
        checkL2(t, rng, leading(rows, rng), d, eps, `rows ${rows} D ${d} eps ${eps}`);
      }
    }
  });
});

test('L2Normalize(+Grad) with rows under the clamp: y = x / eps and dx = dy / eps there', (t) => {
  const rng = seededRng(t);
  for (const d of [1, 3, 64, 384]) {
    for (const eps of [1e-3, 0.5, 2]) checkL2(t, rng, [9], d, eps, `D ${d} eps ${eps}`, [0, 4, 8]);
  }
});

test('L2Normalize(+Grad) of zero rows: y = 0, norm = 0, dx = dy / eps (eps = 1e-12); eps = 0 gives NaN', (t) => {
  const rng = seededRng(t);
  for (const d of [1, 5, 256]) {
    const x = f32([3, d], [...Array(d).fill(0), ...randomTensor(rng, [d]).values, ...Array(d).fill(-0)]);
    const [y, norm] = runFused('L2Normalize', {x}, {eps: 1e-12});
    t.true([...y!.values.slice(0, d), ...y!.values.slice(2 * d)].every((v) => v === 0), `D ${d}: zero rows give 0`);
    t.deepEqual([norm!.values[0], norm!.values[2]], [0, 0]);
    const dy = randomTensor(rng, [3, d]);
    const [dx] = runFused('L2NormalizeGrad', {dy, y: y!, norm: norm!}, {eps: 1e-12});
    assertMatches64(t, dx, [3, d], l2NormalizeGrad64(dy.values, x.values, 3, d, 1e-12), {rtol: 1e-5, atol: 1e-5},
                    `D ${d} dx`);
    // eps = 0: 0 / max(0, 0) = NaN, as the composite gives.
    const [y0] = runFused('L2Normalize', {x}, {eps: 0});
    t.true(y0!.values.slice(0, d).every(Number.isNaN), `D ${d}: eps 0 gives NaN for a zero row`);
  }
});

test('L2Normalize with NaN and Inf gives what the composite x / max(sqrt(sum(x²)), eps) gives on tfjs cpu', (t) => {
  const rng = seededRng(t);
  for (const d of [3, 256]) {
    const x = randomTensor(rng, [5, d]);
    const v = x.values as Float32Array;
    v[1] = NaN;                    // row 0
    v[1 * d + 2] = Infinity;       // row 1
    v[2 * d] = -Infinity;          // row 2
    const eps = 1e-12;
    const composite = (xt: tf.Tensor) => {
      const n = tf.sqrt(tf.sum(tf.square(xt), -1));
      return [tf.div(xt, tf.maximum(tf.expandDims(n, -1), eps)), n];
    };
    const want = runOn('cpu', composite, [x]);
    const got = runFused('L2Normalize', {x}, {eps});
    want.forEach((w, k) => {
      const bad = worstMismatch(got[k]!.values, w.values, TOL);
      t.is(bad, null, `D ${d} output ${k}: ${JSON.stringify(bad)}`);
      for (let i = 0; i < w.values.length; i++) {
        if (Number.isNaN(w.values[i]!) !== Number.isNaN(got[k]!.values[i]!)) {
          t.fail(`D ${d} output ${k}[${i}]: got ${got[k]!.values[i]}, composite ${w.values[i]}`);
          return;
        }
      }
    });
  }
});

test('the float64 L2Normalize Jacobian agrees with central differences of the float64 forward pass', (t) => {
  const rng = seededRng(t);
  for (const [rows, d, eps] of [[3, 5, 1e-12], [2, 8, 0.5], [1, 1, 1e-6]] as const) {
    const x = randomTensor(rng, [rows, d]).values;
    if (eps === 0.5) for (let i = 0; i < d; i++) x[i]! *= 0.01;  // row 0 under the clamp
    const w = Float64Array.from({length: rows * d}, () => rng.uniform(-1, 1));
    const [g] = finiteDifferences64(
        ([xs]) => l2Normalize64(xs!, rows, d, eps).y.reduce((acc, y, i) => acc + w[i]! * y, 0),
        [Float64Array.from(x)], 1e-6);
    t.is(worstMismatch(l2NormalizeGrad64(w, x, rows, d, eps), g!, {rtol: 1e-6, atol: 1e-7}), null,
         `[${rows},${d}] eps ${eps}`);
  }
});

// ---- WeightNorm ----------------------------------------------------------------------------------------------------

function checkWeightNorm(t: ExecutionContext, rng: Rng, k: number, c: number, label: string): void {
  const v = randomTensor(rng, [k, c], 'float32', {min: -0.0625, max: 0.0625});  // the head's U(±1/sqrt(256)) init
  const g = randomTensor(rng, [k, 1], 'float32', {min: 0.5, max: 2});
  const [w, vNorm] = runFused('WeightNorm', {v, g});
  const want = weightNorm64(v.values, g.values, k, c);
  assertMatches64(t, w, [k, c], want.w, TOL, `${label} w`);
  assertMatches64(t, vNorm, [k], want.norm, {rtol: 1e-5, atol: 0}, `${label} vNorm`);
  const dw = randomTensor(rng, [k, c]);
  const [dv, dg] = runFused('WeightNormGrad', {dw, v, g, vNorm: vNorm!});
  const grad = weightNormGrad64(dw.values, v.values, g.values, k, c);
  // dv ~ g |dw| / ‖v‖: ‖v‖ is ~0.036 sqrt(C) here, so scale atol by 1 / min ‖v‖.
  const minNorm = want.norm.reduce((a, n) => Math.min(a, n), Infinity);
  const scale = Math.max(1, 1 / minNorm);
  assertMatches64(t, dv, [k, c], grad.dv, {rtol: GRAD_TOL.rtol, atol: GRAD_TOL.atol! * scale}, `${label} dv`);
  assertMatches64(t, dg, [k, 1], grad.dg, {rtol: GRAD_TOL.rtol, atol: GRAD_TOL.atol! * Math.sqrt(c)}, `${label} dg`);
}

test('WeightNorm(+Grad) match float64 over K x C (including the head shape [8192, 256])', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, ['WeightNorm', 'WeightNormGrad'], () => {
    for (const k of ROWS) for (const c of DIMS) checkWeightNorm(t, rng, k, c, `[${k},${c}]`);
    checkWeightNorm(t, rng, 8192, 256, '[8192,256]');
  });
});

test('the float64 WeightNorm gradient agrees with central differences of g v / ‖v‖', (t) => {
  const rng = seededRng(t);
  for (const [k, c] of [[3, 4], [2, 9], [1, 1]] as const) {
    const v = randomTensor(rng, [k, c]).values, g = randomTensor(rng, [k, 1]).values;
    const w = Float64Array.from({length: k * c}, () => rng.uniform(-1, 1));
    const [gv, gg] = finiteDifferences64(
        ([vs, gs]) => weightNorm64(vs!, gs!, k, c).w.reduce((acc, y, i) => acc + w[i]! * y, 0),
        [Float64Array.from(v), Float64Array.from(g)], 1e-6);
    const analytic = weightNormGrad64(w, v, g, k, c);
    t.is(worstMismatch(analytic.dv, gv!, {rtol: 1e-6, atol: 1e-7}), null, `dv [${k},${c}]`);
    t.is(worstMismatch(analytic.dg, gg!, {rtol: 1e-6, atol: 1e-7}), null, `dg [${k},${c}]`);
  }
});

test('WeightNorm of a zero row gives NaN (0 / 0) as the composite g v / ‖v‖ does; other rows are untouched', (t) => {
  const rng = seededRng(t);
  const c = 40;
  const v = randomTensor(rng, [3, c]);
  (v.values as Float32Array).fill(0, c, 2 * c);  // row 1
  const g = f32([3, 1], [1, 1, 2]);
  const want = runOn('cpu', (vt, gt) => tf.div(tf.mul(gt, vt), tf.norm(vt, 'euclidean', 1, true)), [v, g])[0]!;
  const [w, vNorm] = runFused('WeightNorm', {v, g});
  t.true(w!.values.slice(c, 2 * c).every(Number.isNaN) && want.values.slice(c, 2 * c).every(Number.isNaN));
  t.is(vNorm!.values[1], 0);
  t.is(worstMismatch(w!.values, want.values, TOL), null);
});

// ---- ISA paths and threads -----------------------------------------------------------------------------------------

test('L2Normalize and WeightNorm (+Grad) agree with float64 on every CPU ISA and on 1 and 2 threads', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths and thread counts are properties of the native CPU backend');
    return;
  }
  const rng = seededRng(t);
  const ran = forEachIsa((isa) => {
    for (const threads of [1, 2]) {
      withThreads(threads, () => {
        for (const [rows, d] of [[197, 256], [13, 3], [5, 1000], [1031, 17]] as const) {
          checkL2(t, rng, [rows], d, 1e-12, `${isa} ${threads}T L2 [${rows},${d}]`);
          checkL2(t, rng, [rows], d, 0.5, `${isa} ${threads}T L2 clamp [${rows},${d}]`, [0, rows - 1]);
          checkWeightNorm(t, rng, rows, d, `${isa} ${threads}T WN [${rows},${d}]`);
        }
      });
    }
  });
  t.log(`ISAs checked: ${ran.join(', ')}`);
});
