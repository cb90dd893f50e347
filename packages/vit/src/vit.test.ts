// The ViT forward pass against the float64 reference (testing/reference64.ts) on spec T6's configuration, filled by the
// spec's rule: no mask, a mask, an interpolated position embedding, intermediate layers, last-block attention; on
// 'cpu' and on the backend under test.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {backendUnderTest, useBackend, worstMismatch} from '@ibotjs/tfjs-backend-native/testing/parity';
import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {resolveViTConfig} from './config.js';
import {paramSpecs} from './params.js';
import {
  type Host64, intermediateLayers64, lastSelfAttention64, nchwToNhwc, specFill, specInput, vitForward64,
} from './testing/reference64.js';
import {createViT, type CreateViTOptions, type ViT} from './vit.js';

// IBOT_SPEC §9 T6: img 16, patch 4, D 8, depth 2, heads 2, mlp ratio 4, qkv bias, masked modeling, all tokens.
const T6: CreateViTOptions = {
  imgSize: 16, patchSize: 4, inChans: 3, embedDim: 8, depth: 2, numHeads: 2, mlpRatio: 4, qkvBias: true,
  maskedImModeling: true, returnAllTokens: true,
};
const REF_CFG = {patchSize: 4, embedDim: 8, depth: 2, numHeads: 2, qkvBias: true};
// float32 against float64 through two blocks of O(1) values: a few 1e-7 relative expected; 2e-5 leaves headroom
// and is far below what a transposed weight or a wrong tap gives (O(1e-2) and more).
const TOL = {rtol: 2e-5, atol: 2e-5};
const BACKENDS = [...new Set(['cpu', backendUnderTest])];

/** The float32-rounded spec image, so the model and the reference see the same numbers. */
function image(shape: number[], a: number, b: number): Host64 {
  const img = specInput(shape, a, b);
  return {shape, data: img.data.map(Math.fround)};
}

const weights = specFill(paramSpecs(resolveViTConfig(T6)));

/** A T6 ViT on `backend` with the spec-filled weights, passed to fn, then disposed (and the backend restored). */
function withT6<T>(backend: string, fn: (vit: ViT) => T): T {
  const previous = tf.getBackend();
  useBackend(backend);
  const vit = createViT(T6);
  try {
    vit.loadStateDict(weights);
    return fn(vit);
  } finally {
    vit.dispose();
    useBackend(previous);
  }
}

function assertMatches(t: ExecutionContext, got: tf.Tensor, wantShape: number[], want: Float64Array, label: string) {
  t.deepEqual(got.shape, wantShape, `${label}: shape`);
  const bad = worstMismatch(got.dataSync(), want, TOL);
  t.is(bad, null, bad ? `${label}: flat index ${bad.index}: got ${bad.got}, float64 reference ${bad.want}` : '');
}

const img16 = image([1, 3, 16, 16], 0.1, 0.05);
const img8 = image([1, 3, 8, 8], 0.3, 0.07);
const nhwc = (img: Host64) => {
  const x = nchwToNhwc(img);
  return tf.tensor4d(x.values, x.shape as [number, number, number, number]);
};

for (const backend of BACKENDS) {
  test(`T6 forward without a mask matches the float64 reference (${backend})`, (t) => {
    const want = vitForward64(weights, REF_CFG, img16);
    withT6(backend, (vit) => tf.tidy(() => assertMatches(t, vit.forward(nhwc(img16)), [1, 17, 8], want, backend)));
  });

  test(`T6 forward with masked cells (1, 2) and (3, 0) matches the reference (${backend})`, (t) => {
    const mask = new Uint8Array(16);
    mask[1 * 4 + 2] = 1;
    mask[3 * 4 + 0] = 1;
    const want = vitForward64(weights, REF_CFG, img16, mask);
    const unmasked = vitForward64(weights, REF_CFG, img16);
    t.true(want.some((v, i) => Math.abs(v - unmasked[i]!) > 1e-3), 'the mask changes the reference output');
    withT6(backend, (vit) => tf.tidy(() => {
      const out = vit.forward(nhwc(img16), {mask: tf.tensor3d(mask, [1, 4, 4], 'bool')});
      assertMatches(t, out, [1, 17, 8], want, backend);
    }));
  });

  test(`T6 on an 8×8 input (2×2 grid, position embedding resized by 2.1/4) matches the reference (${backend})`, (t) => {
    const want = vitForward64(weights, REF_CFG, img8);
    withT6(backend, (vit) => tf.tidy(() => assertMatches(t, vit.forward(nhwc(img8)), [1, 5, 8], want, backend)));
  });

  test(`T6 getIntermediateLayers(n = 2) matches the reference (${backend})`, (t) => {
    const want = intermediateLayers64(weights, REF_CFG, img16, 2);
    withT6(backend, (vit) => tf.tidy(() => {
      const got = vit.getIntermediateLayers(nhwc(img16), 2);
      t.is(got.length, 2);
      got.forEach((g, k) => assertMatches(t, g, [1, 17, 8], want[k]!, `${backend} layer ${k}`));
      // The last one is the forward output.
      const bad = worstMismatch(got[1]!.dataSync(), vit.forward(nhwc(img16)).dataSync(), {rtol: 0, atol: 0});
      t.is(bad, null, 'the last intermediate layer equals forward');
    }));
  });

  test(`T6 last-block attention matches the reference and its rows sum to 1 (${backend})`, (t) => {
    const want = lastSelfAttention64(weights, REF_CFG, img16);
    withT6(backend, (vit) => tf.tidy(() => {
      const probs = vit.getLastSelfAttention(nhwc(img16));
      assertMatches(t, probs, [1, 2, 17, 17], want, backend);
      const sums = tf.sum(probs, -1).dataSync();
      t.true(sums.every((s) => Math.abs(s - 1) < 1e-5), `row sums ${Array.from(sums).slice(0, 4)}...`);
    }));
  });

  test(`CLS output and a batch of two images (${backend})`, (t) => {
    const two: Host64 = {shape: [2, 3, 16, 16], data: Float64Array.from([...img16.data, ...image([1, 3, 16, 16], 0.7, 0.031).data])};
    const mask = new Uint8Array(32);
    mask[5] = mask[16 + 15] = mask[16 + 0] = 1;
    const want = vitForward64(weights, REF_CFG, two, mask);
    withT6(backend, (vit) => tf.tidy(() => {
      const x = nhwc(two), m = tf.tensor3d(mask, [2, 4, 4], 'bool');
      assertMatches(t, vit.forward(x, {mask: m}), [2, 17, 8], want, backend);
      const cls = vit.forward(x, {mask: m, returnAllTokens: false});
      const wantCls = Float64Array.from([...want.slice(0, 8), ...want.slice(17 * 8, 17 * 8 + 8)]);
      assertMatches(t, cls, [2, 8], wantCls, `${backend} CLS`);
    }));
  });
}

