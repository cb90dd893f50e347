// Parity of the strided-copy layout kernels (Transpose, Slice, StridedSlice, Reverse, Tile, PadV2, MirrorPad) with the
// tfjs cpu backend: random shapes of rank 0-6 (empty ones included), random parameters, float32/int32/bool, the big
// transposes of attention layouts on 1 and 2 threads and on both tile paths (AVX2 and generic), and the alias cases.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {assertClose, assertParity, backendUnderTest, runOn, type TensorFn} from '../testing/parity.js';
import {type HostTensor, randomShape, randomTensor, Rng, seededRng} from '../testing/random.js';

const dtypes = ['float32', 'int32', 'bool'] as const;
const exact = {rtol: 0, atol: 0};

/** A random shape of `rank`, sometimes with a zero dimension. */
function shapeOf(rng: Rng, rank: number, allowEmpty = true): number[] {
  const shape = randomShape(rng, rank, rank > 4 ? 4 : 7);
  if (allowEmpty && rank > 0 && rng.next() < 0.1) shape[rng.int(0, rank - 1)] = 0;
  return shape;
}

function shuffled(rng: Rng, n: number): number[] {
  const p = Array.from({length: n}, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Runs `fn` on cpu and on the backend under test: equal outputs, or both throw the same message. */
function parityOrSameError(t: ExecutionContext, fn: TensorFn, inputs: HostTensor[], label: string): void {
  let error: Error | undefined;
  try {
    const [want] = runOn('cpu', fn, inputs);
    // A few StridedSlice mask combinations make tfjs cpu return more or fewer values than its shape holds; the native
    // kernel refuses those instead.
    if (want!.values.length !== want!.shape.reduce((a, b) => a * b, 1)) {
      t.throws(() => runOn(backendUnderTest, fn, inputs), {message: /inconsistent tensor/}, label);
      return;
    }
  } catch (e) {
    error = e as Error;
  }
  if (!error) {
    assertParity(t, fn, inputs, exact, label);
    return;
  }
  const got = t.throws(() => runOn(backendUnderTest, fn, inputs), undefined, `${label}: cpu threw, native did not`);
  t.is(got?.message, error.message, label);
}

const run = (name: string, attrs: object): TensorFn => (x) =>
    tf.engine().runKernel(name, {x: x!}, attrs as tf.NamedAttrMap) as tf.Tensor;

test('Transpose matches cpu for random permutations of rank 0-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 0; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const dtype = dtypes[trial % 3]!;
      const x = randomTensor(rng, shapeOf(rng, rank), dtype);
      const perm = shuffled(rng, rank);
      assertParity(t, run('Transpose', {perm}), [x], exact, `perm [${perm}]`);
    }
  }
});

test('Transpose of attention layouts takes the tiled path on 1 and 2 threads, AVX2 and generic tiles', (t) => {
  const rng = seededRng(t);
  const addon = nativeAddon();
  const threads = addon.info().cpu.threads, isa = addon.info().cpu.isa;
  const x = randomTensor(rng, [64, 197, 6, 64]);
  const cases: Array<[HostTensor, number[]]> = [
    [x, [0, 2, 1, 3]],
    [x, [0, 2, 3, 1]],
    [randomTensor(rng, [3, 67, 129], 'bool'), [0, 2, 1]],
    [randomTensor(rng, [1031, 17], 'int32'), [1, 0]],
  ];
  try {
    for (const [input, perm] of cases) {
      const fn: TensorFn = (a) => tf.transpose(a!, perm);
      const [want] = runOn('cpu', fn, [input]);
      for (const n of [1, 2]) {
        for (const tile of ['generic', 'avx2'] as const) {
          addon.setNumThreads(n);
          if (!addon.setCpuIsa(tile)) continue;
          const [got] = runOn(backendUnderTest, fn, [input]);
          assertClose(t, got!, want!, exact, `[${input.shape}] perm [${perm}] on ${n} threads, ${tile} tiles`);
        }
      }
    }
  } finally {
    addon.setNumThreads(threads);
    addon.setCpuIsa(isa);
  }
});

