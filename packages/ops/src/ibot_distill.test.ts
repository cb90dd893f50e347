// ibotDistill's composite against float64: loss, teacher column sums and the student gradient on random sizes, masks
// and temperatures, extreme logits; the loss properties of IBOT_SPEC §9 T4 at this level (a constant added to a
// student or teacher row changes nothing; the gradient reaches only the student); argument errors.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {assertGradCheck} from '@ibotjs/tfjs-backend-native/testing/gradcheck';
import {type HostTensor, type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {withFusedImpl} from './dispatch.js';
import {ibotDistill} from './ibot_distill.js';
import {assertMatches64, boolHost, compositeBackends, f64, host, logSoftmaxRows64, runOp, softmaxRows64,
        uniformHost} from './testing/op_testing.js';

interface DistillRef {
  loss: Float64Array;     // [R]
  /**
   * [R]: the loss's float32 rounding scale, Σ_k p_k |log q_k| · (|a_k| + max_k |a_k|) · 2^-24 over both scaled
   * logit rows a (t − c)/τt and s/τs: each scaled logit (up to ~1e3 here) carries an ulp-sized error, which moves
   * log q_k and log p_k by as much.
   */
  lossRound: Float64Array;
  colSum: Float64Array;   // [K]
  dStudent: Float64Array; // [R, K], for upstream gradient w [R]
}

function distill64(s: Float64Array, t: Float64Array, c: Float64Array, r: number, k: number, studentTemp: number,
                   teacherTemp: number, mask: Uint8Array | null, w: Float64Array): DistillRef {
  const tScaled = t.map((x, i) => (x - c[i % k]!) / teacherTemp), sScaled = s.map((x) => x / studentTemp);
  const p = softmaxRows64(tScaled, r, k);
  const logQ = logSoftmaxRows64(sScaled, r, k);
  const lossRound = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    let maxT = 0, maxS = 0;
    for (let j = 0; j < k; j++) {
      maxT = Math.max(maxT, Math.abs(tScaled[i * k + j]!));
      maxS = Math.max(maxS, Math.abs(sScaled[i * k + j]!));
    }
    for (let j = 0; j < k; j++) {
      const o = i * k + j;
      lossRound[i] += p[o]! * (Math.abs(logQ[o]!) * (Math.abs(tScaled[o]!) + maxT) + Math.abs(sScaled[o]!) + maxS) *
          2 ** -24;
    }
  }
  const loss = new Float64Array(r), colSum = new Float64Array(k), dStudent = new Float64Array(r * k);
  for (let i = 0; i < r; i++) {
    const on = !mask || mask[i] === 1;
    let ce = 0;
    for (let j = 0; j < k; j++) {
      ce -= p[i * k + j]! * logQ[i * k + j]!;
      colSum[j] += t[i * k + j]!;
      if (on) dStudent[i * k + j] = w[i]! * (Math.exp(logQ[i * k + j]!) - p[i * k + j]!) / studentTemp;
    }
    loss[i] = on ? ce : 0;
  }
  return {loss, lossRound, colSum, dStudent};
}

interface Case {
  r: number;
  k: number;
  inputs: HostTensor[];  // student, teacher, center, upstream w, [rowMask]
  studentTemp: number;
  teacherTemp: number;
  centerShape: number[];
}

function randomCase(rng: Rng, logitRange = 3, withMask = rng.next() < 0.6): Case {
  const r = rng.pick([1, rng.int(2, 40)]), k = rng.pick([1, 2, rng.int(3, 300)]);
  const centerShape = rng.next() < 0.5 ? [k] : [1, k];
  const inputs = [uniformHost(rng, [r, k], -logitRange, logitRange), uniformHost(rng, [r, k], -logitRange, logitRange),
                  uniformHost(rng, centerShape, -0.5, 0.5), uniformHost(rng, [r])];
  if (withMask) inputs.push(boolHost(Array.from({length: r}, () => rng.next() < 0.3), [r]));
  return {r, k, inputs, centerShape, studentTemp: rng.pick([0.1, rng.uniform(0.05, 1)]),
          teacherTemp: rng.pick([0.04, 0.07, rng.uniform(0.02, 1)])};
}

/** Loss, column sums and the student gradient of sum(w · loss) through the composite on `backend`. */
function runCase(backend: string, c: Case): HostTensor[] {
  return runOp(backend, 'composite', (s, t, ctr, w, mask) => {
    const opts = {studentTemp: c.studentTemp, teacherTemp: c.teacherTemp, rowMask: mask ?? null};
    const {loss, teacherColSum} = ibotDistill(s!, t!, ctr!, opts);
    const [ds] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(ibotDistill(x, t!, ctr!, opts).loss, w!)))([s!]);
    return [loss, teacherColSum, ds!];
  }, c.inputs);
}

