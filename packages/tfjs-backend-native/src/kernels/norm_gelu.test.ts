// LinearBiasGelu and GeluGrad against float64 references: odd M/K/N around the GEMM's micro-tiles and the ViT fc1
// shape, K = 0 and empty outputs, z checked as the linear part x w + b (against float64 and against the stock
// matMul + add), y checked as GELU of the z it returned, every CPU ISA and 1 vs 2 threads (which take different GEMM
// drivers); GeluGrad on random shapes and edge values, with its float64 reference confirmed by central differences.
//
// Tolerances: z is a K-term dot product (dotTolerance: atol ~ sqrt(K) for inputs in [-1, 1]); on 'cuda' the strict
// FP32 path is used for these comparisons (TF32 rounds operands to 11 bits) and one test checks the TF32 path with
// its own bound. GELU and its derivative use erf/exp a few ulp from exact: 1e-6 relative is ample.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {finiteDifferences64} from '../testing/gradcheck.js';
import {assertRanNatively, backendUnderTest, dotTolerance, runOn, type Tolerance, worstMismatch} from
    '../testing/parity.js';
import {type HostTensor, randomShape, randomTensor, type Rng, seededRng, unitTensor} from '../testing/random.js';

import {assertMatches64, f32, forEachIsa, gelu64, geluGrad64, runFused, withThreads} from './norm_test_helpers.js';

// Φ(z), z φ(z) and GELU's 1 + erf are O(1) terms with float32 rounding of ~1e-7 each, which cancel to small results
// for negative z: an absolute bound (times |dy| <= 3) next to the relative one.
const GELU_TOL: Tolerance = {rtol: 1e-6, atol: 1e-6};

/** Runs fn with TF32 off on 'cuda' (strict FP32 GEMMs), restoring the setting; a no-op elsewhere. */
function strictFp32<T>(fn: () => T): T {
  if (backendUnderTest !== 'cuda') return fn();
  const addon = nativeAddon();
  const before = addon.info().cuda.tf32;
  addon.setAllowTf32(false);
  try {
    return fn();
  } finally {
    addon.setAllowTf32(before);
  }
}

/** z = x w + b in float64, [M, N]. */
function linear64(x: HostTensor, w: HostTensor, b: HostTensor, m: number, k: number, n: number): Float64Array {
  const z = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = b.values[j]!;
      for (let p = 0; p < k; p++) s += x.values[i * k + p]! * w.values[p * n + j]!;
      z[i * n + j] = s;
    }
  }
  return z;
}

function checkLinearBiasGelu(t: ExecutionContext, rng: Rng, m: number, k: number, n: number, label: string,
                             zTol: Tolerance = dotTolerance(k)): void {
  const x = unitTensor(rng, [m, k]), w = unitTensor(rng, [k, n]), b = unitTensor(rng, [n]);
  const [y, z] = runFused('LinearBiasGelu', {x, w, b});
  const z64 = linear64(x, w, b, m, k, n);
  assertMatches64(t, z, [m, n], z64, zTol, `${label} z vs x w + b`);
  // y is GELU of the z the kernel returned (tight), and within the dot-product bound of GELU(z64) (GELU' <= 1.13).
  assertMatches64(t, y, [m, n], Float64Array.from(z!.values, gelu64), GELU_TOL, `${label} y vs GELU(z)`);
  assertMatches64(t, y, [m, n], z64.map(gelu64), {rtol: zTol.rtol, atol: 1.2 * zTol.atol!}, `${label} y vs float64`);
}

const ODD = [1, 2, 7, 13, 33, 65, 130, 197];

test('LinearBiasGelu matches float64 on odd M, K, N (z = x w + b, y = GELU(z))', (t) => {
  const rng = seededRng(t);
  strictFp32(() => assertRanNatively(t, ['LinearBiasGelu'], () => {
    for (let trial = 0; trial < 20; trial++) {
      const [m, k, n] = [rng.pick(ODD), rng.pick([...ODD, 384]), rng.pick(ODD)];
      checkLinearBiasGelu(t, rng, m, k, n, `[${m},${k}]x[${k},${n}]`);
    }
    // The ViT-S fc1 shape for one image, and shapes spanning several cache blocks of the CPU GEMM.
    checkLinearBiasGelu(t, rng, 197, 384, 1536, 'fc1 [197,384]x[384,1536]');
    checkLinearBiasGelu(t, rng, 509, 300, 97, '[509,300]x[300,97]');
  }));
});

