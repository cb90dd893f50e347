// The iBOT head: IBOT_SPEC T5's listed outputs (filled by the §9 rule) on 'cpu' and the backend under test, T14's
// parameter counts, the official names and initialisation, state-dict layouts, and the work-avoidance paths (selected
// patch rows, mean patch logits) against the full forward, values and gradients.
import '@ibotjs/tfjs-backend-native/testing-setup';

import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import {seededRng} from '@ibotjs/tfjs-backend-native/testing/random';

import {IbotHead} from './head.js';
import {near, onBackends} from './testing/compare.js';
import {filledStateDict, sinInput} from './testing/spec_inputs.js';

/** T5's head, filled by the §9 rule. */
function t5Head(shared: boolean): IbotHead {
  const head = new IbotHead({inDim: 4, outDim: 5, patchOutDim: shared ? 5 : 7, hiddenDim: 8, bottleneckDim: 3,
                             nlayers: 3, normLastLayer: true, sharedHead: shared, prefix: ''});
  head.loadStateDict(filledStateDict(head.parameterInfo()));
  return head;
}

// Spec T5 lists 7–8 significant digits; float32 agrees to ~1e-7 here.
const T5_TOL = {rtol: 1e-5, atol: 1e-6};

test('T5: head forward matches the listed values (2-D, 3-D CLS and patch, unshared patch head)', (t) => {
  const shared = t5Head(true), unshared = t5Head(false);
  try {
    t.deepEqual(shared.parameterInfo().map((p) => [p.name, p.shape]), [
      ['mlp.0.weight', [8, 4]], ['mlp.0.bias', [8]], ['mlp.2.weight', [8, 8]], ['mlp.2.bias', [8]],
      ['mlp.4.weight', [3, 8]], ['mlp.4.bias', [3]], ['last_layer.weight_g', [5, 1]], ['last_layer.weight_v', [5, 3]],
    ]);
    t.deepEqual(unshared.parameterInfo().slice(8).map((p) => [p.name, p.shape]),
                [['last_layer2.weight_g', [7, 1]], ['last_layer2.weight_v', [7, 3]]]);
    onBackends((backend) => {
      const x2 = tf.tensor2d(sinInput([2, 4], 0.2, 0.13), [2, 4]);
      const out2 = shared.forward(x2);
      t.is(out2.patch, null);
      t.deepEqual(out2.cls.shape, [2, 5]);
      const c2 = out2.cls.dataSync();
      near(t, c2.slice(0, 5), [-0.6533946, 0.30815221, 0.1488656, -0.62108473, 0.9253263], T5_TOL.rtol, T5_TOL.atol,
           `${backend} 2-D row 0`);
      near(t, c2.slice(5), [-0.65365582, 0.30848483, 0.1485159, -0.62080331, 0.92518488], T5_TOL.rtol, T5_TOL.atol,
           `${backend} 2-D row 1`);

      const x3 = tf.tensor3d(sinInput([2, 3, 4], 0.5, 0.17), [2, 3, 4]);
      const out3 = shared.forward(x3);
      t.deepEqual(out3.cls.shape, [2, 5]);
      t.deepEqual(out3.patch!.shape, [2, 2, 5]);
      near(t, out3.cls.dataSync().slice(0, 5), [-0.65704072, 0.3127426, 0.14408658, -0.6172889, 0.92347996],
           T5_TOL.rtol, T5_TOL.atol, `${backend} 3-D CLS of item 0`);
      near(t, out3.patch!.dataSync().slice(0, 5), [-0.64820579, 0.30165205, 0.15560326, -0.62640453, 0.92787461],
           T5_TOL.rtol, T5_TOL.atol, `${backend} 3-D patch [0, 0]`);

      const out7 = unshared.forward(x3);
      t.deepEqual(out7.patch!.shape, [2, 2, 7]);
      near(t, out7.patch!.dataSync().slice(0, 7),
           [0.20652514, 0.26738233, -0.71494636, 0.96251788, -0.98773713, 0.85917379, -0.61524508],
           T5_TOL.rtol, T5_TOL.atol, `${backend} unshared patch [0, 0]`);
      // The unshared head's CLS path is the shared head's (same MLP and last_layer fill).
      near(t, out7.cls.dataSync(), out3.cls.dataSync(), 0, 0, `${backend} unshared CLS`);
    });
  } finally {
    shared.dispose();
    unshared.dispose();
  }
});

