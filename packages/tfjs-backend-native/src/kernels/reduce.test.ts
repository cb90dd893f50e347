// Parity of the reductions (Sum, Mean, Prod, Max, Min, Any, All, ArgMax, ArgMin) with the tfjs cpu backend: random
// shapes of rank 0-6, random axis sets (negative, unsorted, null, [] and single numbers; keepDims both ways), float32,
// int32 and bool, empty tensors, NaN/Inf, long rows and columns, and every CPU ISA path.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {assertParity, backendUnderTest, type Tolerance} from '../testing/parity.js';
import {type HostTensor, randomShape, randomTensor, Rng, seededRng, testSeed} from '../testing/random.js';

type Axis = number | number[] | null;

/** A random axis argument for `rank`: null (all), a single possibly negative number, or a shuffled subset. */
function randomAxis(rng: Rng, rank: number): Axis {
  const mode = rng.int(0, 5);
  if (mode === 0) return null;
  if (mode === 1 && rank > 0) {
    const a = rng.int(0, rank - 1);
    return rng.next() < 0.5 ? a : a - rank;
  }
  const axes: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (rng.next() < 0.5) axes.push(rng.next() < 0.3 ? d - rank : d);
  }
  for (let i = axes.length - 1; i > 0; i--) {  // shuffle: tfjs accepts any order
    const j = rng.int(0, i);
    [axes[i], axes[j]] = [axes[j]!, axes[i]!];
  }
  return axes;
}

function reducedSize(shape: number[], axis: Axis): number {
  const rank = shape.length;
  if (axis === null) return shape.reduce((a, b) => a * b, 1);
  const axes = (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));
  return axes.reduce((acc, a) => acc * shape[a]!, 1);
}

/**
 * Float32 sums: tfjs cpu adds in double and rounds once; we add float vectors in blocks of 16 and the block results in
 * double. Each float addition of values in [-3, 3] errs by <= half an ulp of a partial sum of magnitude ~10, so the
 * total error is a random walk of ~3e-7 * sqrt(n); atol is ten times that (a lost or doubled element is ~1).
 */
function sumTolerance(n: number): Tolerance {
  return {rtol: 1e-5, atol: 3e-6 * Math.sqrt(n) + 1e-6};
}

const exact: Tolerance = {rtol: 0, atol: 0};

interface ReduceCase {
  name: string;
  op: (x: tf.Tensor, axis: Axis, keepDims: boolean) => tf.Tensor;
  dtypes: Array<'float32' | 'int32' | 'bool'>;
  tol: (dtype: string, n: number) => Tolerance;
  /** Input value range per dtype (Prod needs values near 1 to stay finite). */
  range?: {min: number; max: number};
}

// Kernel-level calls, so bool inputs reach Sum/Prod (the ops cast bool to int32 first).
const kernel = (name: string) => (x: tf.Tensor, axis: Axis, keepDims: boolean) =>
  tf.engine().runKernel(name, {x}, {axis, keepDims} as unknown as tf.NamedAttrMap) as tf.Tensor;

const cases: ReduceCase[] = [
  {name: 'Sum', op: kernel('Sum'), dtypes: ['float32', 'int32', 'bool'],
   tol: (d, n) => (d === 'float32' ? sumTolerance(n) : exact)},
  // Mean: the sum's error divided by n, against tfjs's sum of x/n in double.
  {name: 'Mean', op: (x, a, k) => tf.mean(x, a ?? undefined, k), dtypes: ['float32', 'int32', 'bool'],
   tol: () => ({rtol: 1e-5, atol: 1e-6})},
  // Prod: tfjs multiplies left to right in double and rounds once; we keep that order, so results are identical.
  {name: 'Prod', op: kernel('Prod'), dtypes: ['float32', 'int32', 'bool'], tol: () => exact,
   range: {min: 0.6, max: 1.6}},
  {name: 'Max', op: (x, a, k) => tf.max(x, a ?? undefined, k), dtypes: ['float32', 'int32', 'bool'], tol: () => exact},
  {name: 'Min', op: (x, a, k) => tf.min(x, a ?? undefined, k), dtypes: ['float32', 'int32', 'bool'], tol: () => exact},
  {name: 'Any', op: (x, a, k) => tf.any(x, a ?? undefined, k), dtypes: ['bool'], tol: () => exact},
  {name: 'All', op: (x, a, k) => tf.all(x, a ?? undefined, k), dtypes: ['bool'], tol: () => exact},
];

