// Parity of Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter with the tfjs cpu backend on random geometries
// (kernel 1-5, stride 1-3, dilation 1-2, SAME/VALID/explicit/numeric padding, odd sizes, batch 1-3), the ViT patch
// embedding (kernel = stride, no padding), 1x1 convolutions, empty tensors, the three ISA paths and 1 vs 2 threads.
// Tolerance as in matmul.test.ts: the reduction length is fH*fW*inC (forward, input gradient) or B*outH*outW (filter
// gradient), and the float32 rounding error grows like its square root.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';
import {assertParity, assertRanNatively, backendUnderTest, dotTolerance, runOn} from '../testing/parity.js';
import {Rng, seededRng, unitTensor} from '../testing/random.js';

const CONV_KERNELS = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Geometry {
  batch: number;
  h: number;
  w: number;
  inC: number;
  outC: number;
  fh: number;
  fw: number;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
}

function describe(g: Geometry): string {
  return `x [${g.batch},${g.h},${g.w},${g.inC}] filter [${g.fh},${g.fw},${g.inC},${g.outC}] strides ${g.strides} ` +
         `dilations ${g.dilations} pad ${JSON.stringify(g.pad)}`;
}

function randomGeometry(rng: Rng, dilated: boolean): Geometry {
  const fh = rng.int(1, 5), fw = rng.int(1, 5);
  const dilations: [number, number] = dilated ? [rng.int(1, 2), rng.int(1, 2)] : [1, 1];
  // Inputs at least as large as the dilated filter so VALID has an output.
  const kind = rng.int(0, 3);
  // Numeric padding sizes the output width from the filter height (a tfjs quirk the native kernel follows), so the
  // width must fit the dilated filter height too, or tfjs cpu itself fails on a negative size.
  const minW = Math.max((fw - 1) * dilations[1] + 1, kind === 2 ? (fh - 1) * dilations[0] + 1 : 1);
  const h = rng.int((fh - 1) * dilations[0] + 1, 13), w = rng.int(minW, 13);
  const pad: Pad = kind === 0 ? 'same' : kind === 1 ? 'valid' : kind === 2 ? rng.int(0, 2) :
      [[0, 0], [rng.int(0, 3), rng.int(0, 3)], [rng.int(0, 3), rng.int(0, 3)], [0, 0]];
  // tfjs only accepts dilations > 1 with stride 1.
  const strides: [number, number] = dilated && (dilations[0] > 1 || dilations[1] > 1) ? [1, 1] :
      [rng.int(1, 3), rng.int(1, 3)];
  return {batch: rng.int(1, 3), h, w, inC: rng.int(1, 5), outC: rng.int(1, 6), fh, fw, strides, dilations, pad};
}

function forward(g: Geometry) {
  return (x: tf.Tensor, f: tf.Tensor) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations);
}

/** Gradients of sum(conv2d(x, f) * w) with respect to x and f: Conv2DBackpropInput and Conv2DBackpropFilter. */
function gradients(g: Geometry) {
  return (x: tf.Tensor, f: tf.Tensor, w: tf.Tensor) => tf.grads((p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, g.strides, g.pad, 'NHWC', g.dilations), w)))([x, f]);
}

function outShape(g: Geometry, rng: Rng): number[] {
  // The cpu backend tells us the output shape of this geometry.
  const x = unitTensor(rng, [g.batch, g.h, g.w, g.inC]), f = unitTensor(rng, [g.fh, g.fw, g.inC, g.outC]);
  const probe = runOn('cpu', forward(g), [x, f]);
  return probe[0]!.shape;
}

function checkGeometry(t: ExecutionContext, rng: Rng, g: Geometry, withGrads: boolean): void {
  const x = unitTensor(rng, [g.batch, g.h, g.w, g.inC]), f = unitTensor(rng, [g.fh, g.fw, g.inC, g.outC]);
  assertParity(t, forward(g), [x, f], dotTolerance(g.fh * g.fw * g.inC), `forward ${describe(g)}`);
  if (!withGrads) return;
  const ys = outShape(g, rng);
  const w = unitTensor(rng, ys);
  assertParity(t, gradients(g), [x, f, w], dotTolerance(Math.max(g.fh * g.fw * g.outC, ys[0]! * ys[1]! * ys[2]!)),
               `gradients ${describe(g)}`);
}

test('conv2d forward matches cpu on random geometries (kernel 1-5, stride 1-3, dilation 1-2, all paddings)', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, CONV_KERNELS, () => {
    for (let trial = 0; trial < 40; trial++) checkGeometry(t, rng, randomGeometry(rng, trial % 2 === 0), false);
  });
});

test('conv2d gradients (input and filter) match cpu on random geometries', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, CONV_KERNELS, () => {
    for (let trial = 0; trial < 30; trial++) checkGeometry(t, rng, randomGeometry(rng, false), true);
  });
});

