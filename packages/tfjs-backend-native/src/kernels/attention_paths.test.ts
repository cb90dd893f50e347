// The hardware paths of FusedAttention(+Grad): on the CPU every ISA (generic x86-64, AVX2, AVX-512: different register
// tiles and key panel widths) against the float64 reference, and 1 vs 2 threads, which must give identical bits
// (threads split heads and query tiles, never the sums inside one row); on CUDA the TF32 tensor-core path (the
// default there) within TF32's error, next to the strict FP32 path the other attention tests use.
import '../testing/setup.js';

import test from 'ava';

import {nativeAddon} from '../index.js';
import {backendUnderTest} from '../testing/parity.js';
import {Rng, testSeed} from '../testing/random.js';

import {
  assertNear,
  attentionTolerance,
  maxAbs,
  randomInputs,
  referenceBackward,
  referenceForward,
  runBackward,
  runForward,
  type Shape4,
} from './attention_test_helpers.js';

// Shapes that cross each ISA's tile edges: 4/6-row register tiles, 4/8/16-key panels, odd head dims (padded path).
const SHAPES: Shape4[] = [[2, 3, 37, 64], [1, 2, 197, 32], [1, 1, 257, 128], [2, 1, 23, 19], [1, 3, 61, 40]];

test('every CPU ISA path matches the float64 reference, forward and backward', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths are a property of the native CPU backend');
    return;
  }
  const seed = testSeed();
  t.log(`seed ${seed}`);
  const addon = nativeAddon();
  const start = addon.info().cpu.isa;
  try {
    for (const isa of ['generic', 'avx2', 'avx512'] as const) {
      if (!addon.setCpuIsa(isa)) {
        t.log(`${isa}: not supported by this CPU, skipped`);
        continue;
      }
      t.log(`${isa}: checked`);
      const rng = new Rng(seed);
      for (const shape of SHAPES) {
        const [B, H, N, d] = shape;
        const scale = rng.uniform(0.5, 2) / Math.sqrt(d);
        const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
        const dy = randomInputs(rng, shape);
        const ref = referenceForward(q.values, k.values, v.values, shape, scale);
        const want = referenceBackward(q.values, k.values, v.values, dy.values, shape, scale, ref);
        const [out, lse, probs] = runForward('native', q, k, v, scale, true);
        const label = `${isa} [${shape}]`;
        assertNear(t, out!, shape, ref.out, attentionTolerance(N, d, ref, Math.max(maxAbs(ref.out), 1)), `${label} out`);
        assertNear(t, lse!, [B, H, N], ref.lse, attentionTolerance(N, d, ref, Math.max(ref.lseMagnitude, 1)),
                   `${label} lse`);
        assertNear(t, probs!, [B, H, N, N], ref.probs, attentionTolerance(N, d, ref, 1), `${label} probs`);
        const grads = runBackward('native', q, k, v, out!, lse!, dy, scale);
        (['dq', 'dk', 'dv'] as const).forEach((name, i) => {
          const w = want[name];
          assertNear(t, grads[i]!, shape, w, attentionTolerance(N, d, ref, want.magnitude[name]),
                     `${label} ${name}`);
        });
      }
    }
  } finally {
    addon.setCpuIsa(start);
  }
});

test('1 and 2 threads give the same bits (and few heads are split into query tiles across threads)', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('the thread count is a property of the native CPU backend');
    return;
  }
  const seed = testSeed();
  t.log(`seed ${seed}`);
  const addon = nativeAddon();
  const threads = addon.info().cpu.threads;
  const rng = new Rng(seed);
  try {
    // One head (the forward then cuts it into several query tiles to feed both threads), a ViT batch, a long one.
    for (const shape of [[1, 1, 197, 64], [4, 6, 37, 64], [1, 3, 300, 32]] as Shape4[]) {
      const scale = 1 / Math.sqrt(shape[3]);
      const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
      const dy = randomInputs(rng, shape);
      const results = [1, 2].map((n) => {
        addon.setNumThreads(n);
        const fwd = runForward('native', q, k, v, scale, true);
        return [...fwd, ...runBackward('native', q, k, v, fwd[0]!, fwd[1]!, dy, scale)];
      });
      ['out', 'lse', 'probs', 'dq', 'dk', 'dv'].forEach((name, i) => {
        const one = results[0]![i]!.values, two = results[1]![i]!.values;
        t.is(two.length, one.length, `[${shape}] ${name}: size`);
        // Bitwise (NaN-free inputs): the first index where the two runs differ, or -1.
        const at = one.findIndex((x, j) => !Object.is(x, two[j]));
        t.is(at, -1, `[${shape}] ${name}: 2 threads differ from 1 at ${at}: ${two[at]} vs ${one[at]}`);
      });
    }
  } finally {
    addon.setNumThreads(threads);
  }
});

test('the TF32 tensor-core path (cuda default) matches the float64 reference within TF32 error', (t) => {
  if (backendUnderTest !== 'cuda') {
    t.pass('TF32 is a CUDA path; the CPU computes in FP32 (the strict tolerances of attention.test.ts)');
    return;
  }
  const addon = nativeAddon();
  const before = addon.info().cuda.tf32;
  addon.setAllowTf32(true);
  try {
    const rng = new Rng(testSeed());
    for (const shape of [[2, 6, 197, 64], [1, 3, 37, 32], [1, 2, 130, 128], [2, 1, 50, 40]] as Shape4[]) {
      const [B, H, N, d] = shape;
      const scale = 1 / Math.sqrt(d);
      const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
      const dy = randomInputs(rng, shape);
      const ref = referenceForward(q.values, k.values, v.values, shape, scale);
      const want = referenceBackward(q.values, k.values, v.values, dy.values, shape, scale, ref);
      const [out, lse, probs] = runForward('cuda', q, k, v, scale, true);
      const label = `tf32 [${shape}]`;
      const tol = (mag: number) => attentionTolerance(N, d, ref, mag, false, true);
      assertNear(t, out!, shape, ref.out, tol(Math.max(maxAbs(ref.out), 1)), `${label} out`);
      assertNear(t, lse!, [B, H, N], ref.lse, tol(Math.max(ref.lseMagnitude, 1)), `${label} lse`);
      assertNear(t, probs!, [B, H, N, N], ref.probs, tol(1), `${label} probs`);
      const grads = runBackward('cuda', q, k, v, out!, lse!, dy, scale);
      (['dq', 'dk', 'dv'] as const).forEach((name, i) => {
        assertNear(t, grads[i]!, shape, want[name], tol(want.magnitude[name]), `${label} ${name}`);
      });
    }
  } finally {
    addon.setAllowTf32(before);
  }
});
