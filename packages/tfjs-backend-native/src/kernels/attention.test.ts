// FusedAttention and FusedAttentionGrad against a float64 reference written in this package's test helpers from the
// definition (softmax(q kᵀ · scale) v and its gradients), on fresh random inputs: every N of the contract (1 to 1024,
// the ViT's 37 and 197, and sizes that straddle the CPU's 16-key panels and 6-row register tiles), head dims 32, 64,
// 128 and odd ones, B·H of 1, 3 and 12, several scales (also negative), returnProbs both ways. Tolerances: see
// attentionTolerance (float32 accumulation over d in the scores and over N in the products).
import '../testing/setup.js';

import test, {type ExecutionContext} from 'ava';

import {backendUnderTest} from '../testing/parity.js';
import {seededRng} from '../testing/random.js';

import {
  assertNear,
  attentionTolerance,
  hostF32,
  maxAbs,
  randomInputs,
  referenceBackward,
  referenceForward,
  runBackward,
  runForward,
  type Shape4,
  withStrictFp32,
} from './attention_test_helpers.js';

// [B, H, N, d]: each N with a couple of head dims and B·H in {1, 3, 12}; odd d (33, 17, 5) take the padded path.
const CASES: Shape4[] = [
  [1, 1, 1, 64], [3, 1, 1, 33], [1, 1, 2, 32], [3, 4, 2, 128],
  [2, 6, 37, 64], [1, 3, 37, 17], [1, 1, 37, 128],
  [1, 3, 64, 128], [4, 3, 64, 64], [1, 1, 64, 5],
  [2, 6, 197, 64], [1, 1, 197, 32], [1, 3, 197, 33],
  [1, 3, 257, 64], [1, 1, 257, 128],
  [1, 1, 1024, 64], [1, 2, 1000, 32], [1, 1, 1000, 128],
];

/** A test run in strict FP32 on every backend (cuda's TF32 path has its own test in attention_paths.test.ts). */
function fp32Test(title: string, impl: (t: ExecutionContext) => void): void {
  test(title, (t) => withStrictFp32(() => impl(t)));
}

function caseLabel(shape: Shape4, scale: number, returnProbs: boolean): string {
  return `[${shape}] scale ${scale.toPrecision(3)} probs ${returnProbs}`;
}

fp32Test('FusedAttention matches the float64 reference (out, lse and probabilities)', (t) => {
  const rng = seededRng(t);
  CASES.forEach((shape, c) => {
    const [B, H, N, d] = shape;
    // 1/sqrt(d) (the ViT's), a few times larger or smaller, and a negative one now and then.
    const scale = (c % 5 === 4 ? -1 : 1) * rng.uniform(0.25, 4) / Math.sqrt(d);
    const returnProbs = c % 2 === 0;
    const label = caseLabel(shape, scale, returnProbs);
    const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
    const ref = referenceForward(q.values, k.values, v.values, shape, scale);
    const got = runForward(backendUnderTest, q, k, v, scale, returnProbs);
    t.is(got.length, returnProbs ? 3 : 2, `${label}: number of outputs`);
    assertNear(t, got[0]!, shape, ref.out, attentionTolerance(N, d, ref, Math.max(maxAbs(ref.out), 1)), `${label} out`);
    // lse's own magnitude: a float32 result is off by |lse| · 2^-24 at least.
    assertNear(t, got[1]!, [B, H, N], ref.lse, attentionTolerance(N, d, ref, Math.max(ref.lseMagnitude, 1)),
               `${label} lse`);
    if (returnProbs) {
      const probs = got[2]!;
      assertNear(t, probs, [B, H, N, N], ref.probs, attentionTolerance(N, d, ref, 1), `${label} probs`);
      // Every row is a distribution: the N-term float32 sum of the normalised row is 1 within N · 2^-24 or so.
      let worst = 0;
      for (let r = 0; r < B * H * N; r++) {
        let sum = 0;
        for (let j = 0; j < N; j++) sum += probs.values[r * N + j]!;
        worst = Math.max(worst, Math.abs(sum - 1));
      }
      t.true(worst <= 4 * (N + 8) * 2 ** -24, `${label}: a probability row sums to 1 ± ${worst}`);
    }
  });
});

