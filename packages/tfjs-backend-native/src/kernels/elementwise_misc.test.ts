// Parity with the tfjs cpu backend for the elementwise kernels that are neither plain unary nor binary: Cast (every
// dtype pair, special values), Select (same-shape, row and scalar conditions), AddN (1 to 11 inputs), Fill,
// ZerosLike, OnesLike, Range (tfjs's accumulation and empty-range rules) and EluGrad.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {backendUnderTest, runOn} from '../testing/parity.js';
import {randomShape, randomTensor, Rng, seededRng, testSeed} from '../testing/random.js';
import {check, hostTensor, kernelFn, specialFloats, specialInts} from './elementwise_test_helpers.js';

const dtypes = ['float32', 'int32', 'bool'] as const;

test('Cast matches cpu for every dtype pair on random shapes and special values', (t) => {
  const rng = seededRng(t);
  for (const from of dtypes) {
    for (const to of dtypes) {
      const fn = (x: tf.Tensor) => tf.cast(x, to);
      for (let rank = 0; rank <= 6; rank++) {
        const shape = randomShape(rng, rank, rank > 4 ? 4 : 8);
        check(t, fn, [randomTensor(rng, shape, from, from === 'float32' ? {min: -5, max: 5} : {})],
              {label: `${from} -> ${to}`, native: from === to ? undefined : 'Cast'});
      }
      check(t, fn, [randomTensor(rng, [0, 4], from)], {label: `${from} -> ${to} empty`});
    }
  }
  // float -> int32 truncates and wraps modulo 2^32 like Int32Array.from; NaN -> 0; -> bool is x != 0 (NaN -> true).
  for (const to of dtypes) {
    check(t, (x) => tf.cast(x, to), [hostTensor(specialFloats, 'float32')], {label: `specials -> ${to}`});
    check(t, (x) => tf.cast(x, to), [hostTensor(specialInts, 'int32')], {label: `int edges -> ${to}`});
  }
  // Magnitudes from 1e-3 to 1e20, where float -> int32 wraps in every way.
  const wide = Array.from({length: 4001}, () => (rng.next() < 0.5 ? -1 : 1) * 10 ** rng.uniform(-3, 20));
  check(t, (x) => tf.cast(x, 'int32'), [hostTensor(wide, 'float32')], {label: 'wide -> int32', native: 'Cast'});
});

test('Cast to the same dtype aliases the input buffer', (t) => {
  const x = tf.tensor([1, 2, 3], [3], 'int32');
  const before = tf.memory().numDataBuffers;
  const y = tf.cast(x, 'int32');
  t.is(tf.memory().numDataBuffers, before, 'no new buffer');
  t.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  tf.dispose([x, y]);
});

test('Select matches cpu for same-shape conditions of rank 0-6 and every dtype', (t) => {
  const rng = seededRng(t);
  const fn = kernelFn('Select', ['condition', 't', 'e']);
  for (const dtype of dtypes) {
    for (let rank = 0; rank <= 6; rank++) {
      const shape = randomShape(rng, rank, rank > 4 ? 4 : 9);
      const c = randomTensor(rng, shape, 'bool');
      check(t, fn, [c, randomTensor(rng, shape, dtype), randomTensor(rng, shape, dtype)],
            {label: `${dtype} [${shape}]`, native: 'Select'});
    }
    const empty = [0, 2];
    check(t, fn, [randomTensor(rng, empty, 'bool'), randomTensor(rng, empty, dtype), randomTensor(rng, empty, dtype)]);
  }
  check(t, fn, [randomTensor(rng, [100003], 'bool'), randomTensor(rng, [100003]), randomTensor(rng, [100003])],
        {native: 'Select'});
  // Special values pass through untouched.
  const s = hostTensor(specialFloats, 'float32');
  check(t, fn, [randomTensor(rng, s.shape, 'bool'), s, hostTensor(specialFloats.map((v) => -v), 'float32')]);
  // tf.where broadcasts the condition before calling the kernel.
  check(t, (c, a, b) => tf.where(c as tf.Tensor, a!, b!),
        [randomTensor(rng, [5, 1], 'bool'), randomTensor(rng, [5, 7]), randomTensor(rng, [7])]);
});

// A rank-1 condition over a higher-rank t picks whole rows (TensorFlow's Select, and tfjs's webgl and wasm kernels).
// tfjs cpu's kernel reads t[i] instead of t[row i] there (a bug no tfjs op reaches: tf.where always broadcasts the
// condition to t's shape first), so the reference here is tf.where on cpu with the condition shaped [n, 1, ...].
test('Select with a row condition or a scalar condition picks whole rows / the whole tensor', (t) => {
  const rng = new Rng(testSeed());
  const select = kernelFn('Select', ['condition', 't', 'e']);
  for (const shape of [[6, 5], [3, 4, 2], [7, 1, 1, 3], [1, 9]]) {
    for (const dtype of dtypes) {
      const c = randomTensor(rng, [shape[0]!], 'bool');
      const a = randomTensor(rng, shape, dtype), b = randomTensor(rng, shape, dtype);
      const rowShape = [shape[0]!, ...shape.slice(1).map(() => 1)];
      const reference = (cc?: tf.Tensor, aa?: tf.Tensor, bb?: tf.Tensor) =>
          tf.where(tf.reshape(cc!, rowShape) as tf.Tensor, aa!, bb!);
      const [want] = runOn('cpu', reference, [c, a, b]);
      const [got] = runOn(backendUnderTest, select, [c, a, b]);
      t.deepEqual(got, want, `[${shape}] ${dtype}`);
    }
  }
  for (const cond of [0, 1]) {
    const a = randomTensor(rng, [4, 3]), b = randomTensor(rng, [4, 3]);
    const [got] = runOn(backendUnderTest, select, [hostTensor([cond], 'bool', []), a, b]);
    t.deepEqual(got, cond ? a : b);
  }
});

