// The batched linear probe (IBOT_SPEC §6.3) against float64 re-derivations: one SGD-momentum step of several
// classifiers, two whole epochs of trainLinearProbes (init, lr scaling, cosine schedule, validation), the cosine
// schedule against PyTorch's recursive form; learning on a separable problem; bad input. On the backend under test.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import {type Rng, seededRng} from '@ibotjs/tfjs-backend-native/testing/random';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {cosineFactor, disposeProbe, initProbe, LINEAR_DEFAULT_LRS, probeStep, type ProbeState, trainLinearProbes} from './linear_probe.js';

interface State64 {
  w: Float64Array; // [F, L·C]
  b: Float64Array; // [L·C]
  bufW: Float64Array;
  bufB: Float64Array;
}

const normals = (rng: Rng, n: number, s = 1) => Float64Array.from({length: n}, () => s * rng.normal());

/** Logits of classifier l for row x, float64. */
function logits64(s: State64, x: ArrayLike<number>, l: number, F: number, C: number): number[] {
  const cols = s.b.length;
  return Array.from({length: C}, (_, c) => {
    let z = s.b[l * C + c]!;
    for (let f = 0; f < F; f++) z += x[f]! * s.w[f * cols + l * C + c]!;
    return z;
  });
}

/** One step of PyTorch SGD (momentum, weight decay, dampening 0) on the mean softmax cross-entropy, in float64. */
function step64(s: State64, x: number[][], y: number[], lrs: number[], C: number, m: number, wd: number): {next: State64; lossSum: number[]} {
  const F = x[0]!.length, B = x.length, L = lrs.length, cols = L * C;
  const gw = new Float64Array(F * cols), gb = new Float64Array(cols);
  const lossSum = new Array<number>(L).fill(0);
  for (let i = 0; i < B; i++) {
    for (let l = 0; l < L; l++) {
      const z = logits64(s, x[i]!, l, F, C);
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const sum = e.reduce((a, v) => a + v, 0);
      lossSum[l]! += Math.log(sum) + mx - z[y[i]!]!;
      for (let c = 0; c < C; c++) {
        const g = (e[c]! / sum - (c === y[i] ? 1 : 0)) / B;
        gb[l * C + c]! += g;
        for (let f = 0; f < F; f++) gw[f * cols + l * C + c]! += x[i]![f]! * g;
      }
    }
  }
  const update = (p: Float64Array, buf: Float64Array, g: Float64Array, colOf: (k: number) => number) => {
    const nb = buf.map((v, k) => m * v + g[k]! + wd * p[k]!);
    return {p: p.map((v, k) => v - lrs[Math.floor(colOf(k) / C)]! * nb[k]!), buf: nb};
  };
  const W = update(s.w, s.bufW, gw, (k) => k % cols), Bb = update(s.b, s.bufB, gb, (k) => k);
  return {next: {w: W.p, b: Bb.p, bufW: W.buf, bufB: Bb.buf}, lossSum};
}

const toTensors = (s: State64, F: number): ProbeState => ({
  w: tf.tensor2d(Float32Array.from(s.w), [F, s.b.length]), b: tf.tensor1d(Float32Array.from(s.b)),
  bufW: tf.tensor2d(Float32Array.from(s.bufW), [F, s.b.length]), bufB: tf.tensor1d(Float32Array.from(s.bufB)),
});

for (const wd of [0, 0.05]) {
  test(`one SGD-momentum step of 3 classifiers equals the float64 step (N 37, F 13, C 5, weight decay ${wd})`, (t) => {
    const rng = seededRng(t);
    const N = 37, F = 13, C = 5, lrs = [0.003, 0.1, 0.7], cols = lrs.length * C;
    const x = Array.from({length: N}, () => Array.from(normals(rng, F)));
    const y = Array.from({length: N}, () => rng.int(0, C - 1));
    // Non-zero buffers and biases, so every term of the update shows.
    const s64: State64 = {w: normals(rng, F * cols, 0.3), b: normals(rng, cols, 0.3), bufW: normals(rng, F * cols, 0.1), bufB: normals(rng, cols, 0.1)};
    const want = step64(s64, x, y, lrs, C, 0.9, wd);
    const s = toTensors(s64, F);
    const xt = tf.tensor2d(x), yt = tf.tensor1d(y, 'int32'), lt = tf.tensor1d(lrs);
    const {state, lossSum} = probeStep(s, xt, yt, lt, C, 0.9, wd);
    for (const k of ['w', 'b', 'bufW', 'bufB'] as const) {
      const bad = worstMismatch(state[k].dataSync(), want.next[k], {rtol: 1e-4, atol: 1e-5});
      t.is(bad, null, `${k}: ${JSON.stringify(bad)}`);
    }
    t.is(worstMismatch(lossSum.dataSync(), want.lossSum, {rtol: 1e-4, atol: 1e-4}), null, 'summed cross-entropy');
    disposeProbe(s);
    disposeProbe(state);
    tf.dispose([xt, yt, lt, lossSum]);
  });
}

