// IbotLoss against a float64 re-derivation of IBOT_SPEC §4.2/§4.3 written here from the formulas (T2's inputs at
// epoch 0, then epoch 5 with the updated centres, and without local crops; gradients too), T2's patch schedule with
// mim_start_epoch 3, T3's centre property, all six T4 properties, and the masked-rows form (the exact work
// avoidance, patch centre through the head's mean bottleneck) against the all-patches form.
import '@ibotjs/tfjs-backend-native/testing-setup';

import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import {seededRng, type Rng} from '@ibotjs/tfjs-backend-native/testing/random';

import {IbotHead} from './head.js';
import {IbotLoss, linspace, teacherTempSchedule, type IbotLossInputs, type IbotLossOptions} from './loss.js';
import {MaskedRows} from './masked_rows.js';
import {near, onBackends} from './testing/compare.js';
import {specInput} from './testing/spec_inputs.js';

// ---------------------------------------------------------------------------------------------------------------------
// Float64 reference, straight from the formulas of §4.2 and §4.3.

interface Problem {
  G: number; L: number; B: number; N: number; K: number;
  studentCls: Float32Array;    // [(G+L)·B, K]
  studentPatch: Float32Array;  // [G·B, N, K]
  teacherCls: Float32Array;    // [G·B, K]
  teacherPatch: Float32Array;  // [G·B, N, K]
  masks: Uint8Array;           // [G·B, N]
}

interface RefState {
  tau: number; tau2: number; tauS: number; m: number; m2: number; lambda1: number; lambda2: number;
  center: Float64Array; center2: Float64Array;
}

interface RefResult {
  cls: number; patch: number; loss: number; center: Float64Array; center2: Float64Array;
  dStudentCls: Float64Array; dStudentPatch: Float64Array;
  /** CE of every (image, patch) in float64, masked or not. */
  patchCE: Float64Array;
}

function softmax64(x: ArrayLike<number>, off: number, K: number, shift: ArrayLike<number> | null, temp: number):
    Float64Array {
  const z = new Float64Array(K);
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, (z[k] = (x[off + k]! - (shift ? shift[k]! : 0)) / temp));
  let s = 0;
  for (let k = 0; k < K; k++) s += (z[k] = Math.exp(z[k]! - max));
  for (let k = 0; k < K; k++) z[k]! /= s;
  return z;
}

function reference(p: Problem, s: RefState): RefResult {
  const {G, L, B, N, K} = p, V = G + L;
  const dStudentCls = new Float64Array(p.studentCls.length), dStudentPatch = new Float64Array(p.studentPatch.length);
  // H(P, Q) = -Σ P log Q with log Q = log softmax(s / τs); dH/ds = (Q - P) / τs.
  const ce = (P: Float64Array, x: ArrayLike<number>, off: number, grad: Float64Array | null, scale: number) => {
    const Q = softmax64(x, off, K, null, s.tauS);
    let h = 0;
    for (let k = 0; k < K; k++) h -= P[k]! * Math.log(Q[k]!);
    if (grad) for (let k = 0; k < K; k++) grad[off + k]! += scale * (Q[k]! - P[k]!) / s.tauS;
    return h;
  };
  let cls = 0;
  for (let q = 0; q < G; q++) {
    for (let v = 0; v < V; v++) {
      if (v === q) continue;
      for (let b = 0; b < B; b++) {
        const P = softmax64(p.teacherCls, (q * B + b) * K, K, s.center, s.tau);
        cls += ce(P, p.studentCls, (v * B + b) * K, dStudentCls, s.lambda1 / (G * (V - 1) * B)) / B;
      }
    }
  }
  cls *= s.lambda1 / (G * (V - 1));
  let patch = 0;
  const patchCE = new Float64Array(G * B * N);
  for (let i = 0; i < G * B; i++) {
    let count = 0;
    for (let n = 0; n < N; n++) count += p.masks[i * N + n]!;
    let sum = 0;
    for (let n = 0; n < N; n++) {
      const off = (i * N + n) * K;
      const P = softmax64(p.teacherPatch, off, K, s.center2, s.tau2);
      const m = p.masks[i * N + n]!;
      const h = ce(P, p.studentPatch, off, dStudentPatch, (s.lambda2 * m) / (G * B * Math.max(1, count)));
      patchCE[i * N + n] = h;
      sum += m * h;
    }
    patch += sum / Math.max(1, count) / (G * B);
  }
  patch *= s.lambda2;
  const center = new Float64Array(K), center2 = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let a = 0, c = 0;
    for (let r = 0; r < G * B; r++) a += p.teacherCls[r * K + k]!;
    for (let r = 0; r < G * B * N; r++) c += p.teacherPatch[r * K + k]!;
    center[k] = s.m * s.center[k]! + (1 - s.m) * a / (G * B);
    center2[k] = s.m2 * s.center2[k]! + (1 - s.m2) * c / (N * G * B);
  }
  return {cls, patch, loss: cls + patch, center, center2, dStudentCls, dStudentPatch, patchCE};
}