test('AddN matches cpu for 1 to 11 inputs, float32 and int32, in one pass', (t) => {
  const rng = seededRng(t);
  for (const dtype of ['float32', 'int32'] as const) {
    for (const count of [1, 2, 3, 5, 8, 9, 11]) {
      const shape = randomShape(rng, rng.int(0, 5), 7);
      const xs = Array.from({length: count}, () => randomTensor(rng, shape, dtype));
      check(t, (...ts) => tf.addN(ts), xs, {label: `${count} x ${dtype}[${shape}]`, native: 'AddN'});
    }
    check(t, (...ts) => tf.addN(ts), [randomTensor(rng, [3, 0], dtype), randomTensor(rng, [3, 0], dtype)]);
  }
  // Rounding after every add in order, -0 + ... = +0, NaN/Inf propagation; int32 wraps.
  const s = hostTensor(specialFloats, 'float32');
  const r = randomTensor(rng, s.shape, 'float32', {min: -1e8, max: 1e8});
  check(t, (...ts) => tf.addN(ts), [s, r, s, r], {native: 'AddN'});
  check(t, (...ts) => tf.addN(ts), [hostTensor([-0, -0, 1e-45], 'float32'), hostTensor([-0, 0, -1e-45], 'float32')]);
  const ints = hostTensor(specialInts, 'int32');
  check(t, (...ts) => tf.addN(ts), [ints, ints, ints], {native: 'AddN'});
  const big = Array.from({length: 4}, () => randomTensor(rng, [70001]));
  check(t, (...ts) => tf.addN(ts), big, {native: 'AddN'});
});

test('Fill, ZerosLike and OnesLike match cpu for every dtype and odd values', (t) => {
  const rng = new Rng(testSeed());
  const values = [0, -0, 1, -1, 2.5, -2.5, 3.7, NaN, Infinity, -Infinity, 3e9, -3e9, 255, 256, 1e-45, 0.1];
  for (const dtype of dtypes) {
    for (const value of values) {
      const shape = randomShape(rng, rng.int(0, 4), 6);
      check(t, () => tf.fill(shape, value, dtype), [], {label: `${value} ${dtype}`, native: 'Fill'});
    }
    for (let rank = 0; rank <= 6; rank++) {
      const shape = randomShape(rng, rank, 4);
      const x = randomTensor(rng, shape, dtype);
      check(t, (a) => tf.zerosLike(a!), [x], {native: 'ZerosLike'});
      check(t, (a) => tf.onesLike(a!), [x], {native: 'OnesLike'});
    }
  }
  check(t, () => tf.fill([2, 3], true as unknown as number, 'bool'), []);
  check(t, () => tf.fill([0, 3], 7), [], {native: 'Fill'});
  check(t, () => tf.fill([1000003], 0.25), [], {native: 'Fill'});
});

test('Range matches cpu, including empty ranges, flipped steps and step-by-step accumulation', (t) => {
  const cases: Array<[number, number, number]> = [
    [0, 10, 1], [0, 10, 3], [10, 0, 1], [10, 0, -3], [0, 1, 0.1], [1, 0, 0.25], [0, 10, -1], [10, 0, 2], [5, 5, 1],
    [-3.5, 7.25, 0.75], [0, 1000, 0.1], [0.1, 12345.6, 1.1], [-1e9, 1e9, 1e5], [2147483000, 2147484000, 100],
    [0, 3, 1e-3], [NaN, 5, 1], [0, 5, NaN], [3, -3, 1], [0, 1e-6, 1e-7],
  ];
  for (const [start, stop, step] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      check(t, () => tf.engine().runKernel('Range', {}, {start, stop, step, dtype}) as tf.Tensor, [],
            {label: `range(${start}, ${stop}, ${step}, ${dtype})`, native: 'Range'});
    }
  }
  check(t, () => tf.range(0, 100003, 1), [], {native: 'Range'});
});

test('EluGrad matches cpu on random same-shape inputs of rank 0-6 and special values', (t) => {
  const rng = seededRng(t);
  const fn = kernelFn('EluGrad', ['dy', 'y']);
  for (let rank = 0; rank <= 6; rank++) {
    const shape = randomShape(rng, rank, rank > 4 ? 4 : 9);
    check(t, fn, [randomTensor(rng, shape), randomTensor(rng, shape, 'float32', {min: -1, max: 2})],
          {label: `[${shape}]`, native: 'EluGrad'});
  }
  const s = hostTensor(specialFloats, 'float32');
  check(t, fn, [s, hostTensor([...specialFloats].reverse(), 'float32')], {native: 'EluGrad'});
  check(t, fn, [randomTensor(rng, [0, 5]), randomTensor(rng, [0, 5])]);
  // And through the gradient of tf.elu.
  check(t, (x) => tf.grad((v: tf.Tensor) => tf.elu(v))(x!), [randomTensor(rng, [7, 3])], {native: 'EluGrad'});
});