function reference(c: Case): DistillRef {
  const mask = c.inputs[4] ? (c.inputs[4].values as Uint8Array) : null;
  return distill64(f64(c.inputs[0]!), f64(c.inputs[1]!), f64(c.inputs[2]!), c.r, c.k, c.studentTemp,
                   c.teacherTemp, mask, f64(c.inputs[3]!));
}

for (const backend of compositeBackends) {
  test(`composite on ${backend} matches float64: loss, column sums, student gradient (random sizes, masks, temps)`,
       (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 10; trial++) {
      const c = randomCase(rng);
      const [loss, colSum, ds] = runCase(backend, c);
      const want = reference(c);
      const label = `[${c.r}, ${c.k}] τs ${c.studentTemp} τt ${c.teacherTemp} mask ${c.inputs.length > 4}`;
      // Logits up to 3/0.02 = 150: float32 rounding of the scaled logits is ~1e-5 absolute.
      assertMatches64(t, loss!, want.loss, [c.r], {rtol: 1e-5, atol: 2e-5}, `loss ${label}`);
      assertMatches64(t, colSum!, want.colSum, [c.k], {rtol: 1e-5, atol: 1e-5}, `colSum ${label}`);
      assertMatches64(t, ds!, want.dStudent, [c.r, c.k], {rtol: 1e-4, atol: 1e-5}, `dStudent ${label}`);
    }
  });

  test(`composite on ${backend} stays finite and accurate on extreme logits (±500 student, ±1250 teacher)`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 3; trial++) {
      const c = {...randomCase(rng, 50), studentTemp: 0.1, teacherTemp: 0.04};
      const [loss, , ds] = runCase(backend, c);
      t.true([...loss!.values, ...ds!.values].every(Number.isFinite), 'finite');
      const want = reference(c);
      // Scaled logits of ~1e3 carry ~6e-5 absolute float32 rounding each (see DistillRef.lossRound).
      t.deepEqual(loss!.shape, [c.r]);
      want.loss.forEach((w, i) => {
        const tol = 1e-5 * Math.abs(w) + 1e-5 + 8 * want.lossRound[i]!;
        if (!(Math.abs(loss!.values[i]! - w) <= tol)) {
          t.fail(`loss [${c.r}, ${c.k}] row ${i}: got ${loss!.values[i]}, float64 reference ${w} (tolerance ${tol})`);
        }
      });
      assertMatches64(t, ds!, want.dStudent, [c.r, c.k], {rtol: 1e-3, atol: 1e-3}, `dStudent [${c.r}, ${c.k}]`);
    }
  });

  test(`composite on ${backend}: student gradient by finite differences`, (t) => {
    const rng = seededRng(t);
    for (let trial = 0; trial < 3; trial++) {
      const c = randomCase(rng, 1, true);
      const mask = c.inputs[4]!;
      assertGradCheck(t, (s, tt, ctr) => withFusedImpl('composite', () => ibotDistill(s!, tt!, ctr!, {
        studentTemp: c.studentTemp, teacherTemp: c.teacherTemp,
        rowMask: tf.tensor(mask.values, mask.shape, 'bool'),
      }).loss), c.inputs.slice(0, 3), {backend, wrt: [0]}, `[${c.r}, ${c.k}]`);
    }
  });

  test(`T4 on ${backend}: a constant added to a student row or a teacher row leaves that row's loss unchanged`,
       (t) => {
    const rng = seededRng(t);
    const r = 6, k = 37;
    const s = uniformHost(rng, [r, k], -3, 3), tt = uniformHost(rng, [r, k], -3, 3);
    const center = uniformHost(rng, [k], -0.5, 0.5);
    const shifted = (x: HostTensor, row: number, by: number) =>
      host(Array.from(x.values, (v, i) => (Math.floor(i / k) === row ? v + by : v)), [r, k]);
    const loss = (inputs: HostTensor[]) =>
      runOp(backend, 'composite', (a, b, c) => ibotDistill(a!, b!, c!, {teacherTemp: 0.04}).loss, inputs)[0]!;
    const base = loss([s, tt, center]);
    const variants = [loss([shifted(s, 2, 7.25), tt, center]), loss([s, shifted(tt, 4, -3.5), center]),
                      loss([shifted(s, 0, -11), shifted(tt, 0, 5), center])];
    variants.forEach((v, i) => assertMatches64(t, v, f64(base), [r], {rtol: 2e-5, atol: 2e-5}, `variant ${i}`));
    // Not vacuous: moving one logit of a row (not the whole row) changes its loss. Row 5 is made uniform (zero
    // logits) on both sides, so +2 on one student logit changes its loss by a known, large amount.
    const s5 = host(Array.from(s.values, (v, i) => (Math.floor(i / k) === 5 ? 0 : v)), [r, k]);
    const t5 = host(Array.from(tt.values, (v, i) => (Math.floor(i / k) === 5 ? 0 : v)), [r, k]);
    const zero = host(new Float32Array(k), [k]);
    const before5 = loss([s5, t5, zero]).values[5]!;
    const after5 = loss([host(Array.from(s5.values, (v, i) => (i === 5 * k + 3 ? 2 : v)), [r, k]), t5, zero]).values[5]!;
    // Uniform p: loss = lse(s/τs) − mean(s/τs): log K before, log(K − 1 + e^20) − 20/K after.
    t.true(Math.abs(before5 - Math.log(k)) < 1e-5, `uniform row loss ${before5}`);
    t.true(Math.abs(after5 - (Math.log(k - 1 + Math.exp(20)) - 20 / k)) < 1e-4, `one logit moved: ${after5}`);
  });

  test(`T4 on ${backend}: the gradient reaches only the student, and never its masked-out rows`, (t) => {
    const rng = seededRng(t);
    const c = randomCase(rng, 3, true);
    const mask = c.inputs[4]!.values;
    const [ds, dt, dc] = runOp(backend, 'composite', (s, tt, ctr, w, m) => tf.grads(
        (a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => {
          const {loss, teacherColSum} = ibotDistill(a, b, e, {teacherTemp: c.teacherTemp, rowMask: m!});
          // The column sums take part in the objective too: they must carry no gradient either.
          return tf.add(tf.sum(tf.mul(loss, w!)), tf.sum(teacherColSum));
        })([s!, tt!, ctr!]), c.inputs);
    t.true(Array.from(dt!.values).every((x) => x === 0), 'teacher gradient is zero');
    t.true(Array.from(dc!.values).every((x) => x === 0), 'center gradient is zero');
    t.deepEqual(dc!.shape, c.centerShape, 'center gradient shape');
    for (let i = 0; i < c.r; i++) {
      const row = Array.from(ds!.values.slice(i * c.k, (i + 1) * c.k));
      if (!mask[i]) t.true(row.every((x) => x === 0), `masked-out row ${i} gets no gradient`);
    }
    if (c.k > 1 && mask.some((m) => m === 1)) t.true(Array.from(ds!.values).some((x) => x !== 0), 'student gradient');
  });
}