// ---------------------------------------------------------------------------------------------------------------------
// The T2 problem and a runner for both input forms.

const T2_OPTIONS: IbotLossOptions = {
  outDim: 6, nlcrops: 2, warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupTeacherTemp2: 0.04, teacherTemp2: 0.07,
  warmupTeacherTempEpochs: 10, nepochs: 20,
};

function t2Problem(withLocal = true): Problem {
  const [G, L, B, N, K] = [2, withLocal ? 2 : 0, 2, 4, 6];
  const global = specInput([4, 6], 0.3, 0.41, 0.3, 2.5), local = specInput([4, 6], 0.5, 0.31, 0.1, 2.0);
  const studentCls = new Float32Array((G + L) * B * K);
  studentCls.set(global);
  if (withLocal) studentCls.set(local, global.length);
  return {
    G, L, B, N, K, studentCls,
    teacherCls: specInput([4, 6], 0.1, 0.37, 0.2, 3.0),
    teacherPatch: specInput([4, 4, 6], 0.2, 0.29, 0.1, 2.0),
    studentPatch: specInput([4, 4, 6], 0.4, 0.23, 0.2, 1.5),
    // crop 0: image 0 [[1,0],[0,1]], image 1 empty; crop 1: image 0 [[1,1],[1,0]], image 1 [[0,1],[0,0]]
    masks: Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0]),
  };
}

function randomProblem(rng: Rng, G: number, L: number, B: number, N: number, K: number, maskP = 0.4): Problem {
  const r = (n: number, scale: number) => Float32Array.from({length: n}, () => rng.normal() * scale);
  return {
    G, L, B, N, K,
    studentCls: r((G + L) * B * K, 2), studentPatch: r(G * B * N * K, 2), teacherCls: r(G * B * K, 0.3),
    teacherPatch: r(G * B * N * K, 0.3), masks: Uint8Array.from({length: G * B * N}, () => (rng.next() < maskP ? 1 : 0)),
  };
}

type Form = 'full' | 'rows';

interface Tensors {
  studentCls: tf.Tensor2D; studentPatch: tf.Tensor3D; teacherCls: tf.Tensor2D; teacherPatch: tf.Tensor3D;
  masks: tf.Tensor;
}

function toTensors(p: Problem): Tensors {
  const {G, L, B, N, K} = p;
  return {
    studentCls: tf.tensor2d(p.studentCls, [(G + L) * B, K]),
    studentPatch: tf.tensor3d(p.studentPatch, [G * B, N, K]),
    teacherCls: tf.tensor2d(p.teacherCls, [G * B, K]),
    teacherPatch: tf.tensor3d(p.teacherPatch, [G * B, N, K]),
    masks: tf.tensor2d(p.masks, [G * B, N], 'bool'),
  };
}

/** The loss inputs of one form: the masked-rows form gathers the masked rows and averages the teacher patches. */
function inputsOf(x: Tensors, form: Form, epoch: number): IbotLossInputs {
  if (form === 'full') return {...x, epoch};
  const [GB, N, K] = x.studentPatch.shape;
  const rows = MaskedRows.fromMasks(x.masks);
  const idx = rows.rowIndices();
  return {
    studentCls: x.studentCls, teacherCls: x.teacherCls, masks: rows, epoch,
    studentPatch: tf.gather(tf.reshape(x.studentPatch, [GB * N, K]), idx),
    teacherPatch: tf.gather(tf.reshape(x.teacherPatch, [GB * N, K]), idx),
    teacherPatchMean: tf.mean(tf.reshape(x.teacherPatch, [GB * N, K]), 0, true),
  };
}

function values(out: {cls: tf.Scalar; patch: tf.Scalar; loss: tf.Scalar}): [number, number, number] {
  return [out.cls.dataSync()[0]!, out.patch.dataSync()[0]!, out.loss.dataSync()[0]!];
}