function inputFor(rng: Rng, c: ReduceCase, shape: number[], dtype: 'float32' | 'int32' | 'bool'): HostTensor {
  if (c.name === 'Prod' && dtype === 'int32') return randomTensor(rng, shape, dtype, {min: -3, max: 3});
  return randomTensor(rng, shape, dtype, dtype === 'float32' ? c.range ?? {} : {});
}

for (const c of cases) {
  for (const dtype of c.dtypes) {
    test(`${c.name} ${dtype} matches cpu on random shapes of rank 0-6 and random axis sets`, (t) => {
      const rng = seededRng(t);
      for (let rank = 0; rank <= 6; rank++) {
        for (let trial = 0; trial < 6; trial++) {
          const shape = randomShape(rng, rank, rank > 4 ? 5 : 9);
          const axis = randomAxis(rng, rank);
          const keepDims = rng.next() < 0.5;
          const x = inputFor(rng, c, shape, dtype);
          assertParity(t, (xt) => c.op(xt, axis, keepDims), [x], c.tol(dtype, reducedSize(shape, axis)),
                       `${c.name} [${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
        }
      }
    });
  }
}

test('reductions over axis sets that do not collapse to one block (strided general path)', (t) => {
  const rng = seededRng(t);
  const layouts: Array<[number[], number[]]> = [
    [[5, 3, 7], [0, 2]],
    [[4, 1, 6, 3, 5], [0, 3]],
    [[3, 4, 5, 6], [1, 3]],
    [[2, 3, 2, 3, 2, 3], [0, 2, 4]],
    [[2, 3, 2, 3, 2, 3], [1, 3, 5]],
    [[33, 5, 65], [0, 2]],
  ];
  for (const [shape, axes] of layouts) {
    for (const c of cases) {
      const dtype = c.dtypes[0]!;
      const x = inputFor(rng, c, shape, dtype);
      const keepDims = rng.next() < 0.5;
      assertParity(t, (xt) => c.op(xt, axes, keepDims), [x], c.tol(dtype, reducedSize(shape, axes)),
                   `${c.name} [${shape}] axes [${axes}] keepDims ${keepDims}`);
    }
  }
});

test('long rows and columns keep float32 sums accurate (single-thread, split and column paths)', (t) => {
  const rng = seededRng(t);
  // Positive values: no cancellation, so a relative tolerance is meaningful. tfjs sums in double; our error is bounded
  // by ~18 float roundings of a 1024-element block plus double rounding, i.e. well under 1e-6 relative.
  const pos = {min: 0, max: 1};
  const shapes: Array<[number[], number[]]> = [
    [[100003], [0]],           // one long row, split across threads
    [[3, 100003], [1]],        // few long rows
    [[100003, 3], [0]],        // long columns, split along R
    [[7, 20011, 5], [1]],      // [outer, R, inner] with few tiles
    [[1031, 257], [0]],        // more than one column tile
    [[257, 1031], [1]],        // many medium rows
  ];
  for (const [shape, axes] of shapes) {
    const x = randomTensor(rng, shape, 'float32', pos);
    assertParity(t, (xt) => tf.sum(xt, axes), [x], {rtol: 1e-5, atol: 0}, `sum [${shape}] [${axes}]`);
    assertParity(t, (xt) => tf.mean(xt, axes), [x], {rtol: 1e-5, atol: 0}, `mean [${shape}] [${axes}]`);
    assertParity(t, (xt) => tf.max(xt, axes), [x], exact, `max [${shape}] [${axes}]`);
    assertParity(t, (xt) => tf.min(xt, axes), [x], exact, `min [${shape}] [${axes}]`);
    const xi = randomTensor(rng, shape, 'int32', {min: -1000, max: 1000});
    assertParity(t, (xt) => tf.sum(xt, axes), [xi], exact, `int sum [${shape}] [${axes}]`);
    assertParity(t, (xt) => tf.argMax(xt, axes[0]), [x], exact, `argMax [${shape}] [${axes}]`);
  }
});

test('int32 Sum and Prod wrap around like tfjs (double arithmetic stored into an Int32Array)', (t) => {
  const big = {shape: [4], dtype: 'int32' as const, values: new Int32Array([2147483647, 2147483647, -5, 100000])};
  assertParity(t, (x) => tf.sum(x), [big], exact);
  const prod = {shape: [5], dtype: 'int32' as const, values: new Int32Array([100000, 100000, 100000, 7, -3])};
  assertParity(t, (x) => tf.prod(x), [prod], exact);
  const huge = {shape: [3], dtype: 'int32' as const, values: new Int32Array([2147483647, 2147483647, 2147483647])};
  assertParity(t, (x) => tf.prod(x), [huge], exact);  // the double product rounds before ToInt32 wraps it
});

test('empty tensors reduce like tfjs cpu (0 for Sum/Mean, 1 for Prod, NaN or 0 for Max/Min, false for Any/All)', (t) => {
  const rng = new Rng(testSeed());
  const layouts: Array<[number[], Axis]> = [
    [[3, 0], [1]], [[3, 0], [0]], [[0], null], [[2, 0, 4], [1]], [[2, 0, 4], [0, 2]], [[0, 5], [1]], [[4, 0, 3], null],
  ];
  for (const [shape, axis] of layouts) {
    for (const c of cases) {
      for (const dtype of c.dtypes) {
        assertParity(t, (x) => c.op(x, axis, false), [randomTensor(rng, shape, dtype)], exact,
                     `${c.name} ${dtype} [${shape}] ${JSON.stringify(axis)}`);
        assertParity(t, (x) => c.op(x, axis, true), [randomTensor(rng, shape, dtype)], exact,
                     `${c.name} ${dtype} [${shape}] ${JSON.stringify(axis)} keepDims`);
      }
    }
    if (shape.length > 0) {
      for (const d of ['float32', 'int32', 'bool'] as const) {
        assertParity(t, (x) => tf.argMax(x, 0), [randomTensor(rng, shape, d)], exact, `argMax [${shape}]`);
        assertParity(t, (x) => tf.argMin(x, -1), [randomTensor(rng, shape, d)], exact, `argMin [${shape}]`);
      }
    }
  }
});

function withSpecials(rng: Rng, shape: number[], fraction: number): HostTensor {
  const x = randomTensor(rng, shape, 'float32');
  const specials = [NaN, Infinity, -Infinity, -0, 0];
  for (let i = 0; i < x.values.length; i++) {
    if (rng.next() < fraction) x.values[i] = rng.pick(specials);
  }
  return x;
}

test('NaN and infinities: Max/Min propagate NaN, ArgMax/ArgMin skip it as tfjs does, sums follow IEEE', (t) => {
  const rng = seededRng(t);
  for (let trial = 0; trial < 40; trial++) {
    const shape = randomShape(rng, rng.int(1, 4), 6);
    const x = withSpecials(rng, shape, rng.pick([0.02, 0.1, 0.5]));
    const axis = rng.int(0, shape.length - 1);
    const label = `[${shape}] axis ${axis}`;
    assertParity(t, (xt) => tf.max(xt, axis), [x], exact, `max ${label}`);
    assertParity(t, (xt) => tf.min(xt, [axis, -1]), [x], exact, `min ${label}`);
    assertParity(t, (xt) => tf.sum(xt, axis), [x], sumTolerance(shape[axis]!), `sum ${label}`);
    assertParity(t, (xt) => tf.mean(xt), [x], {rtol: 1e-5, atol: 1e-6}, `mean ${label}`);
    assertParity(t, (xt) => tf.prod(xt, axis), [x], exact, `prod ${label}`);
    assertParity(t, (xt) => tf.argMax(xt, axis), [x], exact, `argMax ${label}`);
    assertParity(t, (xt) => tf.argMin(xt, axis), [x], exact, `argMin ${label}`);
  }
  // The first element NaN wins ArgMax by default (index 0); a later NaN never does.
  const lead = {shape: [2, 3], dtype: 'float32' as const, values: new Float32Array([NaN, 1, 2, 1, NaN, 0.5])};
  assertParity(t, (xt) => tf.argMax(xt, 1), [lead], exact);
  assertParity(t, (xt) => tf.argMin(xt, 1), [lead], exact);
});

for (const [name, op] of [['ArgMax', tf.argMax], ['ArgMin', tf.argMin]] as const) {
  test(`${name} matches cpu on every axis of random shapes, with ties (first index wins)`, (t) => {
    const rng = seededRng(t);
    for (let rank = 1; rank <= 6; rank++) {
      for (let trial = 0; trial < 4; trial++) {
        const shape = randomShape(rng, rank, rank > 4 ? 5 : 9);
        const axis = rng.int(-rank, rank - 1);
        // Few distinct values, so ties are common.
        assertParity(t, (x) => op(x, axis), [randomTensor(rng, shape, 'int32', {min: 0, max: 3})], exact,
                     `${name} int32 [${shape}] axis ${axis}`);
        assertParity(t, (x) => op(x, axis), [randomTensor(rng, shape, 'float32')], exact,
                     `${name} float32 [${shape}] axis ${axis}`);
        assertParity(t, (x) => op(x, axis), [randomTensor(rng, shape, 'bool')], exact,
                     `${name} bool [${shape}] axis ${axis}`);
      }
    }
  });
}

const isas = ['generic', 'avx2', 'avx512'] as const;

function onEachIsa(t: ExecutionContext, body: (isa: string) => void): void {
  if (backendUnderTest !== 'native') {
    t.pass('ISA paths are a property of the native CPU backend');
    return;
  }
  const addon = nativeAddon();
  const start = addon.info().cpu.isa;
  try {
    for (const isa of isas) {
      if (!addon.setCpuIsa(isa)) {
        t.log(`${isa}: not supported by this CPU, skipped`);
        continue;
      }
      t.log(`${isa}: checked`);
      body(isa);
    }
  } finally {
    addon.setCpuIsa(start);
  }
}

test('float32 Sum/Mean/Max/Min agree with cpu on every CPU ISA path', (t) => {
  const seed = testSeed();
  t.log(`seed ${seed}`);
  onEachIsa(t, (isa) => {
    const rng = new Rng(seed);
    // Row lengths around the vector widths and block sizes (4/8/16 lanes, blocks of 256/512/1024).
    for (const n of [1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 4099]) {
      const x = withSpecials(rng, [3, n], n % 3 === 0 ? 0.01 : 0);
      for (const axis of [0, 1]) {
        const size = axis === 0 ? 3 : n;
        assertParity(t, (xt) => tf.sum(xt, axis), [x], sumTolerance(size), `${isa} sum [3,${n}] axis ${axis}`);
        assertParity(t, (xt) => tf.mean(xt, axis), [x], {rtol: 1e-5, atol: 1e-6}, `${isa} mean [3,${n}] ${axis}`);
        assertParity(t, (xt) => tf.max(xt, axis), [x], exact, `${isa} max [3,${n}] axis ${axis}`);
        assertParity(t, (xt) => tf.min(xt, axis), [x], exact, `${isa} min [3,${n}] axis ${axis}`);
      }
    }
  });
});

test('gradients of Sum, Mean and Max through tf.grad match cpu', (t) => {
  const rng = seededRng(t);
  for (let trial = 0; trial < 12; trial++) {
    const rank = rng.int(1, 4);
    const shape = randomShape(rng, rank, 6);
    const axis = randomAxis(rng, rank);
    const keepDims = rng.next() < 0.5;
    const x = randomTensor(rng, shape);
    const label = `[${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`;
    // Squares make the upstream gradient non-uniform, so a wrong broadcast of dy would show.
    const sq = (f: (y: tf.Tensor) => tf.Tensor) => (xt: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(tf.square(f(y))))(xt);
    assertParity(t, sq((y) => tf.sum(y, axis ?? undefined, keepDims)), [x], {rtol: 1e-5, atol: 1e-5}, `d sum ${label}`);
    assertParity(t, sq((y) => tf.mean(y, axis ?? undefined, keepDims)), [x], {rtol: 1e-5, atol: 1e-6}, `d mean ${label}`);
    assertParity(t, sq((y) => tf.max(y, axis ?? undefined, keepDims)), [x], {rtol: 1e-6, atol: 0}, `d max ${label}`);
  }
});
