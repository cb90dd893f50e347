// MaskApply / MaskApplyGrad on the backend under test against JS references on fresh random inputs: odd and empty
// sizes, more rows than one summation chunk, NaN/Inf/-0 in the tokens. Copies must keep every bit; the mask token's
// gradient must equal, bit for bit, the float32 sum in the kernels' documented order (rows in chunks of 256, then the
// chunks), and be close to the float64 sum.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {backendUnderTest, runOn} from '../testing/parity.js';
import {type HostTensor, type Rng, seededRng} from '../testing/random.js';

const CHUNK = 256;  // kMaskGradRowChunk in native/src/kernels/mask.h

function randomTokens(rng: Rng, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    values[i] = u < 0.01 ? NaN : u < 0.02 ? -Infinity : u < 0.03 ? -0 : rng.uniform(-2, 2);
  }
  return {shape, dtype: 'float32', values};
}

function randomMask(rng: Rng, shape: number[], p: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return {shape, dtype: 'bool', values: Uint8Array.from({length: n}, () => (rng.next() < p ? 1 : 0))};
}

function bits(x: Float32Array | Int32Array | Uint8Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** Index of the first element whose bits differ, or -1. */
function firstBitDifference(got: HostTensor, want: Float32Array): number {
  const g = bits(got.values), w = bits(want);
  if (g.length !== w.length) return -2;
  return g.findIndex((x, i) => x !== w[i]);
}

const sizes: Array<[number, number, number]> = [
  [2, 197, 384], [3, 37, 1], [1, 1, 7], [4, 300, 13], [0, 5, 4], [3, 0, 4], [2, 3, 0], [5, 260, 17], [1, 600, 3],
];

function shapesFor(rng: Rng): Array<[number, number, number]> {
  return [...sizes, [rng.int(1, 4), rng.int(1, 400), rng.int(1, 70)], [rng.int(1, 4), rng.int(1, 400), rng.int(1, 70)]];
}

test('MaskApply replaces masked rows by the mask token and copies the others bit for bit', (t) => {
  const rng = seededRng(t);
  for (const [b, n, d] of shapesFor(rng)) {
    for (const p of [0, 0.3, 1]) {
      const tokens = randomTokens(rng, [b, n, d]), mask = randomMask(rng, [b, n], p);
      const token = randomTokens(rng, [d]);
      const [out] = runOn(backendUnderTest, (x, m, k) => tf.engine().runKernel('MaskApply', {tokens: x!, mask: m!,
                                                                               maskToken: k!}, {}) as tf.Tensor,
                          [tokens, mask, token]);
      const want = new Float32Array(b * n * d);
      for (let r = 0; r < b * n; r++) {
        want.set(mask.values[r] ? (token.values as Float32Array) : tokens.values.subarray(r * d, (r + 1) * d), r * d);
      }
      t.deepEqual(out!.shape, [b, n, d]);
      t.is(out!.dtype, 'float32');
      const bad = firstBitDifference(out!, want);
      t.is(bad, -1, `[${b},${n},${d}] p = ${p}: first difference at ${bad}`);
    }
  }
});

test('MaskApplyGrad: dTokens is dy off the mask and 0 on it; dMaskToken is the ordered sum over masked rows', (t) => {
  const rng = seededRng(t);
  for (const [b, n, d] of shapesFor(rng)) {
    for (const p of [0, 0.4, 1]) {
      const dy = randomTokens(rng, [b, n, d]);
      // Finite gradients for the sum check (NaN/Inf would make every comparison trivially NaN); -0 kept.
      const g = dy.values as Float32Array;
      for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i]!)) g[i] = rng.uniform(-2, 2);
      const mask = randomMask(rng, [b, n], p);
      const [dTokens, dMaskToken] = runOn(backendUnderTest, (x, m) => tf.engine().runKernel('MaskApplyGrad',
                                          {dy: x!, mask: m!}, {}) as tf.Tensor[], [dy, mask]);
      const rows = b * n;
      const wantTokens = new Float32Array(rows * d);
      const chunked = new Float32Array(d), exact = new Float64Array(d);
      for (let c = 0; c * CHUNK < rows; c++) {
        const acc = new Float32Array(d);
        for (let r = c * CHUNK; r < Math.min(rows, (c + 1) * CHUNK); r++) {
          if (!mask.values[r]) continue;
          for (let k = 0; k < d; k++) {
            acc[k] = acc[k]! + g[r * d + k]!;  // Float32Array stores round like the kernel's float adds
            exact[k] += g[r * d + k]!;
          }
        }
        for (let k = 0; k < d; k++) chunked[k] = chunked[k]! + acc[k]!;
      }
      for (let r = 0; r < rows; r++) if (!mask.values[r]) wantTokens.set(g.subarray(r * d, (r + 1) * d), r * d);
      const label = `[${b},${n},${d}] p = ${p}`;
      t.deepEqual(dTokens!.shape, [b, n, d]);
      t.deepEqual(dMaskToken!.shape, [d]);
      t.is(firstBitDifference(dTokens!, wantTokens), -1, `${label} dTokens`);
      t.is(firstBitDifference(dMaskToken!, chunked), -1, `${label} dMaskToken bits vs the documented order`);
      const masked = Array.from(mask.values).filter((x) => x).length;
      for (let k = 0; k < d; k++) {
        const err = Math.abs(dMaskToken!.values[k]! - exact[k]!);
        t.true(err <= 1e-6 * Math.max(1, masked),
               `${label} dMaskToken[${k}] = ${dMaskToken!.values[k]} vs ${exact[k]}`);
      }
    }
  }
});

