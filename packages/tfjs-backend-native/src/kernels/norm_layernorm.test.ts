// LayerNormFused and LayerNormFusedGrad against float64 references: random shapes over rows {0, 1, 7, 197, 1000+} x
// D {1, 3, 64, 384, 1000} and several eps, zero-variance rows (eps = 0 included), NaN/Inf rows against the composite
// (tf.moments) on tfjs cpu, every CPU ISA, and 1 vs 2 threads (the weight gradients must be bit-identical). The
// float64 gradient formula is itself confirmed by central differences of the float64 forward pass.
//
// Tolerances: float32 sums of D terms of size ~|x| carry ~sqrt(D) * 2^-24 relative error, so the normalised outputs
// are good to ~1e-6 here; rtol/atol 2e-5 is ~10x that and far below a wrong mean, a wrong variance (biased vs
// unbiased differ by a factor D / (D - 1)), a missing eps or a dropped row. dgamma/dbeta sum `rows` terms of ~|dy|:
// their atol grows with sqrt(rows).
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {finiteDifferences64} from '../testing/gradcheck.js';
import {assertRanNatively, backendUnderTest, runOn, type Tolerance, worstMismatch} from '../testing/parity.js';
import {type HostTensor, randomTensor, type Rng, seededRng} from '../testing/random.js';

import {
  assertMatches64,
  f32,
  forEachIsa,
  layerNorm64,
  layerNormGrad64,
  runFused,
  withThreads,
} from './norm_test_helpers.js';

const KERNELS = ['LayerNormFused', 'LayerNormFusedGrad'];
const ROWS = [0, 1, 7, 197, 1031];
const DIMS = [1, 3, 64, 384, 1000];
const EPS = [1e-6, 1e-5, 0.1];
const FWD_TOL: Tolerance = {rtol: 2e-5, atol: 2e-5};

/** A leading shape with `rows` elements: [rows], [a, b] or [] for a single row. */
function leadingShape(rng: Rng, rows: number): number[] {
  if (rows === 1 && rng.next() < 0.5) return [];
  if (rows === 197 && rng.next() < 0.5) return [1, 197];
  if (rows === 1031 && rng.next() < 0.5) return [1031, 1];
  return [rows];
}

interface Case {
  x: HostTensor;
  gamma: HostTensor;
  beta: HostTensor;
  rows: number;
  d: number;
  lead: number[];
}

function randomCase(rng: Rng, rows: number, d: number): Case {
  const lead = leadingShape(rng, rows);
  // An offset per case: LayerNorm must remove the mean, and a large one shows a one-pass variance's cancellation.
  const offset = rng.pick([0, 0, 5, -40]);
  const x = randomTensor(rng, [...lead, d], 'float32', {min: offset - 3, max: offset + 3});
  return {x, gamma: randomTensor(rng, [d]), beta: randomTensor(rng, [d]), rows, d, lead};
}

function checkForward(t: ExecutionContext, c: Case, eps: number, label: string): void {
  const [y, mean, rstd] = runFused('LayerNormFused', {x: c.x, gamma: c.gamma, beta: c.beta}, {eps});
  const want = layerNorm64(c.x.values, c.gamma.values, c.beta.values, c.rows, c.d, eps);
  // The mean itself is a float32 (off by up to half an ulp of |mean|), and y = (x - mean) · rstd · gamma multiplies
  // that by rstd · |gamma|: rows far from zero with a small spread need that much more atol.
  let meanError = 0;
  for (let r = 0; r < c.rows; r++) meanError = Math.max(meanError, 2 ** -24 * Math.abs(want.mean[r]!) * want.rstd[r]!);
  let gammaMax = 0;
  for (const g of c.gamma.values) gammaMax = Math.max(gammaMax, Math.abs(g));
  const yTol = {rtol: FWD_TOL.rtol, atol: FWD_TOL.atol! + 2 * meanError * gammaMax};
  assertMatches64(t, y, c.x.shape, want.y, yTol, `${label} y`);
  assertMatches64(t, mean, c.lead, want.mean, {rtol: 1e-6, atol: 1e-6}, `${label} mean`);
  assertMatches64(t, rstd, c.lead, want.rstd, {rtol: 2e-5, atol: 0}, `${label} rstd`);
}

function gradTolerance(rows: number): Tolerance {
  return {rtol: 1e-4, atol: 2e-5 * Math.max(1, Math.sqrt(rows))};
}

