// Parity of the index-driven layout kernels (GatherV2, GatherNd, ScatterNd, UnsortedSegmentSum, OneHot) with the tfjs
// cpu backend: random shapes, axes and batchDims, repeated and out-of-range indices (tfjs cpu's errors on 'native';
// zeros / dropped updates on 'cuda', which does not wait to validate), negative and out-of-range segment ids,
// non-finite inputs, float32/int32/bool.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import {assertParity, backendUnderTest, runOn} from '../testing/parity.js';
import {type HostTensor, randomShape, randomTensor, Rng, seededRng} from '../testing/random.js';

const dtypes = ['float32', 'int32', 'bool'] as const;
const exact = {rtol: 0, atol: 0};
// Float sums: bit-exact on 'native' (it accumulates in double like tfjs), atomics in any order on 'cuda'.
const sums = {rtol: 1e-5, atol: 1e-5};

function ints(rng: Rng, shape: number[], lo: number, hi: number): HostTensor {
  return randomTensor(rng, shape, 'int32', {min: lo, max: hi});
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

test('GatherV2 matches cpu for random axes, batchDims and repeated indices of rank 1-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const shape = randomShape(rng, rank, rank > 4 ? 4 : 6);
      const axis = rng.int(0, rank - 1);
      const batchDims = rng.int(0, axis);
      // Empty x (but not an empty batch, which the cpu kernel itself cannot gather from).
      if (rng.next() < 0.1) shape[rng.int(batchDims, rank - 1)] = 0;
      const idxShape = [...shape.slice(0, batchDims), ...randomShape(rng, rng.int(0, 2), 5)];
      const dim = shape[axis]!;
      const indices = dim === 0 ? ints(rng, [...idxShape.slice(0, batchDims), 0], 0, 0) : ints(rng, idxShape, 0, dim - 1);
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      const givenAxis = rng.next() < 0.5 ? axis : axis - rank;
      assertParity(t, (a, i) => tf.gather(a!, i!, givenAxis, batchDims), [x, indices], exact,
                   `[${shape}] indices [${indices.shape}] axis ${givenAxis} batchDims ${batchDims}`);
    }
  }
});

test('GatherV2 of many rows splits over threads', (t) => {
  const rng = seededRng(t);
  assertParity(t, (a, i) => tf.gather(a!, i!), [randomTensor(rng, [1000, 67]), ints(rng, [4999], 0, 999)], exact);
  assertParity(t, (a, i) => tf.gather(a!, i!, 1), [randomTensor(rng, [3, 700, 5]), ints(rng, [2, 3001], 0, 699)],
               exact);
});

test('GatherV2 with an out-of-range index: tfjs cpu\'s error on native, zeros on cuda', (t) => {
  const rng = seededRng(t);
  const x = randomTensor(rng, [4, 3]);
  for (const bad of [4, -1, 1000]) {
    const indices: HostTensor = {shape: [3], dtype: 'int32', values: new Int32Array([1, bad, 0])};
    const fn = (a: tf.Tensor, i: tf.Tensor) => tf.gather(a, i);
    const error = t.throws(() => runOn('cpu', fn as never, [x, indices]));
    if (backendUnderTest === 'cuda') {
      const [got] = runOn(backendUnderTest, fn as never, [x, indices]);
      t.deepEqual(Array.from(got!.values.slice(3, 6)), [0, 0, 0]);
    } else {
      t.throws(() => runOn(backendUnderTest, fn as never, [x, indices]), {message: error!.message});
    }
  }
});

test('GatherNd matches cpu for random index depths of params rank 1-5', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 5; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const shape = randomShape(rng, rank, 5);
      const depth = rng.int(0, rank);
      const lead = randomShape(rng, rng.int(0, 2), 4);
      if (rng.next() < 0.1) lead.push(0);
      const values = new Int32Array(size(lead) * depth);
      for (let i = 0; i < values.length; i++) values[i] = rng.int(0, shape[i % depth]! - 1);
      const indices: HostTensor = {shape: [...lead, depth], dtype: 'int32', values};
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      assertParity(t, (a, i) => tf.gatherND(a!, i!), [x, indices], exact, `[${shape}] indices [${indices.shape}]`);
    }
  }
});

test('GatherNd with an index tuple outside params: tfjs cpu\'s error on native', (t) => {
  const rng = seededRng(t);
  const x = randomTensor(rng, [3, 4]);
  const indices: HostTensor = {shape: [2, 2], dtype: 'int32', values: new Int32Array([1, 1, 3, 0])};
  const fn = (a: tf.Tensor, i: tf.Tensor) => tf.gatherND(a, i);
  const error = t.throws(() => runOn('cpu', fn as never, [x, indices]));
  if (backendUnderTest === 'cuda') {
    const [got] = runOn(backendUnderTest, fn as never, [x, indices]);
    t.is(got!.values[1], 0);
  } else {
    // tfjs's message, prefixed with the op name.
    t.throws(() => runOn(backendUnderTest, fn as never, [x, indices]), {message: `GatherNd: ${error!.message}`});
  }
});

