// Bad arguments to the reduce family's native entries must throw a JS Error naming the op, never crash the process;
// and the kernels must really run natively (no counted cpu fallback) for the inputs they claim.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import type {NativeAddon, NativeHandle} from '../addon/index.js';
import {nativeAddon} from '../index.js';
import {type BufferDtype, NativeBuffers} from '../testing/native_buffers.js';
import {assertRanNatively, backendUnderTest} from '../testing/parity.js';

type Call = (addon: NativeAddon, h: Record<string, NativeHandle>) => void;

test('reduce entries reject bad arguments with an Error naming the op', (t) => {
  const addon = nativeAddon();
  const device = backendUnderTest === 'cuda' ? 1 : 0;
  const bufs = new NativeBuffers(device);
  const alloc = (dtype: BufferDtype, n: number) => bufs.alloc(dtype, n);
  const h = {
    f6: alloc('float32', 6),     // float32 x, 6 elements
    f6b: alloc('float32', 6),
    f3: alloc('float32', 3),
    f2: alloc('float32', 2),
    f1: alloc('float32', 1),
    i6: alloc('int32', 6),
    i3: alloc('int32', 3),
    i2: alloc('int32', 2),
    b6: alloc('bool', 6),
    b3: alloc('bool', 3),
    freed: bufs.freed('float32', 6),
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const any = (v: unknown): any => v;  // lets a test pass values the typed mirror forbids

  const bad: Array<[string, RegExp, Call]> = [
    // argument count
    ['Sum with no arguments', /Sum: expected 5 arguments, got 0/, (a) => any(a.Sum)()],
    ['Mean with 4 arguments', /Mean: expected 5 arguments/, (a, h) => any(a.Mean)(h.f6, [2, 3], [0], h.f3)],
    ['TopK with 7 arguments', /TopK: expected 8 arguments/, (a, h) => any(a.TopK)(h.f6, [2, 3], 1, true, h.f2, [2, 1], h.i2)],
    ['Cumsum with 5 arguments', /Cumsum: expected 7 arguments/, (a, h) => any(a.Cumsum)(h.f6, [6], 0, h.f6b, [6])],
    // handles
    ['a null handle', /Sum: x must be a tensor handle/, (a, h) => a.Sum(any(null), [2, 3], [0], h.f3, [3])],
    ['a number as handle', /Max: x must be a tensor handle/, (a, h) => a.Max(any(42), [2, 3], [0], h.f3, [3])],
    ['a freed handle', /Sum: x refers to a tensor that was already freed/, (a, h) => a.Sum(h.freed, [6], [0], h.f1, [])],
    // shapes vs element counts
    ['x shape with the wrong element count', /Sum: x has shape \[2,2\] \(4 elements\) but its buffer holds 6/,
     (a, h) => a.Sum(h.f6, [2, 2], [0], h.f2, [2])],
    ['a negative dimension', /Sum: x shape must be an array of non-negative integers/,
     (a, h) => a.Sum(h.f6, [-2, -3], [0], h.f3, [3])],
    ['out with the wrong shape', /Sum: out must have shape \[3\] \(or \[1,3\] with keepDims\)/,
     (a, h) => a.Sum(h.f6, [2, 3], [0], h.f2, [2])],
    ['out with the right size but wrong shape', /Prod: out must have shape \[2\]/,
     (a, h) => a.Prod(h.f6, [2, 3], [1], h.f2, [1, 2])],
    // axes
    ['an axis out of range', /Sum: axis 2 is out of range for x float32\[2,3\]/, (a, h) => a.Sum(h.f6, [2, 3], [2], h.f6b, [2, 3])],
    ['a negative axis out of range', /Min: axis -3 is out of range/, (a, h) => a.Min(h.f6, [2, 3], [-3], h.f2, [2])],
    ['a repeated axis', /Mean: axes name dimension 1 twice/, (a, h) => a.Mean(h.f6, [2, 3], [1, -1], h.f2, [2])],
    ['a fractional axis', /Sum: axes must be an array of integers/, (a, h) => a.Sum(h.f6, [2, 3], [0.5], h.f3, [3])],
    ['axes that are not an array', /Sum: axes must be an array of integers/, (a, h) => a.Sum(h.f6, [2, 3], any(0), h.f3, [3])],
    ['ArgMax on a bad axis', /ArgMax: axis 2 is out of range/, (a, h) => a.ArgMax(h.f6, [2, 3], 2, h.i2, [2])],
    ['ArgMax of a scalar', /ArgMax: x must have rank >= 1/, (a, h) => a.ArgMax(h.f1, [], 0, h.i2, [])],
    ['Cumsum on a bad axis', /Cumsum: axis 1 is out of range/, (a, h) => a.Cumsum(h.f6, [6], 1, false, false, h.f6b, [6])],
    ['Softmax on a non-last dim', /Softmax: dim must be -1 or 1/, (a, h) => a.Softmax(h.f6, [2, 3], 0, h.f6b, [2, 3])],
    // dtypes
    ['Sum out of the wrong dtype', /Sum: out must be float32, got int32\[3\]/, (a, h) => a.Sum(h.f6, [2, 3], [0], h.i3, [3])],
    ['Sum of bool into bool', /Sum: out must be int32, got bool\[3\]/, (a, h) => a.Sum(h.b6, [2, 3], [0], h.b3, [3])],
    ['Mean into int32', /Mean: out must be float32/, (a, h) => a.Mean(h.i6, [2, 3], [0], h.i3, [3])],
    ['Any of float32', /Any: x must be bool, got float32\[2,3\]/, (a, h) => a.Any(h.f6, [2, 3], [0], h.b3, [3])],
    ['All of int32', /All: x must be bool, got int32\[2,3\]/, (a, h) => a.All(h.i6, [2, 3], [0], h.b3, [3])],
    ['ArgMin into float32', /ArgMin: out must be int32/, (a, h) => a.ArgMin(h.f6, [2, 3], 1, h.f2, [2])],
    ['Softmax of int32', /Softmax: logits must be float32, got int32/, (a, h) => a.Softmax(h.i6, [2, 3], -1, h.f6, [2, 3])],
    ['Cumprod of int32 into float32', /Cumprod: out must be int32/, (a, h) => a.Cumprod(h.i6, [6], 0, false, false, h.f6, [6])],
    ['TopK values of the wrong dtype', /TopK: values must be float32/, (a, h) => a.TopK(h.f6, [2, 3], 1, true, h.i2, [2, 1], h.i2, [2, 1])],
    // attributes and aliasing
    ['TopK with k above the row length', /TopK: k must be in \[0, 3\]/, (a, h) => a.TopK(h.f6, [2, 3], 4, true, h.f6b, [2, 3], h.i6, [2, 3])],
    ['TopK with a negative k', /TopK: k must be in \[0, 3\]/, (a, h) => a.TopK(h.f6, [2, 3], -1, true, h.f2, [2, 1], h.i2, [2, 1])],
    ['TopK indices of the wrong shape', /TopK: indices must have shape \[2,1\]/, (a, h) => a.TopK(h.f6, [2, 3], 1, true, h.f2, [2, 1], h.i3, [3])],
    ['TopK sorted not a boolean', /TopK: sorted must be a boolean/, (a, h) => a.TopK(h.f6, [2, 3], 1, any(1), h.f2, [2, 1], h.i2, [2, 1])],
    ['Cumsum exclusive not a boolean', /Cumsum: exclusive must be a boolean/, (a, h) => a.Cumsum(h.f6, [6], 0, any('yes'), false, h.f6b, [6])],
    ['Softmax writing into its input', /Softmax: out must not share the input's buffer/, (a, h) => a.Softmax(h.f6, [2, 3], -1, h.f6, [2, 3])],
    ['Sum writing into its input', /Sum: out must not share the input's buffer/, (a, h) => a.Sum(h.f6, [2, 3], [], h.f6, [2, 3])],
  ];
  try {
    for (const [what, message, call] of bad) {
      const err = t.throws(() => call(addon, h), {instanceOf: Error}, what);
      if (err) t.regex(err.message, message, what);
    }
  } finally {
    bufs.releaseAll();
  }
});

test('the reduce kernels run natively (no cpu fallback) for float32, int32 and bool inputs', (t) => {
  const mine = ['Sum', 'Mean', 'Prod', 'Max', 'Min', 'Any', 'All', 'ArgMax', 'ArgMin', 'Softmax', 'TopK', 'Cumsum',
                'Cumprod'];
  assertRanNatively(t, mine, () => tf.tidy(() => {
    const f = tf.randomUniform([3, 4, 5]);
    const i = tf.cast(tf.mul(f, 10), 'int32');
    const b = tf.greater(f, 0.5);
    for (const x of [f, i]) {
      tf.sum(x, [0, 2], true).dataSync();
      tf.mean(x, 1).dataSync();
      tf.prod(x, -1).dataSync();
      tf.max(x).dataSync();
      tf.min(x, [2, 0]).dataSync();
      tf.argMax(x, 1).dataSync();
      tf.argMin(x, 2).dataSync();
      tf.topk(x, 3).values.dataSync();
      tf.cumsum(x, 1, true, true).dataSync();
      tf.cumprod(x, 2).dataSync();
    }
    tf.any(b, 1).dataSync();
    tf.all(b).dataSync();
    tf.max(b, 0).dataSync();
    tf.engine().runKernel('Sum', {x: b}, {axis: [1], keepDims: false});
    tf.softmax(f).dataSync();
  }));
});