test('T14: parameter counts of the shared and unshared heads with K = 8192', (t) => {
  const count = (h: IbotHead) => h.parameterInfo().reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  for (const [inDim, shared, want] of [[192, true, 7_221_504], [192, false, 9_326_848], [384, true, 7_614_720]] as const) {
    const head = new IbotHead({inDim, sharedHead: shared});
    t.is(count(head), want, `D = ${inDim}, shared ${shared}`);
    head.dispose();
  }
});

test('official names, initialisation (trunc normal 0.02, zero biases, g = 1, v ~ U(±1/√C)) and frozen g', (t) => {
  const head = new IbotHead({inDim: 48, outDim: 300, hiddenDim: 64, bottleneckDim: 32, seed: 3});
  const free = new IbotHead({inDim: 48, outDim: 300, hiddenDim: 64, bottleneckDim: 32, seed: 3, normLastLayer: false});
  try {
    t.deepEqual([...head.parameters().keys()], [
      'head.mlp.0.weight', 'head.mlp.0.bias', 'head.mlp.2.weight', 'head.mlp.2.bias', 'head.mlp.4.weight',
      'head.mlp.4.bias', 'head.last_layer.weight_g', 'head.last_layer.weight_v',
    ]);
    const sd = head.stateDict();
    for (const [name, {shape, data}] of sd) {
      const n = data.length;
      const mean = data.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      const maxAbs = data.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
      if (name.endsWith('.bias')) t.is(maxAbs, 0, name);
      else if (name.endsWith('weight_g')) t.true(data.every((v) => v === 1), name);
      else if (name.endsWith('weight_v')) {
        t.true(maxAbs <= 1 / Math.sqrt(32), `${name} within ±1/√C`);
        t.true(Math.abs(std - 1 / Math.sqrt(32) / Math.sqrt(3)) < 0.004, `${name} std ${std}`);
      } else {
        t.deepEqual(shape.length, 2, name);
        t.true(Math.abs(std - 0.02) < 0.002 && Math.abs(mean) < 0.002, `${name} mean ${mean} std ${std}`);
      }
    }
    t.false(head.parameters().get('head.last_layer.weight_g')!.trainable, 'g frozen with normLastLayer');
    t.true(free.parameters().get('head.last_layer.weight_g')!.trainable, 'g trainable without it');
    t.true(head.parameters().get('head.last_layer.weight_v')!.trainable);
    // The same seed gives the same weights, another seed others.
    const again = new IbotHead({inDim: 48, outDim: 300, hiddenDim: 64, bottleneckDim: 32, seed: 3});
    const other = new IbotHead({inDim: 48, outDim: 300, hiddenDim: 64, bottleneckDim: 32, seed: 4});
    t.deepEqual(again.stateDict(), sd);
    t.notDeepEqual(other.stateDict().get('head.mlp.0.weight'), sd.get('head.mlp.0.weight'));
    again.dispose();
    other.dispose();
    // nlayers = 1 is one Linear from D to the bottleneck, named like PyTorch's bare nn.Linear.
    const one = new IbotHead({inDim: 8, outDim: 5, bottleneckDim: 3, nlayers: 1});
    t.deepEqual(one.parameterInfo().map((p) => [p.name, p.shape]), [['head.mlp.weight', [3, 8]], ['head.mlp.bias', [3]],
      ['head.last_layer.weight_g', [5, 1]], ['head.last_layer.weight_v', [5, 3]]]);
    one.dispose();
  } finally {
    head.dispose();
    free.dispose();
  }
});