test('MaskApply, MaskApplyGrad and BlockMask reject inputs they cannot take, naming the kernel', (t) => {
  type Inputs = () => Record<string, tf.Tensor>;
  const x = () => tf.zeros([2, 3, 4]), m = () => tf.zeros([2, 3], 'bool'), k = () => tf.zeros([4]);
  const cases: Array<[string, Inputs, RegExp]> = [
    ['MaskApply', () => ({tokens: x(), mask: tf.zeros([2, 3]), maskToken: k()}), /^MaskApply: mask must be bool/],
    ['MaskApply', () => ({tokens: x(), mask: tf.zeros([3, 2], 'bool'), maskToken: k()}), /mask must be bool\[2,3\]/],
    ['MaskApply', () => ({tokens: x(), mask: m(), maskToken: tf.zeros([5])}), /maskToken must be float32\[4\]/],
    ['MaskApply', () => ({tokens: tf.zeros([6, 4]), mask: m(), maskToken: k()}), /tokens must be float32 \[B, N, D\]/],
    ['MaskApply', () => ({tokens: tf.zeros([2, 3, 4], 'int32'), mask: m(), maskToken: k()}), /tokens must be float32/],
    ['MaskApplyGrad', () => ({dy: x(), mask: tf.zeros([2, 4], 'bool')}), /^MaskApplyGrad: mask must be bool\[2,3\]/],
  ];
  for (const [name, inputs, message] of cases) {
    t.throws(() => tf.tidy(() => {
      tf.engine().runKernel(name, inputs(), {});
    }), {message}, name);
  }
  const blockMask = (over: Record<string, unknown>) => () => tf.tidy(() => {
    tf.engine().runKernel('BlockMask', {}, {batch: 1, gridH: 2, gridW: 2, ratios: [0.3], ratioVars: [0],
                                            shape: 'block', seed: 0, step: 0, ...over} as tf.NamedAttrMap);
  });
  t.throws(blockMask({batch: -1}), {message: /^BlockMask: batch, gridH and gridW must be non-negative integers/});
  t.throws(blockMask({gridW: 2.5}), {message: /^BlockMask: batch, gridH and gridW must be non-negative integers/});
  t.throws(blockMask({shape: 'square'}), {message: /^BlockMask: shape must be 'block' or 'rand'/});
  t.throws(blockMask({ratios: [0.3, 0.2]}), {message: /^BlockMask: ratioVars must have as many entries as ratios/});
});
