// IbotDistill and IbotDistillGrad against the float64 reference of distill_reference.ts on fresh random rows: K from 1
// to 65536 (chunk and vector tails included), R from 0 to 700, masks all / none / random / absent, the temperatures
// of the recipe, extreme logits; the loss properties of IBOT_SPEC §9 T4 at kernel level; every CPU ISA path; and
// bit-identical results on 1 and 2 threads (the column sums are summed in a fixed order).
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {assertRanNatively, backendUnderTest, type Tolerance, worstMismatch} from '../testing/parity.js';
import {Rng, seededRng, testSeed} from '../testing/random.js';
import {type DistillCase, distillGradReference, distillReference} from './distill_reference.js';

type MaskKind = 'all' | 'none' | 'random' | 'absent';

interface Options {
  /** Logits uniform in [-range, range] (default 3, the scale of head outputs). */
  range?: number;
  mask?: MaskKind;
  studentTemp?: number;
  teacherTemp?: number;
}

function makeCase(rng: Rng, rows: number, k: number, o: Options = {}): DistillCase {
  const range = o.range ?? 3;
  const uniform = (n: number, lo: number, hi: number) => Float32Array.from({length: n}, () => rng.uniform(lo, hi));
  const mask = o.mask ?? 'random';
  let rowMask: Uint8Array | null = null;
  if (mask !== 'absent') {
    rowMask = Uint8Array.from({length: rows}, () => (mask === 'all' ? 1 : mask === 'none' ? 0 : rng.next() < 0.6 ? 1 : 0));
  }
  return {
    rows,
    k,
    student: uniform(rows * k, -range, range),
    teacher: uniform(rows * k, -range, range),
    center: uniform(k, -range / 4, range / 4),
    rowMask,
    studentTemp: o.studentTemp ?? 0.1,
    teacherTemp: o.teacherTemp ?? 0.07,
  };
}

function inputsOf(c: DistillCase): Record<string, tf.Tensor> {
  const inputs: Record<string, tf.Tensor> = {
    student: tf.tensor(c.student, [c.rows, c.k]),
    teacher: tf.tensor(c.teacher, [c.rows, c.k]),
    center: tf.tensor(c.center, [c.k]),
  };
  if (c.rowMask) inputs['rowMask'] = tf.tensor(c.rowMask, [c.rows], 'bool');
  return inputs;
}

interface Outputs {
  loss: Float32Array;
  colSum: Float32Array;
  grad: Float32Array;
}

/** Runs both kernels on the backend under test; returns host copies (nothing leaks). */
function runKernels(c: DistillCase, dLoss: Float32Array): Outputs {
  return tf.tidy(() => {
    const inputs = inputsOf(c);
    const attrs = {studentTemp: c.studentTemp, teacherTemp: c.teacherTemp};
    const [loss, colSum] = tf.engine().runKernel('IbotDistill', inputs, attrs) as tf.Tensor[];
    const grad = tf.engine().runKernel('IbotDistillGrad', {...inputs, dLoss: tf.tensor(dLoss, [c.rows])},
                                       attrs) as tf.Tensor;
    return {
      loss: loss!.dataSync() as Float32Array,
      colSum: colSum!.dataSync() as Float32Array,
      grad: grad.dataSync() as Float32Array,
    };
  });
}

function colSumTolerance(c: DistillCase): Tolerance {
  let m = 0;
  for (const x of c.teacher) m = Math.max(m, Math.abs(x));
  return {rtol: 1e-6, atol: 1e-6 * m * Math.sqrt(Math.max(1, c.rows))};
}

function assertValues(t: ExecutionContext, got: Float32Array, want: ArrayLike<number>, tol: Tolerance,
                      label: string): void {
  t.is(got.length, want.length, `${label}: size`);
  const bad = worstMismatch(got, want, tol);
  t.is(bad, null, bad ? `${label}: index ${bad.index}: got ${bad.got}, want ${bad.want}` : '');
}

/**
 * |got - want| <= bound + rtol |want| + atol element by element. `bound` is the reference's float32 condition bound
 * (distill_reference.ts); rtol covers the sums over K and exp_f32's few ulp. A wrong term (a missed rescale, a lost
 * tail, a wrong temperature) is off by orders of magnitude more.
 */