// Rank 0 is left out: tf.slice rejects scalars, and the cpu kernel called directly returns a scalar with no value.
test('Slice matches cpu for random begins and sizes (with -1 sizes) of rank 1-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const shape = shapeOf(rng, rank);
      const begin = shape.map((d) => rng.int(0, d));
      const size = shape.map((d, i) => (rng.next() < 0.2 ? -1 : rng.int(0, d - begin[i]!)));
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      assertParity(t, run('Slice', {begin, size}), [x], exact, `[${shape}] begin [${begin}] size [${size}]`);
    }
  }
});

test('StridedSlice matches cpu for random begin/end/strides and masks, errors included', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 25; trial++) {
      const shape = shapeOf(rng, rank);
      const n = rng.int(1, rank);
      const begin = Array.from({length: n}, (_, i) => rng.int(-(shape[i] ?? 1) - 1, (shape[i] ?? 1) + 1));
      const end = Array.from({length: n}, (_, i) => rng.int(-(shape[i] ?? 1) - 1, (shape[i] ?? 1) + 1));
      const strides = Array.from({length: n}, () => rng.pick([1, 1, 2, 3, -1, -2]));
      const mask = () => (rng.next() < 0.5 ? 0 : rng.int(0, (1 << n) - 1));
      const ellipsis = rng.next() < 0.2 ? 1 << rng.int(0, n - 1) : 0;
      const masks = [mask(), mask(), ellipsis, rng.next() < 0.2 ? mask() : 0, rng.next() < 0.4 ? mask() : 0];
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      const fn: TensorFn = (a) => tf.stridedSlice(a!, begin, end, strides, ...masks);
      parityOrSameError(t, fn, [x], `[${shape}] begin [${begin}] end [${end}] strides [${strides}] masks [${masks}]`);
    }
  }
});

test('StridedSlice reproduces tfjs cpu when shrinking an axis of a strided slice', (t) => {
  // tfjs cpu indexes such slices with fewer coordinates than x has (its result is not x[1, ::2]); we match it.
  const x = randomTensor(seededRng(t), [4, 5, 3]);
  assertParity(t, (a) => tf.stridedSlice(a!, [1, 0], [2, 5], [1, 2], 0, 0, 0, 0, 1), [x], exact);
  assertParity(t, (a) => tf.stridedSlice(a!, [0, 2, 0], [4, 3, 3], [2, 1, 1], 0, 0, 0, 0, 2), [x], exact);
});

test('Reverse matches cpu for random axes of rank 0-6 (negative and repeated axes included)', (t) => {
  const rng = seededRng(t);
  for (let rank = 0; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const shape = shapeOf(rng, rank);
      const axes = rank === 0 ? [] : Array.from({length: rng.int(0, rank + 1)}, () => rng.int(-rank, rank - 1));
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      assertParity(t, run('Reverse', {dims: axes}), [x], exact, `[${shape}] axes [${axes}]`);
    }
  }
});

test('Tile and broadcastTo match cpu for random reps of rank 0-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 0; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const shape = shapeOf(rng, rank);
      const reps = shape.map(() => rng.pick([0, 1, 1, 2, 3]));
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      assertParity(t, (a) => tf.tile(a!, reps), [x], exact, `[${shape}] reps [${reps}]`);
      const target = shape.map((d, i) => (d === 1 ? reps[i]! + 1 : d));
      assertParity(t, (a) => tf.broadcastTo(a!, [2, ...target]), [x], exact, `[${shape}] to [2,${target}]`);
    }
  }
});