test('masked-out rows cost nothing: loss exactly 0 even for extreme logits, all-masked gives zeros', (t) => {
  const s = tf.tensor2d([[1e4, -1e4, 0], [1, 2, 3]]), tt = tf.tensor2d([[-1e4, 1e4, 0], [3, 2, 1]]);
  const center = tf.zeros([3]);
  withFusedImpl('composite', () => {
    const {loss} = ibotDistill(s, tt, center, {teacherTemp: 0.04, rowMask: tf.tensor1d([false, true], 'bool')});
    t.is(loss.dataSync()[0], 0);
    t.true(loss.dataSync()[1]! > 0);
    const none = ibotDistill(s, tt, center, {teacherTemp: 0.04, rowMask: tf.tensor1d([false, false], 'bool')});
    t.deepEqual(Array.from(none.loss.dataSync()), [0, 0]);
  });
});

test('ibotDistill leaves no tensors behind and rejects bad arguments naming the op and shapes', (t) => {
  const s = tf.ones([4, 6]), center = tf.zeros([6]), mask = tf.tensor1d([true, false, true, true], 'bool');
  const before = tf.memory().numTensors;
  withFusedImpl('composite', () => {
    const r = ibotDistill(s, s, center, {teacherTemp: 0.04, rowMask: mask});
    tf.dispose([r.loss, r.teacherColSum]);
  });
  t.is(tf.memory().numTensors, before, 'tensors leaked');
  t.throws(() => ibotDistill(s, tf.ones([4, 5]), center, {teacherTemp: 0.04}),
           {message: /ibotDistill: teacher must have shape \[4, 6\], got \[4, 5\]/});
  t.throws(() => ibotDistill(s, s, tf.zeros([2, 6]), {teacherTemp: 0.04}),
           {message: /ibotDistill: center must have shape \[6\] or \[1, 6\]/});
  t.throws(() => ibotDistill(s, s, center, {teacherTemp: 0}), {message: /ibotDistill: teacherTemp must be a positive number/});
  t.throws(() => ibotDistill(s, s, center, {teacherTemp: 0.04, rowMask: tf.ones([4])}),
           {message: /ibotDistill: rowMask must be bool/});
  t.throws(() => ibotDistill(s, s, center, {teacherTemp: 0.04, rowMask: tf.ones([3], 'bool')}),
           {message: /ibotDistill: rowMask must have shape \[4\]/});
  tf.dispose([s, center, mask]);
});