function assertWithin(t: ExecutionContext, got: Float32Array, want: ArrayLike<number>, bound: ArrayLike<number>,
                      rtol: number, atol: number, label: string): void {
  t.is(got.length, want.length, `${label}: size`);
  let worst = -1, excess = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) - (bound[i]! + rtol * Math.abs(want[i]!) + atol);
    if (!(e <= excess)) {  // also catches NaN
      worst = i;
      excess = Number.isNaN(e) ? Infinity : e;
    }
  }
  t.is(worst, -1, worst < 0 ? '' : `${label}: index ${worst}: got ${got[worst]}, want ${want[worst]} ` +
                                        `(allowed ${bound[worst]! + rtol * Math.abs(want[worst]!) + atol})`);
}

function randomDLoss(rng: Rng, rows: number): Float32Array {
  return Float32Array.from({length: rows}, () => (rng.next() < 0.1 ? 0 : rng.uniform(-2, 2)));
}

function checkCase(t: ExecutionContext, rng: Rng, c: DistillCase, label: string): Outputs {
  const dLoss = randomDLoss(rng, c.rows);
  const got = runKernels(c, dLoss);
  const want = distillReference(c);
  const desc = `${label} [${c.rows}, ${c.k}] mask ${c.rowMask ? 'given' : 'absent'} τs ${c.studentTemp} ` +
      `τt ${c.teacherTemp}`;
  assertWithin(t, got.loss, want.loss, want.lossBound, 1e-5, 1e-6, `${desc} loss`);
  assertValues(t, got.colSum, want.colSum, colSumTolerance(c), `${desc} colSum`);
  const g = distillGradReference(c, dLoss);
  assertWithin(t, got.grad, g.grad, g.gradBound, 1e-5, 1e-9, `${desc} grad`);
  return got;
}

const masks: MaskKind[] = ['all', 'none', 'random', 'absent'];
const temps = [0.04, 0.07, 0.1];

test('IbotDistill(+Grad) match the float64 reference over K, R, masks and temperatures', (t) => {
  const rng = seededRng(t);
  const shapes: Array<[number, number]> = [
    [0, 7], [0, 8192], [1, 1], [5, 1], [700, 1], [1, 7], [5, 7], [700, 7], [3, 63], [4, 64], [3, 65], [2, 1023],
    [2, 1024], [3, 1030], [2, 2049], [5, 8192], [37, 8192], [1, 65536], [5, 65536],
  ];
  for (const [rows, k] of shapes) {
    for (const mask of masks) {
      checkCase(t, rng, makeCase(rng, rows, k, {mask, studentTemp: rng.pick(temps), teacherTemp: rng.pick(temps)}), '');
    }
  }
});

test('IbotDistill(+Grad) on the paper shapes: 700 patch rows and CLS rows of K = 8192', (t) => {
  const rng = seededRng(t);
  checkCase(t, rng, makeCase(rng, 700, 8192, {mask: 'random', studentTemp: 0.1, teacherTemp: 0.07}), 'patches');
  checkCase(t, rng, makeCase(rng, 48, 8192, {mask: 'absent', studentTemp: 0.1, teacherTemp: 0.04}), 'cls');
});

test('IbotDistill(+Grad) stay finite and accurate for extreme logits (±80, i.e. ±80/τ after the temperature)', (t) => {
  const rng = seededRng(t);
  for (const temp of temps) {
    for (const [rows, k] of [[6, 7], [4, 1030], [3, 8192]] as Array<[number, number]>) {
      const c = makeCase(rng, rows, k, {range: 80, mask: 'absent', studentTemp: temp, teacherTemp: temp});
      const got = checkCase(t, rng, c, `range 80 τ ${temp}`);
      t.true(got.loss.every(Number.isFinite) && got.grad.every(Number.isFinite), 'all finite');
      // One dominant logit per row, far past exp's float range without the max shift.
      const spiky = makeCase(rng, rows, k, {range: 1, mask: 'all', studentTemp: temp, teacherTemp: temp});
      for (let r = 0; r < rows; r++) {
        spiky.student[r * k + rng.int(0, k - 1)] = 80;
        spiky.teacher[r * k + rng.int(0, k - 1)] = -80 + 160 * rng.next();
      }
      checkCase(t, rng, spiky, `spiky τ ${temp}`);
    }
  }
});