test('state dicts use PyTorch layouts and round-trip bit-exactly; bad dicts are rejected', (t) => {
  const rng = seededRng(t);
  const head = new IbotHead({inDim: 6, outDim: 7, hiddenDim: 5, bottleneckDim: 4});
  try {
    const dict = new Map(head.parameterInfo().map((p) => [p.name, {
      shape: p.shape, data: Float32Array.from({length: p.shape.reduce((a, b) => a * b, 1)}, () => rng.normal()),
    }]));
    head.loadStateDict(dict);
    t.deepEqual(head.stateDict(), dict);
    // On device a Linear weight is [in, out]: mlp.0.weight [5, 6] in PyTorch is [6, 5] here, transposed.
    const w = head.parameters().get('head.mlp.0.weight')!;
    t.deepEqual(w.shape, [6, 5]);
    const torch = dict.get('head.mlp.0.weight')!.data, dev = w.dataSync();
    t.is(dev[2 * 5 + 3], torch[3 * 6 + 2], 'device [in 2, out 3] = torch [out 3, in 2]');
    // An official shared-head dict also lists the last layer as last_layer2: accepted.
    const official = new Map(dict);
    official.set('head.last_layer2.weight_g', dict.get('head.last_layer.weight_g')!);
    official.set('head.last_layer2.weight_v', dict.get('head.last_layer.weight_v')!);
    t.notThrows(() => head.loadStateDict(official));
    const missing = new Map(dict);
    missing.delete('head.mlp.2.bias');
    t.throws(() => head.loadStateDict(missing), {message: /missing \["head\.mlp\.2\.bias"\]/});
    const extra = new Map(dict).set('head.mlp.6.weight', {shape: [1], data: new Float32Array(1)});
    t.throws(() => head.loadStateDict(extra), {message: /unexpected \["head\.mlp\.6\.weight"\]/});
    const wrong = new Map(dict).set('head.mlp.0.weight', {shape: [6, 5], data: new Float32Array(30)});
    t.throws(() => head.loadStateDict(wrong), {message: /head\.mlp\.0\.weight has shape \[6,5\], expected \[5,6\]/});
    t.deepEqual(head.stateDict(), dict, 'a rejected dict changes nothing');
  } finally {
    head.dispose();
  }
});

