// adamw, ema and clipPerParam: the spec's goldens (IBOT_SPEC §9 T9, T10) and float64 references of PyTorch's
// arithmetic on random parameter lists, through the op functions on 'cpu' and on the backend under test — by default
// (the fused kernel where the backend has one) and with the composite forced.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {backendUnderTest, useBackend} from '@ibotjs/tfjs-backend-native/testing/parity';
import {randomShape, type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {adamw, type AdamWOptions, createAdamWState, disposeAdamWState} from './adamw.js';
import {clipPerParam} from './clip_per_param.js';
import {type FusedImpl, withFusedImpl} from './dispatch.js';
import {ema} from './ema.js';

/** Every (backend, path) the tests run through ('auto' on cpu is the composite). */
const settings: Array<[string, FusedImpl]> = [
  ['cpu', 'auto'], [backendUnderTest, 'auto'], [backendUnderTest, 'composite'],
];

/** Runs fn on a backend with a forced path; checks that it leaves no tensor behind beyond what it returns. */
function onBackend<T>(backend: string, impl: FusedImpl, fn: () => T): T {
  const previous = tf.getBackend();
  useBackend(backend);
  try {
    return withFusedImpl(impl, fn);
  } finally {
    useBackend(previous);
  }
}

/** A variable holding `values` (tidy releases the initial tensor). */
function makeVariable(values: ArrayLike<number>, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(values), shape)));
}

function close(t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number,
               label: string): void {
  t.is(got.length, want.length, `${label}: length`);
  let bad = -1;
  for (let i = 0; i < want.length && bad < 0; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= atol + rtol * Math.abs(want[i]!))) bad = i;
  }
  t.is(bad, -1, `${label}[${bad}]: got ${got[bad]}, want ${want[bad]}`);
}