test('IbotDistill properties (IBOT_SPEC §9 T4): shifting a row changes nothing; an empty mask gives zeros', (t) => {
  const rng = seededRng(t);
  for (const [rows, k] of [[5, 7], [9, 1030], [4, 8192]] as Array<[number, number]>) {
    const c = makeCase(rng, rows, k, {mask: 'absent'});
    const dLoss = randomDLoss(rng, rows);
    const base = runKernels(c, dLoss);
    const shifted = (x: Float32Array, r: number, d: number) => {
      const y = x.slice();
      for (let j = 0; j < k; j++) y[r * k + j]! += d;
      return y;
    };
    for (let r = 0; r < rows; r++) {
      const ds = rng.uniform(-20, 20), dt = rng.uniform(-20, 20);
      const moved = runKernels({...c, student: shifted(c.student, r, ds), teacher: shifted(c.teacher, r, dt)}, dLoss);
      // The shifted logits are rounded again in float32 (|x + 20| has a coarser ulp), hence the tolerance of a
      // scale of 25 / τ rather than of the inputs'.
      const scale = 25 / Math.min(c.studentTemp, c.teacherTemp);
      const tol = {rtol: 1e-5, atol: 4e-6 * scale + 2e-7 * Math.sqrt(k)};
      assertValues(t, moved.loss.subarray(r, r + 1), base.loss.subarray(r, r + 1), tol, `[${rows}, ${k}] row ${r} loss`);
      const g = Math.abs(dLoss[r]!) / c.studentTemp;
      assertValues(t, moved.grad.subarray(r * k, (r + 1) * k), base.grad.subarray(r * k, (r + 1) * k),
                   {rtol: 1e-3, atol: g * 1e-5 * scale / Math.sqrt(k)}, `[${rows}, ${k}] row ${r} grad`);
    }
    // A mask of zeros: no loss and no gradient on any row, but the column sums still cover every row.
    const none = {...c, rowMask: new Uint8Array(rows)};
    const off = runKernels(none, dLoss);
    t.true(off.loss.every((x) => x === 0), 'zero mask: zero loss');
    t.true(off.grad.every((x) => x === 0), 'zero mask: zero gradient');
    assertValues(t, off.colSum, distillReference(c).colSum, colSumTolerance(c), 'zero mask: column sums');
  }
});

test('IbotDistill column sums cover every row whatever the mask, and masked-out rows give exact zeros', (t) => {
  const rng = seededRng(t);
  const c = makeCase(rng, 300, 129, {mask: 'random'});
  const dLoss = randomDLoss(rng, c.rows);
  const got = runKernels(c, dLoss);
  const all = runKernels({...c, rowMask: null}, dLoss);
  t.deepEqual(got.colSum, all.colSum, 'the mask does not change the column sums');
  for (let r = 0; r < c.rows; r++) {
    if (c.rowMask![r]) {
      t.is(got.loss[r], all.loss[r], `row ${r}: same loss as with no mask`);
    } else {
      t.is(got.loss[r], 0, `row ${r}: masked out`);
      t.true(got.grad.subarray(r * c.k, (r + 1) * c.k).every((x) => x === 0), `row ${r}: zero gradient`);
    }
  }
});

test('IbotDistill with [B, N, K] inputs and a [1, K] centre (rows are the leading dimensions)', (t) => {
  const rng = seededRng(t);
  const c = makeCase(rng, 12, 33, {mask: 'random'});
  const want = distillReference(c);
  const dLoss = randomDLoss(rng, c.rows);
  const wantGrad = distillGradReference(c, dLoss);
  tf.tidy(() => {
    const inputs = {
      student: tf.tensor(c.student, [3, 4, 33]),
      teacher: tf.tensor(c.teacher, [3, 4, 33]),
      center: tf.tensor(c.center, [1, 33]),
      rowMask: tf.tensor(c.rowMask!, [3, 4], 'bool'),
    };
    const attrs = {studentTemp: c.studentTemp, teacherTemp: c.teacherTemp};
    const [loss, colSum] = tf.engine().runKernel('IbotDistill', inputs, attrs) as tf.Tensor[];
    t.deepEqual(loss!.shape, [3, 4]);
    t.deepEqual(colSum!.shape, [33]);
    assertWithin(t, loss!.dataSync() as Float32Array, want.loss, want.lossBound, 1e-5, 1e-6, 'loss');
    const grad = tf.engine().runKernel('IbotDistillGrad', {...inputs, dLoss: tf.tensor(dLoss, [3, 4])},
                                       attrs) as tf.Tensor;
    t.deepEqual(grad.shape, [3, 4, 33]);
    assertWithin(t, grad.dataSync() as Float32Array, wantGrad.grad, wantGrad.gradBound, 1e-5, 1e-9, 'grad');
  });
});