function refState(loss: IbotLoss, epoch: number, center = new Float64Array(loss.outDim),
                  center2 = new Float64Array(loss.patchOutDim)): RefState {
  return {tau: loss.teacherTemp(epoch), tau2: loss.teacherTemp2(epoch), tauS: loss.studentTemp, m: loss.centerMomentum,
          m2: loss.centerMomentum2, lambda1: loss.lambda1, lambda2: loss.lambda2, center, center2};
}

// float32 softmax cross-entropies over logits / 0.04 of a few units: a few 1e-6 relative.
const TOL = {rtol: 2e-5, atol: 2e-6};

test('T2/T3: loss values and centres match the float64 re-derivation at epoch 0, then epoch 5, and without local crops',
     (t) => {
  for (const form of ['full', 'rows'] as Form[]) {
    onBackends((backend) => {
      for (const withLocal of [true, false]) {
        const p = t2Problem(withLocal);
        const loss = new IbotLoss({...T2_OPTIONS, nlcrops: p.L});
        try {
          const x = toTensors(p);
          let state = refState(loss, 0);
          for (const epoch of withLocal ? [0, 5] : [0]) {
            state = {...state, tau: loss.teacherTemp(epoch), tau2: loss.teacherTemp2(epoch)};
            const want = reference(p, state);
            const label = `${backend} ${form} ${withLocal ? '2+2 crops' : '2 crops'} epoch ${epoch}`;
            near(t, values(loss.call(inputsOf(x, form, epoch))), [want.cls, want.patch, want.loss], TOL.rtol, TOL.atol,
                 `${label}: cls, patch, loss`);
            t.deepEqual(loss.center.shape, [1, 6]);
            t.deepEqual(loss.center2.shape, [1, 1, 6]);
            near(t, loss.center.dataSync(), want.center, TOL.rtol, TOL.atol, `${label}: center`);
            near(t, loss.center2.dataSync(), want.center2, TOL.rtol, TOL.atol, `${label}: center2`);
            state = {...state, center: want.center, center2: want.center2};
          }
        } finally {
          loss.dispose();
        }
      }
    });
  }
});

test('T2: the teacher temperature schedules, incl. mim_start_epoch 3', (t) => {
  const loss = new IbotLoss({...T2_OPTIONS, mimStartEpoch: 3});
  try {
    const step = 0.03 / 9;
    const cls = [...linspace(0.04, 0.07, 10), ...new Array<number>(10).fill(0.07)];
    near(t, loss.teacherTempSchedule, cls, 0, 1e-15, 'CLS schedule');
    near(t, loss.teacherTempSchedule.slice(0, 10), Array.from({length: 10}, (_, i) => 0.04 + i * step), 0, 1e-15,
         'CLS warmup is linspace(0.04, 0.07, 10)');
    // Spec T2: [0.04 ×4, 0.043333, 0.046667, …, 0.066667, 0.07 ×8]
    const patch = loss.teacherTempSchedule2;
    t.is(patch.length, 20);
    t.deepEqual(patch.slice(0, 4), [0.04, 0.04, 0.04, 0.04]);
    near(t, patch.slice(4, 12), Array.from({length: 8}, (_, i) => 0.04 + (i + 1) * step), 0, 1e-15, 'patch warmup');
    near(t, patch.slice(4, 12).map((v) => Math.round(v * 1e6) / 1e6),
         [0.043333, 0.046667, 0.05, 0.053333, 0.056667, 0.06, 0.063333, 0.066667], 0, 1e-12, 'as listed in the spec');
    t.deepEqual(patch.slice(12), new Array(8).fill(0.07));
    t.is(loss.teacherTemp2(3), 0.04);
    t.is(loss.teacherTemp2(19), 0.07);
    t.throws(() => loss.teacherTemp(20), {message: /epoch must be an integer in \[0, 20\)/});
    // Spec §4.1 example: E_w = 10 from 0.04 to 0.07.
    near(t, teacherTempSchedule(0.04, 0.07, 10, 12), [0.04, 0.043333, 0.046667, 0.05, 0.053333, 0.056667, 0.06,
         0.063333, 0.066667, 0.07, 0.07, 0.07], 0, 5e-7, '§4.1 example');
    t.throws(() => teacherTempSchedule(0.04, 0.07, 10, 12, 3), {message: /exceed the 12 epochs/});
  } finally {
    loss.dispose();
  }
});