test('selected patch rows and the mean patch logits equal the full forward (values and gradients)', (t) => {
  const rng = seededRng(t);
  const [B, N, D] = [3, 5, 6];
  const head = new IbotHead({inDim: D, outDim: 11, hiddenDim: 9, bottleneckDim: 4, seed: 1, normLastLayer: false});
  const rows = [0, 4, 7, 8, 14];  // image 0 patches 0 and 4, image 1 patches 2 and 3, image 2 patch 4
  try {
    onBackends((backend) => {
      const tokens = tf.tensor3d(Float32Array.from({length: B * (1 + N) * D}, () => rng.normal()), [B, 1 + N, D]);
      const rowT = tf.tensor1d(rows, 'int32');
      const full = head.forward(tokens, {patchMean: true});
      const fullPatch = tf.reshape(full.patch!, [B * N, 11]);
      const want = tf.gather(fullPatch, rowT);
      for (const patchMean of [false, true]) {
        const sel = head.forward(tokens, {patchRows: rowT, patchMean});
        t.deepEqual(sel.patch!.shape, [rows.length, 11]);
        near(t, sel.cls.dataSync(), full.cls.dataSync(), 1e-5, 1e-6, `${backend} cls (patchMean ${patchMean})`);
        near(t, sel.patch!.dataSync(), want.dataSync(), 1e-5, 1e-6, `${backend} rows (patchMean ${patchMean})`);
        t.is(sel.patchMean === undefined, !patchMean);
      }
      // The mean through the mean bottleneck equals the mean of the logits (the last layer is linear).
      near(t, full.patchMean!.dataSync(), tf.mean(fullPatch, 0).dataSync(), 1e-5, 1e-6, `${backend} patchMean`);

      // Gradients of a loss on the selected rows, by both paths, for every trainable parameter and the tokens.
      const r = tf.tensor2d(Float32Array.from({length: rows.length * 11}, () => rng.normal()), [rows.length, 11]);
      const vars = [...head.parameters().values()];
      const lossOf = (selected: boolean) => () => {
        const out = selected ? head.forward(tokens, {patchRows: rowT}) :
            {...head.forward(tokens), patch: tf.gather(tf.reshape(head.forward(tokens).patch!, [B * N, 11]), rowT)};
        return tf.add(tf.sum(tf.mul(out.patch!, r)), tf.sum(tf.square(out.cls))) as tf.Scalar;
      };
      const a = tf.variableGrads(lossOf(true), vars), b = tf.variableGrads(lossOf(false), vars);
      near(t, [a.value.dataSync()[0]!], [b.value.dataSync()[0]!], 1e-5, 1e-6, `${backend} loss`);
      t.deepEqual(Object.keys(a.grads).sort(), Object.keys(b.grads).sort());
      for (const k of Object.keys(b.grads)) {
        near(t, a.grads[k]!.dataSync(), b.grads[k]!.dataSync(), 1e-4, 1e-6, `${backend} grad ${k}`);
      }
      tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
      const dTokens = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(head.forward(x, {patchRows: rowT}).patch!, r)))(tokens);
      const dFull = tf.grad((x: tf.Tensor) =>
          tf.sum(tf.mul(tf.gather(tf.reshape(head.forward(x).patch!, [B * N, 11]), rowT), r)))(tokens);
      near(t, dTokens.dataSync(), dFull.dataSync(), 1e-4, 1e-6, `${backend} d tokens`);
    });
  } finally {
    head.dispose();
  }
});

test('bad inputs give errors that name the method and the shapes', (t) => {
  const head = new IbotHead({inDim: 4, outDim: 5, hiddenDim: 8, bottleneckDim: 3});
  try {
    tf.tidy(() => {
      t.throws(() => head.forward(tf.zeros([2, 3, 5])), {message: /forward: tokens must end in 4, got \[2,3,5\]/});
      t.throws(() => head.forward(tf.zeros([2, 3, 4, 1])), {message: /tokens must be \[B, 1\+N, 4\]/});
      t.throws(() => head.forward(tf.zeros([2, 4]), {patchMean: true}), {message: /need all tokens/});
      t.throws(() => head.forward(tf.zeros([2, 3, 4]), {patchRows: tf.tensor1d([0], 'float32') as tf.Tensor1D}),
               {message: /patchRows must be int32/});
      t.throws(() => head.project(tf.zeros([2, 4]) as tf.Tensor2D), {message: /project: z must end in 3/});
    });
    t.throws(() => new IbotHead({inDim: 4, outDim: 5, patchOutDim: 6}), {message: /shared head needs patchOutDim/});
    t.throws(() => new IbotHead({inDim: 0}), {message: /inDim must be a positive integer/});
  } finally {
    head.dispose();
  }
});

test('forward leaks no tensors', (t) => {
  const head = new IbotHead({inDim: 4, outDim: 5, hiddenDim: 8, bottleneckDim: 3});
  const x = tf.zeros([2, 3, 4]);
  const rows = tf.tensor1d([1, 2], 'int32');
  const before = tf.memory().numTensors;
  const out = head.forward(x, {patchRows: rows, patchMean: true});
  t.is(tf.memory().numTensors, before + 3, 'exactly cls, patch and patchMean are new');
  tf.dispose([out.cls, out.patch!, out.patchMean!]);
  const x2 = tf.zeros([2, 4]);
  tf.dispose(head.forwardCls(x2 as tf.Tensor2D));
  t.is(tf.memory().numTensors, before + 1, 'only the input x2 is left');
  head.dispose();
  tf.dispose([x, x2, rows]);
});