test('IbotDistill(+Grad) run natively and reject inputs of other dtypes with an Error', (t) => {
  const rng = seededRng(t);
  const c = makeCase(rng, 4, 10);
  assertRanNatively(t, ['IbotDistill', 'IbotDistillGrad'], () => runKernels(c, randomDLoss(rng, 4)));
  tf.tidy(() => {
    const inputs = inputsOf(c);
    const attrs = {studentTemp: 0.1, teacherTemp: 0.04};
    t.throws(() => tf.engine().runKernel('IbotDistill', {...inputs, student: tf.zeros([4, 10], 'int32')}, attrs),
             {message: /IbotDistill: student must be float32, got int32/});
    t.throws(() => tf.engine().runKernel('IbotDistill', {...inputs, rowMask: tf.ones([4], 'float32')}, attrs),
             {message: /IbotDistill: rowMask must be bool/});
    t.throws(() => tf.engine().runKernel('IbotDistill', {...inputs, center: tf.zeros([9])}, attrs),
             {message: /IbotDistill: center must have 10 elements/});
    t.throws(() => tf.engine().runKernel('IbotDistill', inputs, {studentTemp: 0, teacherTemp: 0.04}),
             {message: /IbotDistill: studentTemp must be a positive finite number/});
    t.throws(() => tf.engine().runKernel('IbotDistillGrad', {...inputs, dLoss: tf.zeros([5])}, attrs),
             {message: /IbotDistillGrad: dLoss must have shape \[4\]/});
  });
});

test('IbotDistill(+Grad) agree with the reference on every CPU ISA path, and bit for bit on 1 and 2 threads', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths and threads are properties of the native CPU backend');
    return;
  }
  const seed = testSeed();
  t.log(`seed ${seed}`);
  const addon = nativeAddon();
  const start = addon.info().cpu;
  try {
    for (const isa of ['generic', 'avx2', 'avx512'] as const) {
      if (!addon.setCpuIsa(isa)) {
        t.log(`${isa}: not supported by this CPU, skipped`);
        continue;
      }
      t.log(`${isa}: checked`);
      const rng = new Rng(seed);
      for (const [rows, k] of [[5, 7], [3, 1030], [40, 8192], [2, 65536]] as Array<[number, number]>) {
        checkCase(t, rng, makeCase(rng, rows, k, {mask: 'random'}), isa);
      }
      const c = makeCase(rng, 333, 1000, {mask: 'random', studentTemp: 0.1, teacherTemp: 0.04});
      const dLoss = randomDLoss(rng, c.rows);
      addon.setNumThreads(1);
      const one = runKernels(c, dLoss);
      addon.setNumThreads(2);
      const two = runKernels(c, dLoss);
      for (const key of ['loss', 'colSum', 'grad'] as const) {
        t.true(Buffer.from(one[key].buffer).equals(Buffer.from(two[key].buffer)), `${isa} ${key}: 1 vs 2 threads`);
      }
    }
  } finally {
    addon.setCpuIsa(start.isa);
    addon.setNumThreads(start.threads);
  }
});

test('the float64 reference gradient agrees with central differences of the reference loss', (t) => {
  // Checks the test's own reference, so a wrong reference cannot make a wrong kernel pass.
  const rng = seededRng(t);
  const c = makeCase(rng, 3, 6, {mask: 'random'});
  c.rowMask![0] = 1;
  const dLoss = [0.7, -1.3, 2.1];
  const {grad} = distillGradReference(c, dLoss);
  const student64 = Float64Array.from(c.student);
  const weighted = (s: Float64Array) => {
    const {loss} = distillReference({...c, student: s as unknown as Float32Array});
    return loss.reduce((acc, l, r) => acc + l * dLoss[r]!, 0);
  };
  const h = 1e-6;
  for (let i = 0; i < student64.length; i++) {
    const plus = student64.slice(), minus = student64.slice();
    plus[i]! += h;
    minus[i]! -= h;
    const numeric = (weighted(plus) - weighted(minus)) / (2 * h);
    t.true(Math.abs(numeric - grad[i]!) <= 1e-5 * (1 + Math.abs(grad[i]!)), `element ${i}: ${numeric} vs ${grad[i]}`);
  }
});