test('PadV2 matches cpu for random paddings and constants of rank 1-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const dtype = dtypes[trial % 3]!;
      const shape = shapeOf(rng, rank);
      const paddings = shape.map(() => [rng.int(0, 3), rng.int(0, 2)] as [number, number]);
      // Fractional, negative and out-of-range constants are converted as tfjs's typed arrays convert them.
      const value = rng.pick([0, 1, -2.75, 3.5, 300, NaN]);
      const x = randomTensor(rng, shape, dtype);
      assertParity(t, (a) => tf.pad(a!, paddings, value), [x], exact,
                   `${dtype}[${shape}] paddings ${JSON.stringify(paddings)} value ${value}`);
    }
  }
});

test('MirrorPad matches cpu in reflect and symmetric modes of rank 1-6', (t) => {
  const rng = seededRng(t);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const mode = trial % 2 ? 'reflect' : 'symmetric';
      const shape = shapeOf(rng, rank, false);
      const limit = (d: number) => (mode === 'reflect' ? d - 1 : d);
      const paddings = shape.map((d) => [rng.int(0, limit(d)), rng.int(0, limit(d))] as [number, number]);
      const x = randomTensor(rng, shape, dtypes[trial % 3]!);
      assertParity(t, (a) => tf.mirrorPad(a!, paddings, mode), [x], exact,
                   `[${shape}] ${mode} ${JSON.stringify(paddings)}`);
    }
  }
});

test('tensors of rank 13 (over the native copy limit) run on the cpu kernels and match', (t) => {
  const rng = seededRng(t);
  const shape = Array.from({length: 13}, (_, i) => (i % 3 === 0 ? 2 : 1 + (i % 2)));
  const x = randomTensor(rng, shape);
  const perm = shuffled(rng, 13);
  assertParity(t, (a) => tf.transpose(a!, perm), [x], exact);
  assertParity(t, (a) => tf.slice(a!, shape.map(() => 0), shape.map((d) => Math.max(1, d - 1))), [x], exact);
  assertParity(t, (a) => tf.reverse(a!, [0, 3, 12]), [x], exact);
  assertParity(t, (a) => tf.pad(a!, shape.map((_, i) => [i % 2, 0] as [number, number])), [x], exact);
});

test('copies keep NaN, infinities and negative zero bit for bit', (t) => {
  const x: HostTensor = {shape: [2, 3], dtype: 'float32', values: new Float32Array([NaN, -0, Infinity, -Infinity, 1, -0])};
  assertParity(t, (a) => tf.transpose(a!), [x], exact);
  assertParity(t, (a) => tf.reverse(a!, 1), [x], exact);
  assertParity(t, (a) => tf.pad(a!, [[1, 1], [0, 2]], -0), [x], exact);
  const [got] = runOn(backendUnderTest, (a) => tf.transpose(a!), [x]);
  t.true(Object.is(got!.values[2], -0) && Object.is(got!.values[5], -0), 'negative zeros survive');
});

test('no-op layouts alias their input instead of copying', (t) => {
  const rng = seededRng(t);
  const x = randomTensor(rng, [3, 1, 4]);
  const cases: Array<[string, (a: tf.Tensor) => tf.Tensor]> = [
    ['identity transpose', (a) => tf.transpose(a, [0, 1, 2])],
    ['transpose moving only a unit axis', (a) => tf.transpose(a, [1, 0, 2])],
    ['whole slice', (a) => tf.slice(a, [0, 0, 0], [-1, -1, -1])],
    ['tile by ones', (a) => tf.tile(a, [1, 1, 1])],
    ['zero padding', (a) => tf.pad(a, [[0, 0], [0, 0], [0, 0]])],
    ['reverse of a unit axis', (a) => tf.reverse(a, 1)],
    ['strided slice of everything', (a) => tf.stridedSlice(a, [0, 0, 0], [3, 1, 4])],
  ];
  tf.tidy(() => {
    const input = tf.tensor(x.values, x.shape, x.dtype);
    for (const [name, fn] of cases) {
      const y = fn(input);
      t.is(y.dataId, input.dataId, name);
      t.deepEqual(Array.from(y.dataSync()), Array.from(x.values), name);
    }
  });
});