test('a grey 28×28 model with patch 4 (Fashion-MNIST) has a 7×7 grid', (t) => {
  const vit = createViT({imgSize: 28, patchSize: 4, inChans: 1, embedDim: 16, depth: 1, numHeads: 2});
  try {
    t.deepEqual(vit.parameters().get('pos_embed')!.shape, [1, 50, 16]);
    t.deepEqual(vit.parameters().get('patch_embed.proj.weight')!.shape, [16, 16]);
    tf.tidy(() => {
      t.deepEqual(vit.forward(tf.zeros([3, 28, 28, 1]), {returnAllTokens: true}).shape, [3, 50, 16]);
      t.deepEqual(vit.forward(tf.zeros([3, 28, 28, 1])).shape, [3, 16]);
      // A 12×12 local crop: 3×3 grid, resized position embedding.
      t.deepEqual(vit.forward(tf.zeros([2, 12, 12, 1]), {returnAllTokens: true}).shape, [2, 10, 16]);
    });
  } finally {
    vit.dispose();
  }
});

test('forward rejects bad images and masks with clear errors', (t) => {
  withT6('cpu', (vit) => tf.tidy(() => {
    t.throws(() => vit.forward(tf.zeros([1, 16, 16])), {message: /images must be a float32 \[B, H, W, C\]/});
    t.throws(() => vit.forward(tf.zeros([1, 16, 16, 1])), {message: /1 channels, the model 3/});
    t.throws(() => vit.forward(tf.zeros([1, 16, 16, 3]), {mask: tf.zeros([1, 4, 4])}), {message: /mask must be bool \[1, 4, 4\]/});
    t.throws(() => vit.forward(tf.zeros([1, 16, 16, 3]), {mask: tf.zeros([1, 3, 4], 'bool')}), {message: /mask must be bool/});
    t.throws(() => vit.getIntermediateLayers(tf.zeros([1, 16, 16, 3]), 3), {message: /n must be an integer in \[1, 2\]/});
  }));
  const teacher = createViT({...T6, maskedImModeling: false});
  try {
    t.throws(() => tf.tidy(() => teacher.forward(tf.zeros([1, 16, 16, 3]), {mask: tf.zeros([1, 4, 4], 'bool')})),
             {message: /without masked_embed/});
  } finally {
    teacher.dispose();
  }
  const disposed = createViT(T6);
  disposed.dispose();
  t.throws(() => tf.tidy(() => disposed.forward(tf.zeros([1, 16, 16, 3]))), {message: /used after dispose/});
});

test('forward, intermediate layers and attention leak no tensors', (t) => {
  withT6(backendUnderTest, (vit) => {
    const x = nhwc(img16), small = nhwc(img8), mask = tf.tensor3d(new Uint8Array(16).fill(1, 3, 6), [1, 4, 4], 'bool');
    const before = tf.memory().numTensors;
    vit.forward(x, {mask}).dispose();
    vit.forward(small).dispose();  // includes the position-embedding resize
    vit.getIntermediateLayers(x, 2).forEach((y) => y.dispose());
    vit.getLastSelfAttention(x).dispose();
    vit.forward(x, {training: true}).dispose();
    t.is(tf.memory().numTensors, before);
    tf.dispose([x, small, mask]);
  });
});
