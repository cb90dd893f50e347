// Parity of Softmax with the tfjs cpu backend (max, sub, exp, sum, div): random shapes of rank 1-6, row lengths around
// the vector widths, large logits, NaN/±Inf rows, empty tensors, every CPU ISA path, and the gradient through tf.grad.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {nativeAddon} from '../index.js';
import {assertParity, backendUnderTest, type Tolerance} from '../testing/parity.js';
import {randomShape, randomTensor, Rng, seededRng, testSeed} from '../testing/random.js';

// exp_f32 is within a few ulp of exp, and we multiply by 1/sum instead of dividing: a few 1e-7 relative in all. The
// atol covers outputs that underflow towards 0 differently (e^-88 and below).
const tol: Tolerance = {rtol: 1e-5, atol: 1e-7};

test('Softmax matches cpu on random shapes of rank 1-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 5; trial++) {
      const shape = randomShape(rng, rank, rank > 3 ? 6 : 40);
      const x = randomTensor(rng, shape, 'float32', {min: -8, max: 8});
      assertParity(t, (xt) => tf.softmax(xt, rng.next() < 0.5 ? -1 : rank - 1), [x], tol, `[${shape}]`);
    }
  }
});

test('Softmax rows of every length around the vector widths, with large logits', (t) => {
  const rng = seededRng(t);
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 197, 1000, 8192]) {
    assertParity(t, (x) => tf.softmax(x), [randomTensor(rng, [3, n], 'float32', {min: -30, max: 30})], tol, `n ${n}`);
    // Near the float exp range: the max subtraction keeps everything finite.
    assertParity(t, (x) => tf.softmax(x), [randomTensor(rng, [2, n], 'float32', {min: 60, max: 100})], tol, `big ${n}`);
  }
});

test('Softmax of NaN and infinite logits gives what tfjs cpu gives (NaN rows, zeros for -inf)', (t) => {
  const rows = [
    [-Infinity, -Infinity, -Infinity],  // (-inf) - (-inf) = NaN: all NaN
    [-Infinity, 1, 2],                  // -inf contributes 0
    [Infinity, 1, 2],                   // inf - inf = NaN: all NaN
    [NaN, 1, 2],                        // NaN sum: all NaN
    [1, NaN, -Infinity],
    [0, -0, 0],
  ];
  const x = {shape: [rows.length, 3], dtype: 'float32' as const, values: new Float32Array(rows.flat())};
  assertParity(t, (xt) => tf.softmax(xt), [x], tol);
  // The same rows padded to 40 columns, so the vector loops (not only the tails) see them.
  const wide = new Float32Array(rows.length * 40).fill(-3);
  rows.forEach((r, i) => r.forEach((v, j) => (wide[i * 40 + j * 13] = v)));
  assertParity(t, (xt) => tf.softmax(xt), [{shape: [rows.length, 40], dtype: 'float32', values: wide}], tol);
});

test('Softmax of empty tensors', (t) => {
  const rng = new Rng(testSeed());
  for (const shape of [[0], [0, 3], [2, 0], [3, 0, 4]]) {
    assertParity(t, (x) => tf.softmax(x), [randomTensor(rng, shape)], tol, `[${shape}]`);
  }
});

test('Softmax agrees with cpu on every CPU ISA path (the benchmark shape class [B, H, 197, 197])', (t) => {
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
      assertParity(t, (x) => tf.softmax(x), [randomTensor(rng, [2, 3, 197, 197], 'float32', {min: -10, max: 10})], tol,
                   `${isa} [2,3,197,197]`);
      for (const n of [5, 16, 37, 64, 100]) {
        assertParity(t, (x) => tf.softmax(x), [randomTensor(rng, [7, n], 'float32', {min: -10, max: 10})], tol,
                     `${isa} [7,${n}]`);
      }
    }
  } finally {
    addon.setCpuIsa(start);
  }
});

test('Softmax gradient through tf.grad matches cpu', (t) => {
  const rng = seededRng(t);
  for (let trial = 0; trial < 8; trial++) {
    const shape = randomShape(rng, rng.int(1, 4), 9);
    const x = randomTensor(rng, shape, 'float32', {min: -4, max: 4});
    const w = randomTensor(rng, shape);
    // A random weighting makes dy non-uniform (the gradient of sum(softmax) alone is ~0).
    const f = (xt: tf.Tensor, wt: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.softmax(y), wt)))(xt);
    assertParity(t, f, [x, w], {rtol: 1e-4, atol: 1e-6}, `[${shape}]`);
  }
});