function checkBackward(t: ExecutionContext, rng: Rng, c: Case, eps: number,
                       label: string): HostTensor[] {
  const dy = randomTensor(rng, c.x.shape);
  // mean and rstd as the forward kernel returns them (the gradient kernel takes them as inputs).
  const [, mean, rstd] = runFused('LayerNormFused', {x: c.x, gamma: c.gamma, beta: c.beta}, {eps});
  const out = runFused('LayerNormFusedGrad', {dy, x: c.x, gamma: c.gamma, mean: mean!, rstd: rstd!});
  const want = layerNormGrad64(dy.values, c.x.values, c.gamma.values, c.rows, c.d, eps,
                               {mean: mean!.values, rstd: rstd!.values});
  // dx = rstd · (...): its rounding error scales with rstd, which is 1/sqrt(eps) for a constant row (and D = 1).
  let maxRstd = 1;
  for (const r of rstd!.values) maxRstd = Math.max(maxRstd, r);
  assertMatches64(t, out[0], c.x.shape, want.dx, {rtol: 1e-4, atol: 2e-5 * maxRstd}, `${label} dx`);
  assertMatches64(t, out[1], [c.d], want.dgamma, gradTolerance(c.rows), `${label} dgamma`);
  assertMatches64(t, out[2], [c.d], want.dbeta, gradTolerance(c.rows), `${label} dbeta`);
  return out;
}

test('LayerNormFused matches float64 over rows x D x eps (leading ranks 0-2)', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, KERNELS, () => {
    for (const rows of ROWS) {
      for (const d of DIMS) {
        const eps = rng.pick(EPS);
        checkForward(t, randomCase(rng, rows, d), eps, `rows ${rows} D ${d} eps ${eps}`);
      }
    }
  });
});

test('LayerNormFusedGrad matches the float64 gradient over rows x D x eps', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, KERNELS, () => {
    for (const rows of ROWS) {
      for (const d of DIMS) {
        const eps = rng.pick(EPS);
        checkBackward(t, rng, randomCase(rng, rows, d), eps, `rows ${rows} D ${d} eps ${eps}`);
      }
    }
  });
});

// The CUDA kernels switch to a block per row above D = 1024 and cap the weight-gradient grid at 512 blocks of 8 warps
// (4096 rows), looping over the rest; these shapes cross both limits (on the CPU they are more random shapes).
test('LayerNormFused(+Grad) on rows longer than 1024 and on more than 4096 rows', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, KERNELS, () => {
    for (const [rows, d] of [[3, 1025], [37, 1537], [600, 2049], [5003, 64], [4099, 1]] as const) {
      const eps = rng.pick(EPS);
      const c = randomCase(rng, rows, d);
      checkForward(t, c, eps, `rows ${rows} D ${d} eps ${eps}`);
      checkBackward(t, rng, c, eps, `rows ${rows} D ${d} eps ${eps}`);
    }
  });
});

// Rows whose variance (~1e-6) is comparable to eps: rstd = 1 / sqrt(var + eps) changes by ~30% between eps 1e-6 and
// 1e-5, far beyond the tolerance, so an eps that is ignored or replaced by a default fails here.
test('LayerNormFused honours eps where the variance is of its size (ViT eps 1e-6 vs 1e-5)', (t) => {
  const rng = seededRng(t);
  for (const d of [7, 384]) {
    const x = randomTensor(rng, [5, d], 'float32', {min: 1 - 1.7e-3, max: 1 + 1.7e-3});  // var ~ 1e-6
    const c: Case = {x, gamma: randomTensor(rng, [d]), beta: randomTensor(rng, [d]), rows: 5, d, lead: [5]};
    for (const eps of [1e-6, 1e-5]) {
      checkForward(t, c, eps, `small variance D ${d} eps ${eps}`);
      checkBackward(t, rng, c, eps, `small variance D ${d} eps ${eps}`);
    }
    const [, , r6] = runFused('LayerNormFused', {x, gamma: c.gamma, beta: c.beta}, {eps: 1e-6});
    const [, , r5] = runFused('LayerNormFused', {x, gamma: c.gamma, beta: c.beta}, {eps: 1e-5});
    t.true(r6!.values[0]! > 1.2 * r5!.values[0]!, `D ${d}: rstd depends on eps (${r6!.values[0]} vs ${r5!.values[0]})`);
  }
});