fp32Test('FusedAttentionGrad matches the float64 reference (dq, dk, dv)', (t) => {
  const rng = seededRng(t);
  CASES.forEach((shape, c) => {
    const [, , N, d] = shape;
    const scale = (c % 5 === 2 ? -1 : 1) * rng.uniform(0.25, 4) / Math.sqrt(d);
    const label = caseLabel(shape, scale, false);
    const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
    const dy = randomInputs(rng, shape);
    const ref = referenceForward(q.values, k.values, v.values, shape, scale);
    const want = referenceBackward(q.values, k.values, v.values, dy.values, shape, scale, ref);
    // out and lse as the forward would hand them over: the exact values rounded to float32.
    const out = hostF32(shape, ref.out), lse = hostF32(shape.slice(0, 3), ref.lse);
    const got = runBackward(backendUnderTest, q, k, v, out, lse, dy, scale);
    t.is(got.length, 3, `${label}: number of outputs`);
    (['dq', 'dk', 'dv'] as const).forEach((name, i) => {
      const w = want[name];
      assertNear(t, got[i]!, shape, w, attentionTolerance(N, d, ref, want.magnitude[name]), `${label} ${name}`);
    });
  });
});

fp32Test('FusedAttention then FusedAttentionGrad on its own outputs (the training path) match the reference', (t) => {
  const rng = seededRng(t);
  for (const shape of [[8, 6, 37, 64], [2, 3, 197, 64], [1, 2, 100, 48]] as Shape4[]) {
    const [, , N, d] = shape;
    const scale = 1 / Math.sqrt(d);
    const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
    const dy = randomInputs(rng, shape);
    const ref = referenceForward(q.values, k.values, v.values, shape, scale);
    const want = referenceBackward(q.values, k.values, v.values, dy.values, shape, scale, ref);
    const [out, lse] = runForward(backendUnderTest, q, k, v, scale, false);
    const got = runBackward(backendUnderTest, q, k, v, out!, lse!, dy, scale);
    (['dq', 'dk', 'dv'] as const).forEach((name, i) => {
      const w = want[name];
      assertNear(t, got[i]!, shape, w, attentionTolerance(N, d, ref, want.magnitude[name]), `[${shape}] ${name}`);
    });
  }
});

fp32Test('large-magnitude logits: no overflow, exact-score cases stay accurate', (t) => {
  const rng = seededRng(t);
  // Small integers times a power-of-two scale make every score exact in float32 (|s| up to 2 · 8 · 8 · 64 = 8192),
  // so the only error left is the softmax's own: exp of scores near 8192 overflows unless the max is subtracted.
  for (const shape of [[1, 2, 37, 64], [1, 1, 197, 64], [2, 1, 70, 32]] as Shape4[]) {
    const [B, H, N, d] = shape;
    const scale = 2;
    const q = randomInputs(rng, shape, -8, 8, true), k = randomInputs(rng, shape, -8, 8, true);
    const v = randomInputs(rng, shape), dy = randomInputs(rng, shape);
    const ref = referenceForward(q.values, k.values, v.values, shape, scale);
    const want = referenceBackward(q.values, k.values, v.values, dy.values, shape, scale, ref);
    const [out, lse, probs] = runForward(backendUnderTest, q, k, v, scale, true);
    const label = `[${shape}] |lse| up to ${ref.lseMagnitude.toFixed(0)}`;
    assertNear(t, out!, shape, ref.out, attentionTolerance(N, d, ref, 1, true), `${label} out`);
    assertNear(t, lse!, [B, H, N], ref.lse, attentionTolerance(N, d, ref, ref.lseMagnitude, true), `${label} lse`);
    assertNear(t, probs!, [B, H, N, N], ref.probs, attentionTolerance(N, d, ref, 1, true), `${label} probs`);
    const grads = runBackward(backendUnderTest, q, k, v, out!, lse!, dy, scale);
    (['dq', 'dk', 'dv'] as const).forEach((name, i) => {
      const w = want[name];
      assertNear(t, grads[i]!, shape, w, attentionTolerance(N, d, ref, want.magnitude[name], true),
                 `${label} ${name}`);
    });
  }
  // Every score equal and huge (q, k constant): a uniform distribution and lse = s + log N, not inf or NaN.
  const shape: Shape4 = [1, 1, 50, 16];
  const q = hostF32(shape, new Array(50 * 16).fill(10)), k = hostF32(shape, new Array(50 * 16).fill(10));
  const v = randomInputs(rng, shape);
  const [out, lse, probs] = runForward(backendUnderTest, q, k, v, 10, true);
  const ref = referenceForward(q.values, k.values, v.values, shape, 10);
  t.true(Array.from(lse!.values).every((x) => Math.abs(x - (16000 + Math.log(50))) <= 16000 * 2 ** -23),
         'lse of a row of equal scores 16000 is 16000 + log 50');
  t.true(Array.from(probs!.values).every((x) => Math.abs(x - 1 / 50) <= 1e-7), 'equal scores give 1/N');
  assertNear(t, out!, shape, ref.out, attentionTolerance(50, 16, ref, 1, true), 'equal scores out');
});