test('ScatterNd matches cpu, duplicate indices adding up, for output rank 1-5', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 5; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const dtype = backendUnderTest === 'cuda' ? (['float32', 'int32'] as const)[trial % 2]! : dtypes[trial % 3]!;
      const shape = randomShape(rng, rank, 5);
      const depth = rng.int(1, rank);
      const n = rng.int(1, 9);
      const flatIndices = rng.next() < 0.3;  // rank-1 indices: one coordinate per update
      const values = new Int32Array(n * depth);
      for (let i = 0; i < values.length; i++) values[i] = rng.int(0, shape[i % depth]! - 1);
      const indices: HostTensor = flatIndices && depth === 1 ? {shape: [n], dtype: 'int32', values} :
                                                               {shape: [n, depth], dtype: 'int32', values};
      const updates = randomTensor(rng, [n, ...shape.slice(depth)], dtype, {min: -4, max: 4});
      assertParity(t, (i, u) => tf.scatterND(i!, u!, shape), [indices, updates], sums,
                   `${dtype} shape [${shape}] indices [${indices.shape}]`);
    }
  }
});

test('ScatterNd with an index tuple outside the shape: tfjs cpu\'s error on native', (t) => {
  const indices: HostTensor = {shape: [2, 1], dtype: 'int32', values: new Int32Array([0, 5])};
  const updates = randomTensor(seededRng(t), [2, 3]);
  const fn = (i: tf.Tensor, u: tf.Tensor) => tf.scatterND(i, u, [4, 3]);
  const error = t.throws(() => runOn('cpu', fn as never, [indices, updates]));
  if (backendUnderTest === 'cuda') t.notThrows(() => runOn(backendUnderTest, fn as never, [indices, updates]));
  else t.throws(() => runOn(backendUnderTest, fn as never, [indices, updates]), {message: `ScatterNd: ${error!.message}`});
});

test('UnsortedSegmentSum matches cpu (float32 result) with negative and out-of-range ids, x rank 1-5', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 5; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const dtype = dtypes[trial % 3]!;
      const shape = randomShape(rng, rank, rank > 3 ? 4 : 9);
      if (rng.next() < 0.1) shape[0] = 0;
      // Ids of rank k > 1 ([rows, ...x's last k - 1 axes]) mask x element-wise in tfjs cpu; we match that too.
      const idsRank = rng.next() < 0.7 ? 1 : rng.int(1, rank);
      const numSegments = rng.int(1, 6);
      const ids = ints(rng, [shape[0]!, ...shape.slice(rank - idsRank + 1)], -2, numSegments + 1);
      const x = randomTensor(rng, shape, dtype);
      assertParity(t, (a, i) => tf.unsortedSegmentSum(a!, i! as tf.Tensor1D, numSegments), [x, ids], sums,
                   `${dtype}[${shape}] ids [${ids.shape}] numSegments ${numSegments}`);
    }
  }
});

test('UnsortedSegmentSum turns other segments NaN where tfjs multiplies a NaN or infinity by a zero mask', (t) => {
  const rng = seededRng(t);
  const x = randomTensor(rng, [6, 4]);
  const v = x.values as Float32Array;
  v[1] = NaN;        // row 0 (segment 0), column 1
  v[6] = Infinity;   // row 1 (segment 2), column 2
  v[10] = Infinity;  // row 2 (segment 2), column 2: same segment, so segment 2 keeps +inf
  v[15] = -Infinity; // row 3 (ignored id -1), column 3: every segment NaN
  const ids: HostTensor = {shape: [6], dtype: 'int32', values: new Int32Array([0, 2, 2, -1, 1, 7])};
  assertParity(t, (a, i) => tf.unsortedSegmentSum(a!, i! as tf.Tensor1D, 3), [x, ids], sums);
});

test('UnsortedSegmentSum of many rows and columns splits over threads', (t) => {
  const rng = seededRng(t);
  const x = randomTensor(rng, [517, 301]);
  assertParity(t, (a, i) => tf.unsortedSegmentSum(a!, i! as tf.Tensor1D, 37), [x, ints(rng, [517], -1, 37)], {rtol: 1e-5, atol: 1e-4});
});

test('OneHot matches cpu for every output dtype, out-of-range indices and unusual on/off values', (t) => {
  const rng = seededRng(t);
  for (let rank = 0; rank <= 4; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const depth = rng.int(2, 9);
      const indices = ints(rng, randomShape(rng, rank, 5), -2, depth + 1);
      const dtype = dtypes[trial % 3]!;
      const on = rng.pick([1, 2.5, -3, 300, 1e10]), off = rng.pick([0, -1, 0.25, NaN]);
      assertParity(t, (i) => tf.oneHot(i!, depth, on, off, dtype), [indices], exact,
                   `${dtype} indices [${indices.shape}] depth ${depth} on ${on} off ${off}`);
    }
  }
});