test('the float64 LayerNorm gradient used above agrees with central differences of the float64 forward pass', (t) => {
  // Guards the reference itself: L = Σ w·y over x, gamma and beta, differentiated numerically.
  const rng = seededRng(t);
  for (const [rows, d] of [[3, 5], [2, 16], [1, 1]] as const) {
    const eps = 1e-3;
    const x = randomTensor(rng, [rows, d]).values, gamma = randomTensor(rng, [d]).values;
    const beta = randomTensor(rng, [d]).values, w = randomTensor(rng, [rows, d]).values;
    const loss = ([xs, gs, bs]: Float64Array[]) =>
        layerNorm64(xs!, gs!, bs!, rows, d, eps).y.reduce((acc, y, i) => acc + w[i]! * y, 0);
    const [gx, gg, gb] = finiteDifferences64(loss, [Float64Array.from(x), Float64Array.from(gamma),
                                                    Float64Array.from(beta)], 1e-5);
    const analytic = layerNormGrad64(w, x, gamma, rows, d, eps);
    const tol = {rtol: 1e-6, atol: 1e-7};
    t.is(worstMismatch(analytic.dx, gx!, tol), null, `dx [${rows},${d}]`);
    t.is(worstMismatch(analytic.dgamma, gg!, tol), null, `dgamma [${rows},${d}]`);
    t.is(worstMismatch(analytic.dbeta, gb!, tol), null, `dbeta [${rows},${d}]`);
  }
});

test('LayerNormFused of zero-variance rows: y = beta, rstd = 1/sqrt(eps); eps = 0 gives NaN as 0 · inf does', (t) => {
  const rng = seededRng(t);
  for (const d of [1, 3, 64, 384]) {
    // Constant rows whose sums are exact in float32, so the float32 mean is the value itself.
    const rowValues = [0, 1.5, -2, 0.25];
    const x = f32([rowValues.length, d], rowValues.flatMap((v) => Array(d).fill(v) as number[]));
    const c: Case = {x, gamma: randomTensor(rng, [d]), beta: randomTensor(rng, [d]), rows: rowValues.length, d,
                     lead: [rowValues.length]};
    for (const eps of [1e-6, 1e-12, 0]) checkForward(t, c, eps, `constant rows D ${d} eps ${eps}`);
    checkBackward(t, rng, c, 1e-6, `constant rows D ${d}`);
  }
});

test('LayerNormFused with NaN and Inf in a row gives what the composite (tf.moments) gives on tfjs cpu', (t) => {
  const rng = seededRng(t);
  for (const d of [3, 40, 384]) {
    const x = randomTensor(rng, [6, d]);
    const v = x.values as Float32Array;
    v[0 * d + 1] = NaN;
    v[1 * d + d - 1] = Infinity;
    v[2 * d + 0] = -Infinity;
    v[3 * d + 0] = Infinity;
    v[3 * d + 2] = -Infinity;
    // rows 4 and 5 stay finite: a bad row must not leak into its neighbours.
    const gamma = randomTensor(rng, [d]), beta = randomTensor(rng, [d]);
    const eps = 1e-6;
    const composite = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const {mean, variance} = tf.moments(xt, -1, true);
      const rstd = tf.rsqrt(tf.add(variance, eps));
      return [tf.add(tf.mul(tf.mul(tf.sub(xt, mean), rstd), g), b), tf.reshape(mean, [6]), tf.reshape(rstd, [6])];
    };
    const want = runOn('cpu', composite, [x, gamma, beta]);
    const got = runFused('LayerNormFused', {x, gamma, beta}, {eps});
    const names = ['y', 'mean', 'rstd'];
    want.forEach((w, k) => {
      const g = got[k]!;
      t.deepEqual(g.shape, w.shape, `D ${d} ${names[k]} shape`);
      // Non-finite values must match exactly (NaN meets NaN), finite ones within 1e-4 relative + absolute.
      const agrees = (a: number, b: number) => (Number.isFinite(b) ? Math.abs(a - b) <= 1e-4 + 1e-4 * Math.abs(b) :
                                                 Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)));
      const bad = Array.from(w.values).findIndex((b, i) => !agrees(g.values[i]!, b));
      t.is(bad, -1, bad < 0 ? '' : `D ${d} ${names[k]}[${bad}]: got ${g.values[bad]}, composite ${w.values[bad]}`);
    });
    // The backward pass of a NaN row is NaN in that row's dx and in dgamma/dbeta (summed over rows); finite rows
    // keep finite dx.
    const dy = randomTensor(rng, [6, d]);
    const [, mean, rstd] = got;
    const [dx, dgamma] = runFused('LayerNormFusedGrad', {dy, x, gamma, mean: mean!, rstd: rstd!});
    t.true(Number.isNaN(dx!.values[0]!) && Number.isNaN(dgamma!.values[0]!), `D ${d}: NaN row gives NaN gradients`);
    t.true(dx!.values.slice(4 * d).every(Number.isFinite), `D ${d}: finite rows keep finite dx`);
  }
});