test('the cosine schedule: closed form, hand values, and PyTorch CosineAnnealingLR\'s recursive update', (t) => {
  t.is(cosineFactor(0, 100), 1);
  t.true(Math.abs(cosineFactor(50, 100) - 0.5) < 1e-15);
  const four = [0, 1, 2, 3].map((e) => cosineFactor(e, 4));
  const hand = [1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2];
  t.is(worstMismatch(four, hand, {rtol: 1e-15, atol: 1e-15}), null);
  // torch.optim.lr_scheduler.CosineAnnealingLR.get_lr (eta_min 0): lr_t = (1 + cos(πt/T)) / (1 + cos(π(t-1)/T)) · lr_{t-1}.
  for (const T of [7, 100]) {
    let lr = 1;
    for (let e = 1; e < T; e++) {
      lr *= (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
      t.true(Math.abs(cosineFactor(e, T) - lr) < 1e-12, `T ${T}, epoch ${e}: ${cosineFactor(e, T)} vs ${lr}`);
    }
  }
});

test('the default sweep is the official 45 lrs, {1..9} × {1e-4 .. 1}, increasing', (t) => {
  t.is(LINEAR_DEFAULT_LRS.length, 45);
  t.is(LINEAR_DEFAULT_LRS[0], 0.0001);
  t.is(LINEAR_DEFAULT_LRS[2], 0.0003);
  t.is(LINEAR_DEFAULT_LRS[9], 0.001);
  t.is(LINEAR_DEFAULT_LRS[44], 9);
  t.true(LINEAR_DEFAULT_LRS.every((v, i) => i === 0 || v > LINEAR_DEFAULT_LRS[i - 1]!));
});

test('two full-batch epochs of trainLinearProbes equal float64 steps from its init, with lr × B/256 and the cosine factor', (t) => {
  const rng = seededRng(t);
  const N = 29, M = 17, F = 6, C = 3, lrs = [0.05, 2, 30], batchSize = 32, seed = rng.int(0, 1000);
  const x = Array.from({length: N}, () => Array.from(normals(rng, F)));
  const y = Array.from({length: N}, () => rng.int(0, C - 1));
  const v = Array.from({length: M}, () => Array.from(normals(rng, F)));
  const vy = Array.from({length: M}, () => rng.int(0, C - 1));
  // The init the trainer starts from (the same seed gives the same draw).
  const init = initProbe(F, C, lrs.length, seed);
  let s64: State64 = {
    w: Float64Array.from(init.w.dataSync()), b: new Float64Array(lrs.length * C), bufW: new Float64Array(F * lrs.length * C), bufB: new Float64Array(lrs.length * C),
  };
  const std = Math.sqrt(s64.w.reduce((a, w) => a + w * w, 0) / s64.w.length);
  t.true(std > 0.007 && std < 0.013, `init std ${std}`);
  disposeProbe(init);
  const want: number[][] = [];
  for (let e = 0; e < 2; e++) {
    // One batch per epoch (batchSize ≥ N): the row order does not change the mean gradient.
    s64 = step64(s64, x, y, lrs.map((lr) => (lr * batchSize) / 256 * cosineFactor(e, 2)), C, 0.9, 0).next;
    want.push(lrs.map((_, l) => (100 * v.filter((row, i) => {
      const z = logits64(s64, row, l, F, C);
      return z.every((zc, c) => zc <= z[vy[i]!]! || c === vy[i]);
    }).length) / M));
  }
  const tr = tf.tensor2d(x), va = tf.tensor2d(v);
  const before = tf.memory().numTensors;
  const epochs: number[] = [];
  const r = trainLinearProbes(tr, Int32Array.from(y), va, Int32Array.from(vy), {lrs, epochs: 2, batchSize, seed, onEpoch: (e) => epochs.push(e.epoch)});
  t.is(tf.memory().numTensors, before, 'no tensor left behind');
  t.deepEqual(epochs, [1, 2]);
  t.deepEqual(r.history.map((h) => h.top1), want);
  t.true(r.history.every((h) => h.top5 === null), 'no top-5 with 3 classes');
  for (let l = 0; l < lrs.length; l++) {
    const e = want[1]![l]! > want[0]![l]! ? 1 : 0;
    t.is(r.perLr[l]!.top1, want[e]![l]!);
    t.is(r.perLr[l]!.epoch, e + 1);
    t.is(r.perLr[l]!.scaledLr, (lrs[l]! * batchSize) / 256);
  }
  t.is(r.best.top1, Math.max(...want.flat()));
  tf.dispose([tr, va]);
});

/** Gaussian clusters around C well-apart centres in F dims: separable with a wide margin. */
function clusters(rng: Rng, n: number, F: number, centres: number[][]): {x: tf.Tensor2D; y: Int32Array} {
  const y = Int32Array.from({length: n}, () => rng.int(0, centres.length - 1));
  const x = Array.from(y, (c) => centres[c]!.map((m) => m + 0.3 * rng.normal()));
  return {x: tf.tensor2d(x), y};
}

test('on separable clusters the best classifier reaches > 95 %, a tiny lr does worse, and top-5 is reported for 6 classes', (t) => {
  const rng = seededRng(t);
  const F = 10, C = 6;
  const centres = Array.from({length: C}, () => Array.from(normals(rng, F, 1.5)));
  const train = clusters(rng, 240, F, centres), val = clusters(rng, 90, F, centres);
  const r = trainLinearProbes(train.x, train.y, val.x, val.y, {lrs: [1e-4, 0.3], epochs: 15, batchSize: 32, seed: 1});
  t.log(r.perLr.map((p) => `lr ${p.lr}: ${p.top1.toFixed(1)} % at epoch ${p.epoch}`).join('; '));
  t.true(r.best.top1 > 95, `best ${r.best.top1}`);
  t.is(r.best.lr, 0.3);
  t.true(r.perLr[0]!.top1 < r.perLr[1]!.top1, 'the tiny lr learns less');
  t.is(r.history.length, 15);
  t.true(r.history.every((h) => h.top5 != null && h.top5.every((a, l) => a >= h.top1![l]!)), 'top-5 ≥ top-1');
  // The training loss of the sensible lr falls.
  t.true(r.history.at(-1)!.trainLoss[1]! < r.history[0]!.trainLoss[1]! / 2);
  // Seeded: the same options give the same result.
  const again = trainLinearProbes(train.x, train.y, val.x, val.y, {lrs: [1e-4, 0.3], epochs: 15, batchSize: 32, seed: 1, evalEvery: 4});
  t.deepEqual(again.history.map((h) => h.epoch), [1, 5, 9, 13, 15]);
  t.deepEqual(again.history.map((h) => h.top1), [1, 5, 9, 13, 15].map((e) => r.history[e - 1]!.top1));
  tf.dispose([train.x, val.x]);
});

test('trainLinearProbes rejects bad input with a clear message', (t) => {
  const x = tf.zeros([4, 3]) as tf.Tensor2D, y = Int32Array.of(0, 1, 0, 1);
  const v = tf.zeros([2, 3]) as tf.Tensor2D, vy = Int32Array.of(1, 0);
  const bad = (msg: RegExp, f: () => unknown) => t.throws(f, {message: msg});
  bad(/validation features have 2 dims, the training features 3/, () => trainLinearProbes(x, y, tf.zeros([2, 2]) as tf.Tensor2D, vy));
  bad(/4 training features but 3 labels/, () => trainLinearProbes(x, Int32Array.of(0, 1, 0), v, vy));
  bad(/the validation set is empty/, () => trainLinearProbes(x, y, tf.zeros([0, 3]) as tf.Tensor2D, new Int32Array(0)));
  bad(/the training set is empty/, () => trainLinearProbes(tf.zeros([0, 3]) as tf.Tensor2D, new Int32Array(0), v, vy));
  bad(/training features must be \[N, F\]/, () => trainLinearProbes(tf.zeros([4]) as unknown as tf.Tensor2D, y, v, vy));
  bad(/label 5 is out of range for 3 classes/, () => trainLinearProbes(x, y, v, Int32Array.of(5, 0), {numClasses: 3}));
  bad(/labels must be ≥ 0, got -1/, () => trainLinearProbes(x, Int32Array.of(0, -1, 0, 1), v, vy));
  bad(/labels must be an Int32Array/, () => trainLinearProbes(x, [0, 1, 0, 1] as unknown as Int32Array, v, vy));
  bad(/lrs is empty/, () => trainLinearProbes(x, y, v, vy, {lrs: []}));
  bad(/every lr must be a positive number, got 0/, () => trainLinearProbes(x, y, v, vy, {lrs: [0.1, 0]}));
  bad(/epochs must be an integer ≥ 1, got 0/, () => trainLinearProbes(x, y, v, vy, {epochs: 0}));
  bad(/batchSize must be an integer ≥ 1, got 2.5/, () => trainLinearProbes(x, y, v, vy, {batchSize: 2.5}));
  bad(/momentum must be in \[0, 1\)/, () => trainLinearProbes(x, y, v, vy, {momentum: 1}));
  bad(/weightDecay must be ≥ 0/, () => trainLinearProbes(x, y, v, vy, {weightDecay: -1}));
  const ac = new AbortController();
  ac.abort();
  const before = tf.memory().numTensors;
  let error: unknown = null;
  try {
    trainLinearProbes(x, y, v, vy, {lrs: [0.1], signal: ac.signal});
  } catch (e) {
    error = e;
  }
  t.is((error as Error | null)?.name, 'AbortError');
  t.is(tf.memory().numTensors, before, 'an aborted run frees its state');
  tf.dispose([x, v]);
});