for (const [backend, impl] of settings) {
  test(`T10: AdamW golden on ${backend} (${impl}): decayed and no-decay parameters, two steps`, (t) => {
    onBackend(backend, impl, () => {
      const tensorsBefore = tf.memory().numTensors;
      const p = makeVariable([1, -2], [2]);
      const q = makeVariable([0.5], [1]);
      const state = createAdamWState([p, q]);
      const opts: AdamWOptions = {lr: 0.1, weightDecay: [0.04, 0]};
      const step = (gp: number[], gq: number[]) => {
        const g = [tf.tensor1d(gp), tf.tensor1d(gq)];
        adamw([p, q], g, state, opts);
        tf.dispose(g);
      };
      step([0.5, 0.1], [-0.3]);
      close(t, p.dataSync(), [0.896, -2.092], 1e-6, 1e-7, 'p after step 1');
      close(t, q.dataSync(), [0.6], 1e-6, 1e-7, 'q after step 1');
      step([0.2, -0.4], [0.1]);
      close(t, p.dataSync(), [0.80255848, -2.02768164], 1e-6, 1e-7, 'p after step 2');
      close(t, q.dataSync(), [0.6400218521], 1e-6, 1e-7, 'q after step 2');
      t.deepEqual(state.step, [2, 2]);
      tf.dispose([p, q]);
      disposeAdamWState(state);
      t.is(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
    });
  });

  test(`T9: per-parameter clipping golden on ${backend} (${impl}): norms 5 and 1, clip 3`, (t) => {
    onBackend(backend, impl, () => {
      const tensorsBefore = tf.memory().numTensors;
      const g = [tf.tensor1d([3, 4, 0, 0]), tf.tensor1d([0.6, 0.8])];
      const {grads, norms} = clipPerParam(g, 3);
      close(t, grads[0]!.dataSync(), [1.79999964, 2.39999952, 0, 0], 2e-7, 0, 'clipped');
      // The second is below the threshold: unchanged bit for bit.
      t.deepEqual(Array.from(grads[1]!.dataSync()), Array.from(g[1]!.dataSync()), 'unclipped');
      close(t, norms.dataSync(), [5, 1], 1e-7, 0, 'norms');
      t.deepEqual(norms.shape, [2]);
      tf.dispose([...g, ...grads, norms]);
      t.is(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
    });
  });
}

/** A random parameter list of odd shapes (ranks 0-3, a 1-element and an empty tensor among them). */
function randomParamShapes(rng: Rng): number[][] {
  return [[], [1], [0], ...Array.from({length: 4}, () => randomShape(rng, rng.int(1, 3), 9))];
}

function randomValues(rng: Rng, n: number, scale = 1): Float64Array {
  return Float64Array.from({length: n}, () => rng.uniform(-scale, scale));
}

const f32 = (x: ArrayLike<number>) => Float64Array.from(Float32Array.from(x));

for (const [backend, impl] of settings) {
  test(`adamw on ${backend} (${impl}) matches PyTorch's arithmetic in float64 over 4 steps, per-parameter lr, ` +
       'decay and step counts, a frozen parameter', (t) => {
    const rng = seededRng(t);
    const shapes = randomParamShapes(rng);
    const n = shapes.length;
    const lr = shapes.map(() => rng.uniform(1e-3, 0.1));
    const wd = shapes.map(() => (rng.next() < 0.3 ? 0 : rng.uniform(0.01, 0.4)));
    const beta1 = 0.85, beta2 = 0.99, eps = 1e-6;
    // float64 reference state, starting from the float32-rounded initial values.
    const ref = shapes.map((s) => {
      const size = s.reduce((a, b) => a * b, 1);
      return {p: f32(randomValues(rng, size)), m: new Float64Array(size), v: new Float64Array(size), t: 0};
    });
    onBackend(backend, impl, () => {
      const params = ref.map((r, i) => makeVariable(r.p, shapes[i]!));
      const state = createAdamWState(params);
      for (let stepIndex = 0; stepIndex < 4; stepIndex++) {
        // Parameter 3 is frozen (no gradient) on the first two steps: it must not move or count steps.
        const gradsHost = ref.map((r, i) => (i === 3 && stepIndex < 2 ? null : f32(randomValues(rng, r.p.length))));
        const grads = gradsHost.map((g, i) => (g ? tf.tensor(Float32Array.from(g), shapes[i]) : null));
        adamw(params, grads, state, {lr, weightDecay: wd, beta1, beta2, eps});
        tf.dispose(grads.filter((g): g is tf.Tensor => g != null));
        gradsHost.forEach((g, i) => {
          if (!g) return;
          const r = ref[i]!;
          r.t += 1;
          const bc1 = 1 - beta1 ** r.t, bc2 = Math.sqrt(1 - beta2 ** r.t);
          for (let j = 0; j < g.length; j++) {
            r.p[j] = r.p[j]! * (1 - lr[i]! * wd[i]!);
            r.m[j] = beta1 * r.m[j]! + (1 - beta1) * g[j]!;
            r.v[j] = beta2 * r.v[j]! + (1 - beta2) * g[j]! * g[j]!;
            r.p[j] = r.p[j]! - (lr[i]! / bc1) * r.m[j]! / (Math.sqrt(r.v[j]!) / bc2 + eps);
          }
        });
      }
      t.deepEqual(state.step, ref.map((r) => r.t), 'step counts');
      for (let i = 0; i < n; i++) {
        close(t, params[i]!.dataSync(), ref[i]!.p, 1e-5, 1e-6, `param ${i} [${shapes[i]}]`);
        close(t, state.m[i]!.dataSync(), ref[i]!.m, 1e-5, 1e-7, `m ${i}`);
        close(t, state.v[i]!.dataSync(), ref[i]!.v, 1e-5, 1e-9, `v ${i}`);
      }
      tf.dispose(params);
      disposeAdamWState(state);
    });
  });

  test(`ema on ${backend} (${impl}) matches float64 and assigns the teacher in place`, (t) => {
    const rng = seededRng(t);
    const shapes = randomParamShapes(rng);
    const teacherHost = shapes.map((s) => f32(randomValues(rng, s.reduce((a, b) => a * b, 1), 2)));
    const studentHost = shapes.map((s) => f32(randomValues(rng, s.reduce((a, b) => a * b, 1), 2)));
    onBackend(backend, impl, () => {
      const tensorsBefore = tf.memory().numTensors;
      const teacher = teacherHost.map((h, i) => makeVariable(h, shapes[i]!));
      const student = studentHost.map((h, i) => tf.tensor(Float32Array.from(h), shapes[i]));
      const m = rng.uniform(0.9, 1);
      ema(teacher, student, m);
      teacher.forEach((v, i) => close(t, v.dataSync(),
                                      teacherHost[i]!.map((x, j) => m * x + (1 - m) * studentHost[i]![j]!),
                                      1e-6, 1e-7, `teacher ${i} [${shapes[i]}]`));
      // m = 1 keeps the teacher, m = 0 copies the student.
      const before = teacher.map((v) => Array.from(v.dataSync()));
      ema(teacher, student, 1);
      teacher.forEach((v, i) => t.deepEqual(Array.from(v.dataSync()), before[i], `m = 1, teacher ${i}`));
      ema(teacher, student, 0);
      teacher.forEach((v, i) => t.deepEqual(Array.from(v.dataSync()), Array.from(student[i]!.dataSync()),
                                            `m = 0, teacher ${i}`));
      tf.dispose([...teacher, ...student]);
      t.is(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
    });
  });

  test(`clipPerParam on ${backend} (${impl}) matches float64 on random gradients, zero and empty ones`, (t) => {
    const rng = seededRng(t);
    const shapes = randomParamShapes(rng);
    // Scales spread around the threshold so some gradients are clipped and some are not; one is all zeros.
    const gradsHost = shapes.map((s, i) => f32(randomValues(rng, s.reduce((a, b) => a * b, 1),
                                                            i === 1 ? 0 : 10 ** rng.uniform(-1.5, 1.5))));
    const maxNorm = rng.uniform(0.5, 3);
    onBackend(backend, impl, () => {
      const grads = gradsHost.map((h, i) => tf.tensor(Float32Array.from(h), shapes[i]));
      const out = clipPerParam(grads, maxNorm);
      t.is(out.grads.length, grads.length);
      const norms = out.norms.dataSync();
      gradsHost.forEach((g, i) => {
        const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
        close(t, [norms[i]!], [norm], 1e-5, 1e-7, `norm ${i}`);
        const coef = maxNorm / (norm + 1e-6);
        t.deepEqual(out.grads[i]!.shape, shapes[i], `shape ${i}`);
        close(t, out.grads[i]!.dataSync(), coef < 1 ? g.map((x) => x * coef) : g, 1e-5, 1e-7,
              `grad ${i} [${shapes[i]}] (norm ${norm.toPrecision(4)}, clip ${maxNorm.toPrecision(4)})`);
      });
      tf.dispose([...grads, ...out.grads, out.norms]);
    });
  });
}

test('optimizer helpers reject bad arguments with errors naming the op', (t) => {
  const p = makeVariable([0, 0, 0, 0, 0, 0], [2, 3]);
  const state = createAdamWState([p]);
  t.throws(() => adamw([p], [tf.zeros([3, 2])], state, {lr: 0.1, weightDecay: 0}), {message: /adamw: grads\[0\]/});
  t.throws(() => adamw([p], [], state, {lr: 0.1, weightDecay: 0}), {message: /adamw: .*same length/});
  t.throws(() => adamw([p], [tf.zeros([2, 3])], state, {lr: [0.1, 0.2], weightDecay: 0}),
           {message: /adamw: lr has 2 values for 1 parameters/});
  t.throws(() => adamw([p], [tf.zeros([2, 3])], state, {lr: 0.1, weightDecay: 0, beta2: 1}), {message: /beta2/});
  t.throws(() => ema([p], [tf.zeros([3])], 0.9), {message: /ema: student\[0\] must have shape \[2, 3\]/});
  t.throws(() => ema([p], [tf.zeros([2, 3])], 1.5), {message: /ema: momentum/});
  t.throws(() => clipPerParam([tf.zeros([2])], 0), {message: /clipPerParam: maxNorm must be a positive number/});
  t.throws(() => clipPerParam([tf.zeros([2], 'int32')], 1), {message: /clipPerParam: grads\[0\] must be float32/});
  t.deepEqual(state.step, [0], 'a rejected step changes nothing');
  p.dispose();
  disposeAdamWState(state);
});