test('LinearBiasGelu with K = 0 gives z = b and y = GELU(b); empty M or N give empty outputs', (t) => {
  const rng = seededRng(t);
  for (const [m, k, n] of [[3, 0, 5], [40, 0, 33], [0, 7, 5], [4, 6, 0], [0, 0, 0]] as const) {
    checkLinearBiasGelu(t, rng, m, k, n, `[${m},${k}]x[${k},${n}]`);
  }
});

test('LinearBiasGelu z equals the stock matMul + bias on the same backend, and y GELU of it', (t) => {
  const rng = seededRng(t);
  strictFp32(() => {
    for (const [m, k, n] of [[17, 33, 65], [64, 384, 130], [5, 1, 9]] as const) {
      const x = unitTensor(rng, [m, k]), w = unitTensor(rng, [k, n]), b = unitTensor(rng, [n]);
      const [stock] = runOn(backendUnderTest, (xt, wt, bt) => tf.add(tf.matMul(xt, wt), bt), [x, w, b]);
      const [y, z] = runFused('LinearBiasGelu', {x, w, b});
      const bad = worstMismatch(z!.values, stock!.values, {rtol: 1e-6, atol: 1e-6});
      t.is(bad, null, `[${m},${k}]x[${k},${n}] z vs matMul + b: ${JSON.stringify(bad)}`);
      assertMatches64(t, y, [m, n], Float64Array.from(stock!.values, gelu64), {rtol: 1e-5, atol: 1e-6},
                      `[${m},${k}]x[${k},${n}] y vs GELU(matMul + b)`);
    }
  });
});

test('LinearBiasGelu propagates NaN and Inf from x into its rows of z and y', (t) => {
  const rng = seededRng(t);
  const x = unitTensor(rng, [4, 9]), w = unitTensor(rng, [9, 6]), b = unitTensor(rng, [6]);
  (x.values as Float32Array)[0] = NaN;  // row 0
  (x.values as Float32Array)[2 * 9 + 3] = Infinity;  // row 2
  const [y, z] = runFused('LinearBiasGelu', {x, w, b});
  t.true(z!.values.slice(0, 6).every(Number.isNaN) && y!.values.slice(0, 6).every(Number.isNaN), 'NaN row');
  t.true(z!.values.slice(12, 18).every((v) => !Number.isFinite(v)), 'Inf row: z is ±inf');
  t.true(z!.values.slice(6, 12).every(Number.isFinite) && y!.values.slice(18).every(Number.isFinite),
         'other rows finite');
});

test('LinearBiasGelu agrees with float64 on every CPU ISA and on 1 and 2 threads', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths and thread counts are properties of the native CPU backend');
    return;
  }
  const rng = seededRng(t);
  // Shapes for the serial, row-block-parallel and sliced GEMM drivers (cpu/matmul.cc), with ragged edge tiles.
  const shapes = [[7, 13, 5], [97, 129, 101], [300, 64, 257], [33, 384, 130]] as const;
  const ran = forEachIsa((isa) => {
    for (const threads of [1, 2]) {
      withThreads(threads, () => {
        for (const [m, k, n] of shapes) {
          checkLinearBiasGelu(t, rng, m, k, n, `${isa} ${threads}T [${m},${k}]x[${k},${n}]`);
        }
      });
    }
  });
  t.log(`ISAs checked: ${ran.join(', ')}`);
});

test('LinearBiasGelu on the TF32 path stays within the TF32 bound', (t) => {
  if (backendUnderTest !== 'cuda') {
    t.pass('TF32 is a property of the cuda backend');
    return;
  }
  const rng = seededRng(t);
  const addon = nativeAddon();
  const before = addon.info().cuda.tf32;
  addon.setAllowTf32(true);  // on whatever IBOT_CUDA_TF32 says: this test is about the TF32 kernels
  try {
    for (const [m, k, n] of [[197, 384, 1536], [33, 65, 130]] as const) {
      const x = unitTensor(rng, [m, k]), w = unitTensor(rng, [k, n]), b = unitTensor(rng, [n]);
      const [y, z] = runFused('LinearBiasGelu', {x, w, b});
      const z64 = linear64(x, w, b, m, k, n);
      // The same per-element bound as native/test/cuda/gemm_check.cu: TF32 rounds each operand to 11 significant
      // bits (2^-10 relative per product), plus float32 accumulation of K terms, times Σ |x| |w|. GELU' <= 1.13.
      const term = 2 ** -10 + (k + 8) * 2 ** -23;
      let worst = 0;
      let where = '';
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let mag = 0;
          for (let p = 0; p < k; p++) mag += Math.abs(x.values[i * k + p]! * w.values[p * n + j]!);
          const o = i * n + j, want = z64[o]!;
          const bound = 1.2 * (term * mag + 2 ** -21 * Math.abs(want)) + 1e-6 * (1 + Math.abs(want));
          const ez = Math.abs(z!.values[o]! - want) / bound;
          const ey = Math.abs(y!.values[o]! - gelu64(want)) / (1.13 * bound + GELU_TOL.atol!);
          if (!(ez <= worst) || !(ey <= worst)) {
            worst = Math.max(ez, ey);
            where = `[${i},${j}] z ${z!.values[o]} y ${y!.values[o]} float64 z ${want}`;
          }
        }
      }
      t.true(worst <= 1, `tf32 [${m},${k}]x[${k},${n}]: worst error ${worst.toFixed(3)} of the bound at ${where}`);
    }
  } finally {
    addon.setAllowTf32(before);
  }
});