fp32Test('NaN in a query row makes that row NaN; NaN in a key makes the head NaN (as the composite softmax does)', (t) => {
  const rng = seededRng(t);
  const shape: Shape4 = [1, 2, 20, 32];
  const q = randomInputs(rng, shape), k = randomInputs(rng, shape), v = randomInputs(rng, shape);
  q.values[3 * 32 + 5] = NaN;              // head 0, query row 3
  k.values[20 * 32 + 7 * 32 + 1] = NaN;    // head 1, key row 7
  const [out, lse] = runForward(backendUnderTest, q, k, v, 0.2, false);
  for (let i = 0; i < 20; i++) {
    const rowNaN = (h: number) => Array.from(out!.values.slice((h * 20 + i) * 32, (h * 20 + i + 1) * 32))
                                      .every(Number.isNaN);
    t.is(rowNaN(0), i === 3, `head 0 row ${i}`);
    t.true(rowNaN(1), `head 1 row ${i}`);
    t.is(Number.isNaN(lse!.values[i]!), i === 3, `head 0 lse ${i}`);
  }
});

fp32Test('empty inputs: N = 0 gives empty outputs; d = 0 gives uniform probabilities and lse = log N', (t) => {
  const empty = {shape: [2, 3, 0, 8], dtype: 'float32' as const, values: new Float32Array(0)};
  const f = runForward(backendUnderTest, empty, empty, empty, 1, true);
  t.deepEqual(f.map((x) => x.shape), [[2, 3, 0, 8], [2, 3, 0], [2, 3, 0, 0]]);
  const lse0 = {shape: [2, 3, 0], dtype: 'float32' as const, values: new Float32Array(0)};
  const g = runBackward(backendUnderTest, empty, empty, empty, empty, lse0, empty, 1);
  t.deepEqual(g.map((x) => x.shape), [[2, 3, 0, 8], [2, 3, 0, 8], [2, 3, 0, 8]]);

  const flat = {shape: [1, 2, 5, 0], dtype: 'float32' as const, values: new Float32Array(0)};
  const [out, lse, probs] = runForward(backendUnderTest, flat, flat, flat, 1, true);
  t.deepEqual(out!.shape, [1, 2, 5, 0]);
  t.true(Array.from(lse!.values).every((x) => Math.abs(x - Math.log(5)) < 1e-6), 'lse = log 5');
  t.true(Array.from(probs!.values).every((x) => Math.abs(x - 0.2) < 1e-7), 'probs = 1/5');
  const lse5 = {shape: [1, 2, 5], dtype: 'float32' as const, values: lse!.values};
  const grads = runBackward(backendUnderTest, flat, flat, flat, flat, lse5, flat, 1);
  t.deepEqual(grads.map((x) => x.shape), [[1, 2, 5, 0], [1, 2, 5, 0], [1, 2, 5, 0]]);
});