test('T3: center2 averages over all patches of every image, masked or not', (t) => {
  onBackends((backend) => {
    const p = t2Problem();
    const changed = {...p, teacherPatch: Float32Array.from(p.teacherPatch)};
    // Add 1 to every logit of image 1 of crop 0, which has no mask: the loss cannot see it, the patch centre must.
    for (let j = 4 * 6; j < 8 * 6; j++) changed.teacherPatch[j]! += 1;
    const a = new IbotLoss(T2_OPTIONS), b = new IbotLoss(T2_OPTIONS);
    try {
      for (const form of ['full', 'rows'] as Form[]) {
        const va = values(a.call(inputsOf(toTensors(p), form, 0)));
        const vb = values(b.call(inputsOf(toTensors(changed), form, 0)));
        near(t, vb, va, 1e-6, 1e-7, `${backend} ${form}: loss unchanged (the centre difference is constant over k)`);
      }
      // Two calls each; the second centre differs by m·(first difference) + the same again.
      const diff = tf.sub(b.center2, a.center2).dataSync();
      const once = (1 - 0.9) * (4 * 1) / (2 * 2 * 4);  // (1 - m2) · Σ_n Δ / (G·B·N) per column
      near(t, diff, new Array(6).fill(once * 0.9 + once), 1e-5, 1e-7, `${backend}: centre difference`);
      near(t, b.center.dataSync(), a.center.dataSync(), 0, 0, `${backend}: CLS centre unaffected`);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

test('T4: adding a constant to a row of student or teacher logits changes neither term', (t) => {
  const rng = seededRng(t);
  onBackends((backend) => {
    const p = randomProblem(rng, 2, 3, 3, 5, 7);
    const shifted = (x: Float32Array, K: number) => {
      const out = Float32Array.from(x);
      for (let r = 0; r < x.length / K; r++) {
        const c = rng.uniform(-5, 5);
        for (let k = 0; k < K; k++) out[r * K + k]! += c;
      }
      return out;
    };
    const run = (q: Problem, form: Form) => {
      const loss = new IbotLoss({...T2_OPTIONS, outDim: 7, nlcrops: 3});
      try {
        return values(loss.call(inputsOf(toTensors(q), form, 4)));
      } finally {
        loss.dispose();
      }
    };
    for (const form of ['full', 'rows'] as Form[]) {
      const base = run(p, form);
      const s = run({...p, studentCls: shifted(p.studentCls, 7), studentPatch: shifted(p.studentPatch, 7)}, form);
      const te = run({...p, teacherCls: shifted(p.teacherCls, 7), teacherPatch: shifted(p.teacherPatch, 7)}, form);
      near(t, s, base, 1e-5, 1e-5, `${backend} ${form}: student rows shifted`);
      near(t, te, base, 1e-5, 1e-5, `${backend} ${form}: teacher rows shifted`);
    }
  });
});

test('T4: L_mim = 0 when every mask is empty; with only image b masked it is (1/G)(1/B)·mean CE over b', (t) => {
  const rng = seededRng(t);
  onBackends((backend) => {
    const [G, L, B, N, K] = [2, 2, 3, 6, 5];
    const p = randomProblem(rng, G, L, B, N, K);
    for (const form of ['full', 'rows'] as Form[]) {
      const loss = new IbotLoss({...T2_OPTIONS, outDim: K, nlcrops: L});
      try {
        const empty = {...p, masks: new Uint8Array(G * B * N)};
        const [cls, patch, total] = values(loss.call(inputsOf(toTensors(empty), form, 0)));
        t.is(patch, 0, `${backend} ${form}: empty masks`);
        t.is(total, cls);

        const only = new Uint8Array(G * B * N);
        const b = 4;  // crop 1, image 1
        for (const n of [0, 2, 3]) only[b * N + n] = 1;
        loss.loadStateDict({center: {shape: [1, K], data: new Float32Array(K)},
                            center2: {shape: [1, 1, K], data: new Float32Array(K)}});
        const got = values(loss.call(inputsOf(toTensors({...p, masks: only}), form, 0)))[1];
        const ce = reference({...p, masks: only}, refState(loss, 0)).patchCE;
        const meanCE = (ce[b * N]! + ce[b * N + 2]! + ce[b * N + 3]!) / 3;
        near(t, [got], [meanCE / (G * B)], TOL.rtol, TOL.atol, `${backend} ${form}: only image ${b} masked`);
      } finally {
        loss.dispose();
      }
    }
  });
});

test('T4: reordering the local crops leaves L_cls unchanged; swapping the global crops with their masks leaves L',
     (t) => {
  const rng = seededRng(t);
  onBackends((backend) => {
    const [G, L, B, N, K] = [2, 4, 2, 4, 6];
    const p = randomProblem(rng, G, L, B, N, K);
    const views = (x: Float32Array, rowsPerView: number, order: number[]) => {
      const out = new Float32Array(x.length), size = rowsPerView;
      order.forEach((from, to) => out.set(x.subarray(from * size, (from + 1) * size), to * size));
      return out;
    };
    const run = (q: Problem, form: Form) => {
      const loss = new IbotLoss({...T2_OPTIONS, outDim: K, nlcrops: L});
      try {
        return values(loss.call(inputsOf(toTensors(q), form, 7)));
      } finally {
        loss.dispose();
      }
    };
    for (const form of ['full', 'rows'] as Form[]) {
      const base = run(p, form);
      const locals = run({...p, studentCls: views(p.studentCls, B * K, [0, 1, 4, 2, 5, 3])}, form);
      near(t, [locals[0]], [base[0]], 1e-5, 1e-6, `${backend} ${form}: local crops reordered`);
      const swapped = run({
        ...p,
        studentCls: views(p.studentCls, B * K, [1, 0, 2, 3, 4, 5]),
        teacherCls: views(p.teacherCls, B * K, [1, 0]),
        studentPatch: views(p.studentPatch, B * N * K, [1, 0]),
        teacherPatch: views(p.teacherPatch, B * N * K, [1, 0]),
        masks: Uint8Array.from(views(Float32Array.from(p.masks), B * N, [1, 0])),
      }, form);
      near(t, swapped, base, 1e-5, 1e-6, `${backend} ${form}: global crops swapped with their masks`);
    }
  });
});

test('T4: the gradient reaches only the student logits, and equals the float64 gradient', (t) => {
  const rng = seededRng(t);
  onBackends((backend) => {
    const [G, L, B, N, K] = [2, 3, 2, 5, 9];
    const p = randomProblem(rng, G, L, B, N, K);
    for (const form of ['full', 'rows'] as Form[]) {
      const loss = new IbotLoss({...T2_OPTIONS, outDim: K, nlcrops: L, lambda1: 0.7, lambda2: 1.3});
      try {
        const want = reference(p, refState(loss, 2));
        const x = toTensors(p);
        const f = (sCls: tf.Tensor, sPatch: tf.Tensor, tCls: tf.Tensor, tPatch: tf.Tensor) =>
            loss.call(inputsOf({...x, studentCls: sCls as tf.Tensor2D, studentPatch: sPatch as tf.Tensor3D,
                                teacherCls: tCls as tf.Tensor2D, teacherPatch: tPatch as tf.Tensor3D}, form, 2)).loss;
        const [dsCls, dsPatch, dtCls, dtPatch] =
            tf.grads(f)([x.studentCls, x.studentPatch, x.teacherCls, x.teacherPatch]);
        const label = `${backend} ${form}`;
        t.true(dtCls!.dataSync().every((v) => v === 0), `${label}: no gradient to the teacher CLS logits`);
        t.true(dtPatch!.dataSync().every((v) => v === 0), `${label}: no gradient to the teacher patch logits`);
        near(t, dsCls!.dataSync(), want.dStudentCls, 1e-4, 1e-6, `${label}: d studentCls`);
        near(t, dsPatch!.dataSync(), want.dStudentPatch, 1e-4, 1e-6, `${label}: d studentPatch`);
        t.true(want.dStudentPatch.some((v) => v !== 0) && want.dStudentCls.some((v) => v !== 0));
      } finally {
        loss.dispose();
      }
    }
  });
});

test('the masked-rows form through the head (mean bottleneck for the patch centre) equals the all-patches form',
     (t) => {
  const rng = seededRng(t);
  const [G, L, B, N, D, K] = [2, 2, 3, 9, 8, 33];
  const head = new IbotHead({inDim: D, outDim: K, hiddenDim: 16, bottleneckDim: 5, seed: 2});
  try {
    onBackends((backend) => {
      const tok = (imgs: number, n: number) =>
          tf.tensor3d(Float32Array.from({length: imgs * (1 + n) * D}, () => rng.normal()), [imgs, 1 + n, D]);
      const teacherTokens = tok(G * B, N), studentTokens = tok(G * B, N), localTokens = tok(L * B, 0);
      const masks = tf.tensor2d(Uint8Array.from({length: G * B * N}, () => (rng.next() < 0.3 ? 1 : 0)), [G * B, N],
                                'bool');
      const rows = MaskedRows.fromMasks(masks), idx = rows.rowIndices();
      const localCls = head.forwardCls(tf.reshape(tf.slice(localTokens, [0, 0, 0], [L * B, 1, D]), [L * B, D]));

      const full = new IbotLoss({...T2_OPTIONS, outDim: K, nlcrops: L, centerMomentum2: 0.5});
      const avoid = new IbotLoss({...T2_OPTIONS, outDim: K, nlcrops: L, centerMomentum2: 0.5});
      try {
        for (const epoch of [0, 12]) {
          const te = head.forward(teacherTokens), st = head.forward(studentTokens);
          const a = values(full.call({studentCls: tf.concat([st.cls, localCls]), studentPatch: st.patch!,
                                      teacherCls: te.cls, teacherPatch: te.patch!, masks, epoch}));
          const te2 = head.forward(teacherTokens, {patchRows: idx, patchMean: true});
          const st2 = head.forward(studentTokens, {patchRows: idx});
          const b = values(avoid.call({studentCls: tf.concat([st2.cls, localCls]), studentPatch: st2.patch!,
                                       teacherCls: te2.cls, teacherPatch: te2.patch!,
                                       teacherPatchMean: te2.patchMean!, masks: rows, epoch}));
          near(t, b, a, 1e-5, 1e-6, `${backend} epoch ${epoch}: cls, patch, loss`);
          near(t, avoid.center2.dataSync(), full.center2.dataSync(), 1e-5, 1e-6, `${backend} epoch ${epoch}: center2`);
          near(t, avoid.center.dataSync(), full.center.dataSync(), 1e-6, 1e-7, `${backend} epoch ${epoch}: center`);
        }
      } finally {
        full.dispose();
        avoid.dispose();
      }
    });
  } finally {
    head.dispose();
  }
});

test('bad inputs and options give errors that name the argument and the shapes', (t) => {
  const loss = new IbotLoss(T2_OPTIONS);
  try {
    tf.tidy(() => {
      const x = toTensors(t2Problem());
      const ok = inputsOf(x, 'full', 0);
      t.throws(() => loss.call({...ok, studentCls: tf.zeros([6, 6])}), {message: /studentCls must have V·B = 4·2 rows/});
      t.throws(() => loss.call({...ok, teacherCls: tf.zeros([3, 6])}), {message: /not a positive multiple of G = 2/});
      t.throws(() => loss.call({...ok, teacherPatch: tf.zeros([4, 4, 5])}), {message: /teacherPatch must be float32/});
      t.throws(() => loss.call({...ok, masks: tf.zeros([4, 5], 'bool')}), {message: /masks \[4,5\] do not match/});
      t.throws(() => loss.call({...ok, epoch: 20}), {message: /epoch must be an integer in \[0, 20\)/});
      const rows = inputsOf(x, 'rows', 0);
      t.throws(() => loss.call({...rows, teacherPatchMean: null}), {message: /needs teacherPatchMean/});
      t.throws(() => loss.call({...rows, studentPatch: tf.zeros([3, 6]), teacherPatch: tf.zeros([3, 6])}),
               {message: /select 6 patch rows, studentPatch has 3/});
    });
    t.deepEqual([...loss.center.dataSync()], new Array(6).fill(0), 'failed calls leave the centres alone');
    t.throws(() => new IbotLoss({...T2_OPTIONS, ngcrops: 1, nlcrops: 0}), {message: /at least two views/});
    t.throws(() => new IbotLoss({...T2_OPTIONS, teacherTemp: 0}), {message: /teacherTemp must be positive/});
    t.throws(() => new IbotLoss({...T2_OPTIONS, mimStartEpoch: 11}), {message: /exceed the 20 epochs/});
  } finally {
    loss.dispose();
  }
});

test('centres round-trip through stateDict, and a call leaks no tensors', (t) => {
  const loss = new IbotLoss(T2_OPTIONS);
  const x = toTensors(t2Problem());
  try {
    const before = tf.memory().numTensors;
    const out = loss.call(inputsOf(x, 'full', 0));
    t.is(tf.memory().numTensors, before + 3, 'only cls, patch and loss are new');
    tf.dispose([out.cls, out.patch, out.loss]);
    const sd = loss.stateDict();
    t.deepEqual(sd.get('center')!.shape, [1, 6]);
    t.deepEqual(sd.get('center2')!.shape, [1, 1, 6]);
    const other = new IbotLoss(T2_OPTIONS);
    other.loadStateDict(sd);
    t.deepEqual(other.stateDict(), sd);
    other.dispose();
  } finally {
    loss.dispose();
    tf.dispose(Object.values(x));
  }
});