test('LayerNormFused(+Grad) of empty tensors: no rows gives zero dgamma/dbeta; D = 0 gives NaN mean and rstd', (t) => {
  const rng = seededRng(t);
  for (const d of [1, 5, 384]) {
    const c = randomCase(rng, 0, d);
    checkForward(t, c, 1e-6, `rows 0 D ${d}`);
    const out = checkBackward(t, rng, c, 1e-6, `rows 0 D ${d}`);
    t.true(out[1]!.values.every((v) => v === 0) && out[2]!.values.every((v) => v === 0), 'zero weight gradients');
  }
  const x = f32([3, 0], []);
  const [y, mean, rstd] = runFused('LayerNormFused', {x, gamma: f32([0], []), beta: f32([0], [])}, {eps: 1e-6});
  t.deepEqual(y!.shape, [3, 0]);
  // 0 / 0 as tf.moments computes it over an empty axis.
  t.true([...mean!.values, ...rstd!.values].every(Number.isNaN), 'NaN statistics of empty rows');
});

test('LayerNormFused(+Grad) agree with float64 on every CPU ISA path', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths are a property of the native CPU backend');
    return;
  }
  const rng = seededRng(t);
  const cases = [[197, 384], [7, 1000], [13, 3], [5, 64], [33, 17], [4, 1]].map(([r, d]) => randomCase(rng, r!, d!));
  const ran = forEachIsa((isa) => {
    for (const c of cases) {
      checkForward(t, c, 1e-6, `${isa} rows ${c.rows} D ${c.d}`);
      checkBackward(t, rng, c, 1e-6, `${isa} rows ${c.rows} D ${c.d}`);
    }
  });
  t.log(`ISAs checked: ${ran.join(', ')}`);
  t.true(ran.length >= 1);
});

test('LayerNormFused(+Grad) give identical bits on 1 and 2 threads (fixed-order weight-gradient sums)', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('thread counts are a property of the native CPU backend');
    return;
  }
  const rng = seededRng(t);
  for (const [rows, d] of [[1031, 384], [8 * 197, 64], [4000, 3], [50, 1000]] as const) {
    const c = randomCase(rng, rows, d);
    const dy = randomTensor(rng, c.x.shape);
    const run = () => {
      const [y, mean, rstd] = runFused('LayerNormFused', {x: c.x, gamma: c.gamma, beta: c.beta}, {eps: 1e-6});
      return [y!, mean!, rstd!, ...runFused('LayerNormFusedGrad', {dy, x: c.x, gamma: c.gamma, mean: mean!,
                                                                    rstd: rstd!})];
    };
    const one = withThreads(1, run), two = withThreads(2, run);
    one.forEach((o, k) => t.deepEqual(two[k]!.values, o.values, `rows ${rows} D ${d} output ${k}`));
  }
});

// On 'cuda' the weight gradients are summed over per-block partials in a fixed order (no atomics): repeated runs must
// give the same bits, for both the warp-per-row and the block-per-row kernels and past the 512-block grid cap.
test('LayerNormFusedGrad gives identical bits on repeated runs (deterministic weight-gradient sums)', (t) => {
  const rng = seededRng(t);
  for (const [rows, d] of [[5003, 64], [197, 384], [600, 1537]] as const) {
    const c = randomCase(rng, rows, d);
    const dy = randomTensor(rng, c.x.shape);
    const [, mean, rstd] = runFused('LayerNormFused', {x: c.x, gamma: c.gamma, beta: c.beta}, {eps: 1e-6});
    const run = () => runFused('LayerNormFusedGrad', {dy, x: c.x, gamma: c.gamma, mean: mean!, rstd: rstd!});
    const first = run(), second = run();
    first.forEach((o, k) => t.deepEqual(second[k]!.values, o.values, `rows ${rows} D ${d} output ${k}`));
  }
});
