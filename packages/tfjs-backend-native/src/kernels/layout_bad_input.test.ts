// The layout family's native entries called directly with bad arguments: each call must throw a JS Error naming the op
// (never crash, never touch memory outside a buffer), and nothing may leak.
import '../testing/setup.js';

import test from 'ava';

import type {NativeHandle} from '../addon/index.js';
import {nativeAddon} from '../index.js';
import {backendUnderTest} from '../testing/parity.js';
import {type BufferDtype, NativeBuffers} from '../testing/native_buffers.js';

const addon = nativeAddon();

test('layout entries reject bad arguments with an Error naming the op', (t) => {
  const before = addon.memory();
  const bufs = new NativeBuffers();
  const buf = (n: number, dtype: BufferDtype = 'float32'): NativeHandle => bufs.alloc(dtype, n);
  const x = buf(6), x2 = buf(6), out6 = buf(6), out4 = buf(4), ints = buf(6, 'int32'), bools = buf(6, 'bool');
  const idx = buf(3, 'int32');
  addon.write(idx, new Int32Array([0, 5, 1]));
  const pair = buf(2, 'int32');
  addon.write(pair, new Int32Array([1, 3]));
  const freed = bufs.freed();
  const piece = buf(3);
  const a = addon as unknown as Record<string, (...args: unknown[]) => unknown>;

  const cases: Array<[string, string, unknown[]]> = [
    // Transpose
    ['Transpose', 'wrong argument count', [x, [2, 3], [1, 0], out6]],
    ['Transpose', 'perm repeats an axis', [x, [2, 3], [0, 0], out6, [2, 3]]],
    ['Transpose', 'perm too short', [x, [2, 3], [0], out6, [3, 2]]],
    ['Transpose', 'perm out of range', [x, [2, 3], [1, 2], out6, [3, 2]]],
    ['Transpose', 'out shape not permuted', [x, [2, 3], [1, 0], out6, [2, 3]]],
    ['Transpose', 'out of another dtype', [x, [2, 3], [1, 0], ints, [3, 2]]],
    ['Transpose', 'freed input', [freed, [2, 3], [1, 0], out6, [3, 2]]],
    ['Transpose', 'out aliasing x', [x, [2, 3], [1, 0], x, [3, 2]]],
    ['Transpose', 'not a handle', [{}, [2, 3], [1, 0], out6, [3, 2]]],
    ['Transpose', 'shape disagrees with the buffer', [x, [2, 4], [1, 0], out6, [4, 2]]],
    // Slice and StridedSlice
    ['Slice', 'begin past the end', [x, [2, 3], [0, 2], out4, [2, 2]]],
    ['Slice', 'negative begin', [x, [2, 3], [-1, 0], out4, [2, 2]]],
    ['Slice', 'begin of another rank', [x, [2, 3], [0], out4, [2, 2]]],
    ['StridedSlice', 'reads past the end', [x, [6], 2, [2], out4, [4]]],
    ['StridedSlice', 'reads before the start', [x, [6], 1, [-1], out4, [4]]],
    ['StridedSlice', 'huge strides', [x, [6], 0, [2 ** 52], out4, [4]]],
    ['StridedSlice', 'strides of another rank', [x, [6], 0, [1, 1], out4, [4]]],
    // Reverse, Tile, pads
    ['Reverse', 'axis out of range', [x, [2, 3], [2], out6, [2, 3]]],
    ['Reverse', 'axis listed twice', [x, [2, 3], [1, 1], out6, [2, 3]]],
    ['Tile', 'negative reps', [x, [6], [-1], out6, [6]]],
    ['Tile', 'out shape not tiled', [x, [2, 3], [1, 2], out6, [2, 3]]],
    ['PadV2', 'negative padding', [x, [6], [-1, 0], 0, out4, [4]]],
    ['PadV2', 'fractional value for int32', [ints, [6], [0, 0], 0.5, buf(6, 'int32'), [6]]],
    ['PadV2', 'value out of range for bool', [bools, [6], [0, 0], 256, buf(6, 'bool'), [6]]],
    ['PadV2', 'paddings of another rank', [x, [6], [0], 0, out6, [6]]],
    ['MirrorPad', 'reflect padding as large as the axis', [x, [6], [6, 0], 'reflect', buf(12), [12]]],
    ['MirrorPad', 'unknown mode', [x, [6], [1, 0], 'wrap', buf(7), [7]]],
    // Concat and SplitV
    ['Concat', 'no inputs', [[], 0, out6, [6]]],
    ['Concat', 'inputs not a list', [x, 0, out6, [6]]],
    ['Concat', 'shapes disagree outside the axis', [[[x, [2, 3]], [x2, [3, 2]]], 0, buf(12), [4, 3]]],
    ['Concat', 'extents do not add up', [[[x, [2, 3]], [x2, [2, 3]]], 0, buf(12), [2, 6]]],
    ['Concat', 'mixed dtypes', [[[x, [6]], [ints, [6]]], 0, buf(12), [12]]],
    ['Concat', 'axis out of range', [[[x, [6]], [x2, [6]]], 1, buf(12), [12]]],
    ['SplitV', 'pieces do not cover x', [x, [6], 0, [[out4, [4]], [buf(1), [1]]]]],
    ['SplitV', 'one buffer for two pieces', [x, [6], 0, [[piece, [3]], [piece, [3]]]]],
    ['SplitV', 'freed output', [x, [6], 0, [[freed, [6]]]]],
    // Gathers and scatters
    ['GatherV2', 'index out of range', [x, [2, 3], idx, [3], 0, 0, buf(9), [3, 3]]],
    ['GatherV2', 'float indices', [x, [6], x2, [6], 0, 0, out6, [6]]],
    ['GatherV2', 'batchDims past the axis', [x, [2, 3], idx, [3], 0, 1, buf(3), [3]]],
    ['GatherV2', 'out of the wrong shape', [x, [6], idx, [3], 0, 0, out4, [4]]],
    ['GatherV2', 'out aliasing the indices', [ints, [6], idx, [3], 0, 0, idx, [3]]],
    ['GatherNd', 'index tuple outside params', [x, [2, 3], pair, [1, 2], buf(1), [1]]],
    ['GatherNd', 'tuples longer than params rank', [x, [6], idx, [1, 3], buf(1), [1]]],
    ['ScatterNd', 'index outside the shape', [idx, [3, 1], x2, [3, 2], out6, [3, 2]]],
    ['ScatterNd', 'updates of the wrong size', [idx, [3, 1], out4, [4], out6, [6]]],
    ['UnsortedSegmentSum', 'ids do not match x', [x, [6], idx, [3], 2, buf(2), [2]]],
    ['UnsortedSegmentSum', 'int32 out', [x, [3, 2], idx, [3], 2, buf(4, 'int32'), [2, 2]]],
    ['UnsortedSegmentSum', 'negative numSegments', [x, [3, 2], idx, [3], -1, buf(0), [0, 2]]],
    ['OneHot', 'float indices', [x, [6], 2, 1, 0, buf(12), [6, 2]]],
    ['OneHot', 'negative depth', [idx, [3], -2, 1, 0, buf(0), [3, 0]]],
    ['OneHot', 'on value not a bool', [idx, [3], 2, 2.5, 0, buf(6, 'bool'), [3, 2]]],
  ];
  for (const [op, why, args] of cases) {
    const error = t.throws(() => a[op]!(...args), undefined, `${op}: ${why} did not throw`);
    t.true(error instanceof Error && error.message.includes(op), `${op}: ${why}: ${error?.message}`);
  }
  bufs.releaseAll();
  t.deepEqual(addon.memory(), before, 'every buffer is released');
});

test('a kernel whose native call throws frees its output (no leak through tfjs)', async (t) => {
  const tf = await import('@tensorflow/tfjs-core');
  const buffers = () => addon.memory().hostBuffers + addon.memory().deviceBuffers;
  const before = buffers();
  if (backendUnderTest === 'cuda') {
    // CUDA gathers do not validate index values (that would wait for the GPU: out of range reads 0), but its GatherNd
    // rejects index tuples of more than 12 coordinates once the output exists.
    const params = tf.zeros(new Array<number>(13).fill(1));
    const indices = tf.zeros([1, 13], 'int32');
    t.throws(() => tf.gatherND(params, indices), {message: /GatherNd.*at most 12/});
    params.dispose();
    indices.dispose();
  } else {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const bad = tf.tensor1d([0, 2], 'int32');
    t.throws(() => tf.gather(x, bad), {message: /GatherV2: the index value 2 is not in \[0, 1\]/});
    x.dispose();
    bad.dispose();
  }
  t.is(buffers(), before);
});