// ---- GeluGrad ------------------------------------------------------------------------------------------------------

function checkGeluGrad(t: ExecutionContext, dy: HostTensor, z: HostTensor, label: string): void {
  const [dz] = runFused('GeluGrad', {dy, z});
  const want = Float64Array.from(z.values, (v, i) => dy.values[i]! * geluGrad64(v));
  assertMatches64(t, dz, z.shape, want, GELU_TOL, label);
}

test('GeluGrad matches float64 dy · (Φ(z) + z φ(z)) on random shapes of rank 0-4', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, ['GeluGrad'], () => {
    for (let trial = 0; trial < 12; trial++) {
      const shape = randomShape(rng, trial % 5, trial % 5 > 2 ? 9 : 70);
      checkGeluGrad(t, randomTensor(rng, shape), randomTensor(rng, shape, 'float32', {min: -7, max: 7}),
                    `[${shape}]`);
    }
    const big = [1576, 1536];  // fc1's activation for 8 images: many vector iterations and both threads
    checkGeluGrad(t, randomTensor(rng, big), randomTensor(rng, big, 'float32', {min: -5, max: 5}), `[${big}]`);
  });
});

test('GeluGrad of edge values: 0, -0, large |z|, NaN; and empty tensors', (t) => {
  const zs = [0, -0, 1e-30, -1e-30, 10, -10, 30, -30, 1e10, -1e10, NaN, 0.5, -0.5];
  const z = f32([zs.length], zs), dy = f32([zs.length], zs.map((_, i) => (i % 2 ? -1.5 : 2)));
  checkGeluGrad(t, dy, z, 'edge values');
  const [dz] = runFused('GeluGrad', {dy, z});
  t.true(Number.isNaN(dz!.values[10]!), 'NaN z gives NaN');
  const nanDy = f32([2], [NaN, 1]);
  const [d2] = runFused('GeluGrad', {dy: nanDy, z: f32([2], [1, 2])});
  t.true(Number.isNaN(d2!.values[0]!) && Number.isFinite(d2!.values[1]!), 'NaN dy gives NaN in its place only');
  for (const shape of [[0], [3, 0], [0, 5, 2]]) checkGeluGrad(t, f32(shape, []), f32(shape, []), `[${shape}]`);
});

test('the float64 GELU derivative used above agrees with central differences of float64 GELU', (t) => {
  const rng = seededRng(t);
  const z = Float64Array.from({length: 40}, () => rng.uniform(-6, 6));
  const w = Float64Array.from({length: 40}, () => rng.uniform(-1, 1));
  const [g] = finiteDifferences64(([zs]) => zs!.reduce((acc, v, i) => acc + w[i]! * gelu64(v), 0), [z], 1e-4);
  const analytic = z.map((v, i) => w[i]! * geluGrad64(v));
  // Central differences at h = 1e-4: truncation ~h² |GELU'''| / 6 < 1e-8, rounding ~1e-16 · 100 / h = 1e-10.
  const bad = worstMismatch(analytic, g!, {rtol: 1e-7, atol: 2e-8});
  t.is(bad, null, JSON.stringify(bad));
});

test('GeluGrad agrees with float64 on every CPU ISA path', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths are a property of the native CPU backend');
    return;
  }
  const rng = seededRng(t);
  const cases = [[5], [17], [64, 33], [1576, 96]].map((s) => [randomTensor(rng, s), randomTensor(rng, s)] as const);
  const ran = forEachIsa((isa) => {
    for (const [dy, z] of cases) checkGeluGrad(t, dy, z, `${isa} [${z.shape}]`);
  });
  t.log(`ISAs checked: ${ran.join(', ')}`);
});
