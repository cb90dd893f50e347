// AdamW, Ema and ClipPerParam (one call over a list of parameters) against IBOT_SPEC §9 T9/T10 as written there and
// against float64 references on random lists of tensors with odd sizes, empty tensors, zero gradients and per-parameter
// lr / weight decay / step; plus bit-identical results on 1 and 2 threads.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {assertRanNatively, backendUnderTest} from '../testing/parity.js';
import {randomShape, Rng, seededRng} from '../testing/random.js';

type Inputs = tf.NamedTensorMap;
const EPS32 = 2 ** -24;  // float32 unit roundoff

/** Runs a list kernel on the backend under test with host inputs; returns host outputs (nothing leaks). */
function runList(kernel: string, inputs: ReadonlyArray<{values: ArrayLike<number>; shape: number[]}>,
                 attrs: object): Array<{values: Float32Array; shape: number[]}> {
  return tf.tidy(() => {
    const xs = inputs.map((x) => tf.tensor(Float32Array.from(x.values), x.shape));
    const outs = tf.engine().runKernel(kernel, xs as unknown as Inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
    return outs.map((o) => ({values: o.dataSync() as Float32Array, shape: o.shape}));
  });
}

/** |got - want| <= bound[i] element by element (NaN must meet NaN). */
function assertWithin(t: ExecutionContext, got: Float32Array, want: ArrayLike<number>, bound: (i: number) => number,
                      label: string): void {
  t.is(got.length, want.length, `${label}: size`);
  const bad = Array.from(want).findIndex((w, i) => !(Number.isNaN(w) ? Number.isNaN(got[i]!) : Math.abs(got[i]! - w) <= bound(i)));
  t.is(bad, -1, bad < 0 ? '' : `${label}: index ${bad}: got ${got[bad]}, want ${want[bad]} (allowed ${bound(bad)})`);
}

interface Param {
  shape: number[];
  values: Float32Array;
}

function randomList(rng: Rng, n: number, opts: {min?: number; max?: number; withEmpty?: boolean} = {}): Param[] {
  return Array.from({length: n}, (_, i) => {
    let shape = randomShape(rng, rng.int(0, 3), 40);
    if (opts.withEmpty && i % 5 === 3) shape = [rng.int(0, 3), 0];
    if (i === 1) shape = [317, 113];  // larger than the parallel grain and than a norm block
    const size = shape.reduce((a, b) => a * b, 1);
    const lo = opts.min ?? -1, hi = opts.max ?? 1;
    return {shape, values: Float32Array.from({length: size}, () => rng.uniform(lo, hi))};
  });
}

// ---- AdamW ----------------------------------------------------------------------------------------------------------

test('AdamW reproduces IBOT_SPEC §9 T10: two steps with weight decay and a no-decay parameter, in one call', (t) => {
  const attrs = (step: number) => ({lr: [0.1, 0.1], weightDecay: [0.04, 0], step: [step, step], beta1: 0.9,
                                    beta2: 0.999, eps: 1e-8});
  const zeros = (n: number) => ({values: new Float32Array(n), shape: [n]});
  const first = runList('AdamW', [{values: [1, -2], shape: [2]}, {values: [0.5], shape: [1]},
                                  {values: [0.5, 0.1], shape: [2]}, {values: [-0.3], shape: [1]}, zeros(2), zeros(1),
                                  zeros(2), zeros(1)],
                        attrs(1));
  t.is(first.length, 6, 'outputs: p0, p1, m0, m1, v0, v1');
  // As written in the spec (8-9 significant digits); float32 holds them to half an ulp (1.2e-7 at 2, 6e-8 at 0.9).
  const golden = (got: Float32Array, want: number[], label: string) =>
      assertWithin(t, got, want, (i) => 2 ** -23 * Math.abs(want[i]!) + 1e-9, label);
  golden(first[0]!.values, [0.896, -2.092], 'step 1, decayed parameter');
  golden(first[1]!.values, [0.6], 'step 1, no-decay parameter');
  const second = runList('AdamW', [first[0]!, first[1]!, {values: [0.2, -0.4], shape: [2]},
                                   {values: [0.1], shape: [1]}, first[2]!, first[3]!, first[4]!, first[5]!],
                         attrs(2));
  golden(second[0]!.values, [0.80255848, -2.02768164], 'step 2, decayed parameter');
  golden(second[1]!.values, [0.6400218521], 'step 2, no-decay parameter');
});

/**
 * One AdamW step in float64 (PyTorch's order of operations), and how far float32 may honestly land from it: a few
 * roundings of p (1 - lr wd) and of p' (their difference may cancel), of the update, and of m' = β1 m + (1-β1) g
 * (which may cancel too) magnified by the update's factor lr / bc1 / denom.
 */
function adamw64(p: number, g: number, m: number, v: number, lr: number, wd: number, step: number, b1: number,
                 b2: number, eps: number): {p: number; m: number; v: number; bound: number} {
  const p1 = p * (1 - lr * wd);
  const m1 = b1 * m + (1 - b1) * g;
  const v1 = b2 * v + (1 - b2) * g * g;
  const factor = (lr / (1 - b1 ** step)) / (Math.sqrt(v1) / Math.sqrt(1 - b2 ** step) + eps);
  const update = factor * m1;
  const bound = EPS32 * (3 * (Math.abs(p1) + Math.abs(p1 - update)) + 6 * Math.abs(update) +
                         3 * factor * (Math.abs(b1 * m) + Math.abs((1 - b1) * g)));
  return {p: p1 - update, m: m1, v: v1, bound};
}

test('AdamW matches a float64 reference on random lists with per-parameter lr, weight decay and step', (t) => {
  const rng = seededRng(t);
  for (let trial = 0; trial < 6; trial++) {
    const n = rng.int(1, 9);
    const p = randomList(rng, n, {withEmpty: true});
    const g = p.map((x) => ({shape: x.shape, values: x.values.map(() => (rng.next() < 0.1 ? 0 : rng.uniform(-2, 2)))}));
    const m = p.map((x) => ({shape: x.shape, values: x.values.map(() => rng.uniform(-0.5, 0.5))}));
    const v = p.map((x) => ({shape: x.shape, values: x.values.map(() => (rng.next() < 0.1 ? 0 : rng.uniform(0, 1)))}));
    const lr = p.map(() => rng.pick([0, 1e-6, 5e-4, 2e-3, 0.1]));
    const weightDecay = p.map(() => rng.pick([0, 0.04, 0.4]));
    const step = p.map(() => rng.int(1, 3000));
    const beta1 = trial % 2 ? 0.9 : rng.uniform(0, 0.99), beta2 = trial % 2 ? 0.999 : rng.uniform(0.5, 0.9999);
    const eps = trial % 3 ? 1e-8 : 1e-6;
    const outs = runList('AdamW', [...p, ...g, ...m, ...v], {lr, weightDecay, step, beta1, beta2, eps});
    t.is(outs.length, 3 * n);
    for (let i = 0; i < n; i++) {
      t.deepEqual(outs[i]!.shape, p[i]!.shape);
      const want = Array.from(p[i]!.values, (_, j) =>
          adamw64(p[i]!.values[j]!, g[i]!.values[j]!, m[i]!.values[j]!, v[i]!.values[j]!, lr[i]!, weightDecay[i]!,
                  step[i]!, beta1, beta2, eps));
      const label = `trial ${trial} param ${i} [${p[i]!.shape}] lr ${lr[i]} wd ${weightDecay[i]} step ${step[i]}`;
      assertWithin(t, outs[i]!.values, want.map((w) => w.p), (j) => want[j]!.bound + 1e-12,
                   `${label} p`);
      assertWithin(t, outs[n + i]!.values, want.map((w) => w.m), (j) => 3 * EPS32 * (Math.abs(m[i]!.values[j]!) +
                   Math.abs(g[i]!.values[j]!)) + 1e-30, `${label} m`);
      assertWithin(t, outs[2 * n + i]!.values, want.map((w) => w.v), (j) => 3 * EPS32 * (Math.abs(v[i]!.values[j]!) +
                   g[i]!.values[j]! ** 2) + 1e-30, `${label} v`);
    }
  }
});

// ---- Ema ------------------------------------------------------------------------------------------------------------

test('Ema matches a float64 reference on random lists (momentum of the recipe, 0 and 1)', (t) => {
  const rng = seededRng(t);
  for (const momentum of [0.996, 0.9997320508, 0.5, 0, 1]) {
    const n = rng.int(1, 8);
    const teacher = randomList(rng, n, {withEmpty: true});
    const student = teacher.map((x) => ({shape: x.shape, values: x.values.map(() => rng.uniform(-1, 1))}));
    const outs = runList('Ema', [...teacher, ...student], {momentum});
    t.is(outs.length, n);
    for (let i = 0; i < n; i++) {
      t.deepEqual(outs[i]!.shape, teacher[i]!.shape);
      const tv = teacher[i]!.values, sv = student[i]!.values;
      const want = Array.from(tv, (x, j) => momentum * x + (1 - momentum) * sv[j]!);
      assertWithin(t, outs[i]!.values, want, (j) => 3 * EPS32 * (Math.abs(tv[j]!) + Math.abs(sv[j]!)),
                   `momentum ${momentum} tensor ${i}`);
    }
  }
});

// ---- ClipPerParam ---------------------------------------------------------------------------------------------------

test('ClipPerParam reproduces IBOT_SPEC §9 T9: norms 5 and 1 with clip 3', (t) => {
  const outs = runList('ClipPerParam', [{values: [3, 4, 0, 0], shape: [4]}, {values: [0.6, 0.8], shape: [2]}],
                       {maxNorm: 3});
  t.is(outs.length, 3, 'two gradients and the norms');
  // [1.79999964, 2.39999952] as written; float32 holds them to half an ulp (6e-8 at 1.8, 1.2e-7 at 2.4).
  assertWithin(t, outs[0]!.values, [1.79999964, 2.39999952, 0, 0], (i) => (i < 2 ? 1.2e-7 : 0), 'clipped');
  t.deepEqual(Array.from(outs[1]!.values), Array.from(Float32Array.from([0.6, 0.8])), 'unchanged, bit for bit');
  t.deepEqual(outs[2]!.shape, [2]);
  assertWithin(t, outs[2]!.values, [5, 1], () => 2 * EPS32 * 5, 'norms');
});

test('ClipPerParam matches a float64 reference on random lists with empty tensors and zero gradients', (t) => {
  const rng = seededRng(t);
  for (const maxNorm of [3, 0.5, 40, 0]) {
    const n = rng.int(2, 10);
    const grads = randomList(rng, n, {withEmpty: true, min: -rng.uniform(0.01, 3), max: rng.uniform(0.01, 3)});
    grads[0]!.values.fill(0);  // a zero gradient: norm 0, never clipped
    const outs = runList('ClipPerParam', grads, {maxNorm});
    t.is(outs.length, n + 1);
    const norms = outs[n]!.values;
    for (let i = 0; i < n; i++) {
      const g = grads[i]!.values;
      const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      const factor = maxNorm / (norm + 1e-6);
      const want = factor < 1 ? Array.from(g, (x) => x * factor) : Array.from(g);
      assertWithin(t, norms.subarray(i, i + 1), [norm], () => 4 * EPS32 * norm, `maxNorm ${maxNorm} norm ${i}`);
      t.deepEqual(outs[i]!.shape, grads[i]!.shape);
      assertWithin(t, outs[i]!.values, want, (j) => 3 * EPS32 * Math.abs(want[j]!), `maxNorm ${maxNorm} grad ${i}`);
    }
  }
});

test('ClipPerParam, AdamW and Ema give the same bits on 1 and 2 threads', (t) => {
  if (backendUnderTest !== 'native') {
    t.pass('threads are a property of the native CPU backend');
    return;
  }
  const rng = seededRng(t);
  const addon = nativeAddon();
  const threads = addon.info().cpu.threads;
  const grads = randomList(rng, 7, {withEmpty: true});
  grads.push({shape: [1000, 77], values: Float32Array.from({length: 77000}, () => rng.uniform(-1, 1))});
  const n = grads.length;
  const adamInputs = [...grads, ...grads, ...grads, ...grads.map((x) => ({...x, values: x.values.map(Math.abs)}))];
  const adamAttrs = {lr: grads.map(() => 1e-3), weightDecay: grads.map(() => 0.04), step: grads.map(() => 7),
                     beta1: 0.9, beta2: 0.999, eps: 1e-8};
  const run = () => [...runList('ClipPerParam', grads, {maxNorm: 3}), ...runList('AdamW', adamInputs, adamAttrs),
                     ...runList('Ema', [...grads, ...grads.map((x) => ({...x, values: x.values.map((v) => v / 2)}))],
                                {momentum: 0.99})];
  try {
    addon.setNumThreads(1);
    const one = run();
    addon.setNumThreads(2);
    const two = run();
    t.is(one.length, (n + 1) + 3 * n + n);
    one.forEach((o, i) => t.true(Buffer.from(o.values.buffer).equals(Buffer.from(two[i]!.values.buffer)), `output ${i}`));
  } finally {
    addon.setNumThreads(threads);
  }
});

test('AdamW, Ema and ClipPerParam run natively and reject malformed lists with an Error', (t) => {
  const one = [{values: [1, 2], shape: [2]}];
  assertRanNatively(t, ['AdamW', 'Ema', 'ClipPerParam'], () => {
    runList('AdamW', [...one, ...one, ...one, ...one], {lr: [0.1], weightDecay: [0], step: [1], beta1: 0.9,
                                                        beta2: 0.999, eps: 1e-8});
    runList('Ema', [...one, ...one], {momentum: 0.9});
    runList('ClipPerParam', one, {maxNorm: 1});
  });
  const adam = {lr: [0.1], weightDecay: [0], step: [1], beta1: 0.9, beta2: 0.999, eps: 1e-8};
  t.throws(() => runList('AdamW', [...one, ...one, ...one], adam), {message: /AdamW: expected 4 x 1 = 4 input tensors/});
  t.throws(() => runList('AdamW', [...one, ...one, ...one, {values: [1], shape: [1]}], adam),
           {message: /AdamW: vs\[0\] must have shape \[2\], got float32\[1\]/});
  t.throws(() => runList('AdamW', [...one, ...one, ...one, ...one], {...adam, step: [0]}),
           {message: /AdamW: step\[0\] must be an integer >= 1/});
  t.throws(() => runList('Ema', [...one, ...one, ...one], {momentum: 0.9}), {message: /Ema: expected an even number/});
  t.throws(() => runList('Ema', [...one, ...one], {momentum: 1.5}), {message: /Ema: momentum must be in \[0, 1\]/});
  t.throws(() => runList('ClipPerParam', one, {maxNorm: -1}), {message: /ClipPerParam: maxNorm must be in \[0, /});
  t.throws(() => tf.tidy(() => tf.engine().runKernel('Ema', [tf.zeros([2], 'int32'), tf.zeros([2], 'int32')] as
                                                          unknown as Inputs, {momentum: 0.5})),
           {message: /Ema: input 0 must be float32, got int32/});
  // An empty list is a valid call that does nothing.
  t.deepEqual(runList('ClipPerParam', [], {maxNorm: 1}).map((o) => o.shape), [[0]]);
  t.deepEqual(runList('AdamW', [], {...adam, lr: [], weightDecay: [], step: []}), []);
});