test('conv2dTranspose (Conv2DBackpropInput as an op) matches cpu', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, CONV_KERNELS, () => {
    for (let trial = 0; trial < 10; trial++) {
      const g = randomGeometry(rng, false);
      if (typeof g.pad !== 'string') g.pad = rng.next() < 0.5 ? 'same' : 'valid';
      const ys = outShape(g, rng);
      const dy = unitTensor(rng, ys), f = unitTensor(rng, [g.fh, g.fw, g.inC, g.outC]);
      const pad = g.pad as 'same' | 'valid';
      assertParity(t, (a, b) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D,
                                                   [g.batch, g.h, g.w, g.inC], g.strides, pad),
                   [dy, f], dotTolerance(g.fh * g.fw * g.outC), `conv2dTranspose ${describe(g)}`);
    }
  });
});

test('ViT patch embedding (kernel = stride = 4 on 28x28, 16 on 32x32) forward and gradients match cpu', (t) => {
  const rng = seededRng(t);
  const cases: Geometry[] = [
    {batch: 3, h: 28, w: 28, inC: 1, outC: 24, fh: 4, fw: 4, strides: [4, 4], dilations: [1, 1], pad: 'valid'},
    {batch: 2, h: 32, w: 32, inC: 3, outC: 40, fh: 16, fw: 16, strides: [16, 16], dilations: [1, 1], pad: 'valid'},
    // Input not a multiple of the patch: the leftover rows/columns are ignored.
    {batch: 1, h: 30, w: 29, inC: 3, outC: 8, fh: 4, fw: 4, strides: [4, 4], dilations: [1, 1], pad: 'valid'},
  ];
  assertRanNatively(t, CONV_KERNELS, () => {
    for (const g of cases) checkGeometry(t, rng, g, true);
  });
});

test('1x1 convolutions (a plain GEMM on the NHWC data) and strided 1x1 match cpu', (t) => {
  const rng = seededRng(t);
  assertRanNatively(t, CONV_KERNELS, () => {
    for (const strides of [[1, 1], [2, 3]] as Array<[number, number]>) {
      checkGeometry(t, rng, {batch: 2, h: 9, w: 11, inC: 7, outC: 5, fh: 1, fw: 1, strides, dilations: [1, 1],
                             pad: 'valid'}, true);
    }
  });
});

test('numeric padding with dimRoundingMode ceil/round (last window over the edge) matches cpu', (t) => {
  const rng = seededRng(t);
  for (const mode of ['ceil', 'round', 'floor'] as const) {
    const x = unitTensor(rng, [2, 10, 9, 3]), f = unitTensor(rng, [3, 2, 3, 4]);
    assertParity(t, (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [3, 2], 1, 'NHWC', 1, mode), [x, f],
                 dotTolerance(18), mode);
  }
});

test('conv2d on empty tensors: batch 0, no output channels, no input channels', (t) => {
  const rng = seededRng(t);
  const cases: Array<[number[], number[]]> = [
    [[0, 5, 5, 2], [3, 3, 2, 4]],
    [[2, 5, 5, 2], [3, 3, 2, 0]],
    [[2, 5, 5, 0], [3, 3, 0, 4]],
  ];
  for (const [xs, fs] of cases) {
    assertParity(t, (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'),
                 [unitTensor(rng, xs), unitTensor(rng, fs)], {}, `x [${xs}] filter [${fs}]`);
  }
  // Filter gradient with no output pixels is zero; input gradient with no input channels is empty.
  const g: Geometry = {batch: 0, h: 5, w: 5, inC: 2, outC: 3, fh: 3, fw: 3, strides: [1, 1], dilations: [1, 1],
                       pad: 'same'};
  assertParity(t, gradients(g),
               [unitTensor(rng, [0, 5, 5, 2]), unitTensor(rng, [3, 3, 2, 3]), unitTensor(rng, [0, 5, 5, 3])], {},
               'gradients with batch 0');
});

test('a large conv spanning several im2col chunks matches cpu', (t) => {
  // 6 x 64 x 64 output pixels x 3*3*40 = 8.8M floats of im2col: over the 8M-float budget, so the forward pass and
  // the filter gradient take two row chunks and the input gradient two chunks of whole images. Few output channels
  // keep the cpu reference quick.
  const rng = seededRng(t);
  const g: Geometry = {batch: 6, h: 64, w: 64, inC: 40, outC: 2, fh: 3, fw: 3, strides: [1, 1], dilations: [1, 1],
                       pad: 'same'};
  assertRanNatively(t, CONV_KERNELS, () => checkGeometry(t, rng, g, true));
});

test.serial('conv2d on every ISA path matches cpu, and 1 vs 2 threads agree bitwise', (t) => {
  const rng = seededRng(t);
  const addon = nativeAddon();
  const best = addon.info().cpu.bestIsa;
  const threads = addon.info().cpu.threads;
  const isas = (['generic', 'avx2', 'avx512'] as const).filter((i) => addon.setCpuIsa(i));
  try {
    for (const isa of isas) {
      addon.setCpuIsa(isa);
      for (let trial = 0; trial < 3; trial++) checkGeometry(t, rng, randomGeometry(rng, false), true);
    }
    addon.setCpuIsa(best);
    const g = randomGeometry(rng, false);
    const ys = outShape(g, rng);
    const inputs = [unitTensor(rng, [g.batch, g.h, g.w, g.inC]), unitTensor(rng, [g.fh, g.fw, g.inC, g.outC]),
                    unitTensor(rng, ys)];
    const both = (x: tf.Tensor, f: tf.Tensor, w: tf.Tensor) => [forward(g)(x, f), ...gradients(g)(x, f, w)];
    addon.setNumThreads(1);
    const one = runOn(backendUnderTest, both, inputs);
    addon.setNumThreads(2);
    const two = runOn(backendUnderTest, both, inputs);
    one.forEach((o, i) => t.true(Buffer.from(two[i]!.values.buffer).equals(Buffer.from(o.values.buffer)),
                                 `output ${i} of ${describe(g)}`));
  } finally {
    addon.setCpuIsa(best);
    addon.setNumThreads(threads);
  }
});

test('the native conv entries reject bad arguments with an Error', (t) => {
  const addon = nativeAddon();
  const bufs = new NativeBuffers();
  const f32 = (shape: number[]) => bufs.f32(shape);
  try {
    // x [1, 5, 5, 2], filter [3, 3, 2, 4], stride 1, SAME: out [1, 5, 5, 4].
    const x = f32([1, 5, 5, 2]), w = f32([3, 3, 2, 4]), y = f32([1, 5, 5, 4]);
    const xInt = bufs.alloc('int32', 50);
    type Call = (...args: unknown[]) => void;
    const conv = addon.Conv2D.bind(addon) as Call;
    const dInput = addon.Conv2DBackpropInput.bind(addon) as Call;
    const dFilter = addon.Conv2DBackpropFilter.bind(addon) as Call;
    const ok = [[1, 1], [1, 1], [1, 1, 1, 1]];
    t.notThrows(() => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], ...ok, y, [1, 5, 5, 4]));
    t.notThrows(() => dInput(y, [1, 5, 5, 4], w, [3, 3, 2, 4], ...ok, x, [1, 5, 5, 2]));
    t.notThrows(() => dFilter(x, [1, 5, 5, 2], y, [1, 5, 5, 4], ...ok, w, [3, 3, 2, 4]));
    const badCalls: Array<[string, () => void]> = [
      ['too few arguments', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], ...ok, y)],
      ['x rank 3', () => conv(x, [5, 5, 2], w, [3, 3, 2, 4], ...ok, y, [1, 5, 5, 4])],
      ['channel mismatch', () => conv(x, [1, 5, 5, 2], w, [3, 3, 1, 8], ...ok, y, [1, 5, 5, 4])],
      ['stride 0', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [0, 1], [1, 1], [1, 1, 1, 1], y, [1, 5, 5, 4])],
      ['dilation 0', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [1, 1], [1, 0], [1, 1, 1, 1], y, [1, 5, 5, 4])],
      ['three strides', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [1, 1, 1], [1, 1], [1, 1, 1, 1], y,
                                   [1, 5, 5, 4])],
      ['negative top pad', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [1, 1], [1, 1], [-1, 3, 1, 1], y,
                                      [1, 5, 5, 4])],
      ['huge stride', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [2 ** 40, 1], [1, 1], [1, 1, 1, 1], y,
                                 [1, 5, 5, 4])],
      ['output shape disagrees with the geometry', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [2, 2], [1, 1],
                                                             [1, 1, 1, 1], y, [1, 5, 5, 4])],
      ['pads not integers', () => conv(x, [1, 5, 5, 2], w, [3, 3, 2, 4], [1, 1], [1, 1], [1.5, 1, 1, 1], y,
                                       [1, 5, 5, 4])],
      ['dx shape disagrees', () => dInput(y, [1, 5, 5, 4], w, [3, 3, 2, 4], ...ok, f32([1, 6, 5, 2]), [1, 6, 5, 2])],
      ['dfilter shape disagrees', () => dFilter(x, [1, 5, 5, 2], y, [1, 5, 5, 4], ...ok, f32([3, 3, 2, 5]),
                                                [3, 3, 2, 5])],
      ['int32 x', () => conv(xInt, [1, 5, 5, 2], w, [3, 3, 2, 4], ...ok, y, [1, 5, 5, 4])],
    ];
    for (const [what, call] of badCalls) {
      const e = t.throws(call, undefined, what);
      if (e) t.regex(e.message, /Conv2D/, `${what}: the message names the op`);
    }
  } finally {
    bufs.releaseAll();
  }
});
