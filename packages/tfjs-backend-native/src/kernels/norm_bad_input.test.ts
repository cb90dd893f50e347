// Bad arguments to the norm family's native entries must throw a JS Error naming the op, never crash the process; the
// backend kernels refuse non-float32 inputs and bad attributes with an Error naming the kernel, and free the outputs
// they had made.
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import type {NativeAddon, NativeHandle} from '../addon/index.js';
import type {NativeBackend} from '../backend.js';
import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';
import {backendUnderTest} from '../testing/parity.js';

type Call = (addon: NativeAddon, h: Record<string, NativeHandle>) => void;

test('norm entries reject bad arguments with an Error naming the op', (t) => {
  const addon = nativeAddon();
  const bufs = new NativeBuffers(backendUnderTest === 'cuda' ? 1 : 0);
  const h = {
    x6: bufs.alloc('float32', 6),   // [2, 3]
    y6: bufs.alloc('float32', 6),
    z6: bufs.alloc('float32', 6),
    d6: bufs.alloc('float32', 6),
    g3: bufs.alloc('float32', 3),
    b3: bufs.alloc('float32', 3),
    o3: bufs.alloc('float32', 3),
    p3: bufs.alloc('float32', 3),
    m2: bufs.alloc('float32', 2),
    r2: bufs.alloc('float32', 2),
    n2: bufs.alloc('float32', 2),
    q2: bufs.alloc('float32', 2),
    s1: bufs.alloc('float32', 1),
    i6: bufs.alloc('int32', 6),
    i2: bufs.alloc('int32', 2),
    freed: bufs.freed('float32', 6),
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const any = (v: unknown): any => v;  // lets a test pass values the typed mirror forbids
  const ln = (a: NativeAddon, over: Partial<Record<string, unknown>> = {}) => {
    const v = {x: h.x6, xs: [2, 3], g: h.g3, gs: [3], b: h.b3, bs: [3], eps: 1e-6, y: h.y6, ys: [2, 3], m: h.m2,
               ms: [2], r: h.r2, rs: [2], ...over};
    a.LayerNormFused(any(v.x), any(v.xs), any(v.g), any(v.gs), any(v.b), any(v.bs), any(v.eps), any(v.y), any(v.ys),
                     any(v.m), any(v.ms), any(v.r), any(v.rs));
  };

  const bad: Array<[string, RegExp, Call]> = [
    // argument count
    ['LayerNormFused with no arguments', /LayerNormFused: expected 13 arguments, got 0/,
     (a) => any(a.LayerNormFused)()],
    ['LayerNormFusedGrad with 15 arguments', /LayerNormFusedGrad: expected 16 arguments/,
     (a, h) => any(a.LayerNormFusedGrad)(h.d6, [2, 3], h.x6, [2, 3], h.g3, [3], h.m2, [2], h.r2, [2], h.y6, [2, 3],
                                         h.o3, [3], h.p3)],
    ['LinearBiasGelu with 9 arguments', /LinearBiasGelu: expected 10 arguments/,
     (a, h) => any(a.LinearBiasGelu)(h.x6, [2, 3], h.g3, [3, 1], h.n2, [1], h.m2, [2, 1], h.r2)],
    ['GeluGrad with 4 arguments', /GeluGrad: expected 6 arguments/, (a, h) => any(a.GeluGrad)(h.d6, [6], h.z6, [6])],
    ['L2Normalize with 6 arguments', /L2Normalize: expected 7 arguments/,
     (a, h) => any(a.L2Normalize)(h.x6, [2, 3], 1e-12, h.y6, [2, 3], h.n2)],
    ['L2NormalizeGrad with 10 arguments', /L2NormalizeGrad: expected 9 arguments/,
     (a, h) => any(a.L2NormalizeGrad)(h.d6, [2, 3], h.y6, [2, 3], h.n2, [2], 1e-12, h.x6, [2, 3], 1)],
    ['WeightNorm with 0 arguments', /WeightNorm: expected 8 arguments/, (a) => any(a.WeightNorm)()],
    ['WeightNormGrad with 11 arguments', /WeightNormGrad: expected 12 arguments/,
     (a, h) => any(a.WeightNormGrad)(h.d6, [2, 3], h.x6, [2, 3], h.m2, [2, 1], h.n2, [2], h.y6, [2, 3], h.r2)],
    // handles
    ['a null handle', /LayerNormFused: x must be a tensor handle/, (a) => ln(a, {x: null})],
    ['a number as handle', /LayerNormFused: gamma must be a tensor handle/, (a) => ln(a, {g: 7})],
    ['a freed handle', /LayerNormFused: x refers to a tensor that was already freed/, (a, h) => ln(a, {x: h.freed})],
    ['a freed output', /GeluGrad: dz refers to a tensor that was already freed/,
     (a, h) => a.GeluGrad(h.d6, [6], h.z6, [6], h.freed, [6])],
    // shapes
    ['x shape with the wrong element count', /LayerNormFused: x has shape \[4\] \(4 elements\) but its buffer holds 6/,
     (a) => ln(a, {xs: [4], ys: [4], ms: [], rs: []})],
    ['a negative dimension', /LayerNormFused: x shape must be an array of non-negative integers/,
     (a) => ln(a, {xs: [-2, -3]})],
    ['a scalar x', /LayerNormFused: x must have rank >= 1/,
     (a, h) => a.LayerNormFused(h.s1, [], h.g3, [3], h.b3, [3], 1e-6, h.o3, [3], h.m2, [2], h.r2, [2])],
    ['gamma of the wrong length', /LayerNormFused: gamma must have shape \[3\], got float32\[2\]/,
     (a, h) => ln(a, {g: h.q2, gs: [2]})],
    ['mean of the wrong shape', /LayerNormFused: mean must have shape \[2\], got float32\[1,2\]/,
     (a) => ln(a, {ms: [1, 2]})],
    ['dy of another shape', /LayerNormFusedGrad: dy must have shape \[2,3\], got float32\[3,2\]/,
     (a, h) => a.LayerNormFusedGrad(h.d6, [3, 2], h.x6, [2, 3], h.g3, [3], h.m2, [2], h.r2, [2], h.y6, [2, 3], h.o3,
                                    [3], h.p3, [3])],
    ['dgamma of the wrong shape', /LayerNormFusedGrad: dgamma must have shape \[3\]/,
     (a, h) => a.LayerNormFusedGrad(h.d6, [2, 3], h.x6, [2, 3], h.g3, [3], h.m2, [2], h.r2, [2], h.y6, [2, 3], h.o3,
                                    [1, 3], h.p3, [3])],
    ['LinearBiasGelu with a rank-3 x', /LinearBiasGelu: x and w must have rank 2/,
     (a, h) => a.LinearBiasGelu(h.x6, [1, 2, 3], h.g3, [3, 1], h.s1, [1], h.m2, [2, 1], h.r2, [2, 1])],
    ['LinearBiasGelu with mismatched inner dimensions', /LinearBiasGelu: inner dimensions of x \[2,3\] and w \[1,3\]/,
     (a, h) => a.LinearBiasGelu(h.x6, [2, 3], h.g3, [1, 3], h.b3, [3], h.y6, [2, 3], h.z6, [2, 3])],
    ['LinearBiasGelu with a bias of the wrong length', /LinearBiasGelu: b must have shape \[1\], got float32\[2\]/,
     (a, h) => a.LinearBiasGelu(h.x6, [2, 3], h.g3, [3, 1], h.n2, [2], h.m2, [2, 1], h.r2, [2, 1])],
    ['LinearBiasGelu z of the wrong shape', /LinearBiasGelu: z must have shape \[2,1\], got float32\[1,2\]/,
     (a, h) => a.LinearBiasGelu(h.x6, [2, 3], h.g3, [3, 1], h.s1, [1], h.m2, [2, 1], h.r2, [1, 2])],
    ['GeluGrad with dy of another shape', /GeluGrad: dy must have shape \[6\], got float32\[2,3\]/,
     (a, h) => a.GeluGrad(h.d6, [2, 3], h.z6, [6], h.y6, [6])],
    ['L2Normalize norm of the wrong shape', /L2Normalize: norm must have shape \[2\]/,
     (a, h) => a.L2Normalize(h.x6, [2, 3], 1e-12, h.y6, [2, 3], h.n2, [1, 2])],
    ['L2NormalizeGrad norm of the wrong shape', /L2NormalizeGrad: norm must have shape \[2\]/,
     (a, h) => a.L2NormalizeGrad(h.d6, [2, 3], h.y6, [2, 3], h.g3, [3], 1e-12, h.x6, [2, 3])],
    ['WeightNorm with a rank-1 v', /WeightNorm: v must have rank 2/,
     (a, h) => a.WeightNorm(h.x6, [6], h.g3, [3, 1], h.y6, [6], h.m2, [2])],
    ['WeightNorm with g of shape [K]', /WeightNorm: g must have shape \[2,1\], got float32\[2\]/,
     (a, h) => a.WeightNorm(h.x6, [2, 3], h.m2, [2], h.y6, [2, 3], h.n2, [2])],
    ['WeightNormGrad dg of shape [K]', /WeightNormGrad: dg must have shape \[2,1\], got float32\[2\]/,
     (a, h) => a.WeightNormGrad(h.d6, [2, 3], h.x6, [2, 3], h.m2, [2, 1], h.n2, [2], h.y6, [2, 3], h.r2, [2])],
    // dtypes
    ['int32 x', /LayerNormFused: x must be float32, got int32\[2,3\]/, (a, h) => ln(a, {x: h.i6})],
    ['int32 mean output', /LayerNormFused: mean must be float32, got int32\[2\]/, (a, h) => ln(a, {m: h.i2})],
    ['int32 z in GeluGrad', /GeluGrad: z must be float32/, (a, h) => a.GeluGrad(h.d6, [6], h.i6, [6], h.y6, [6])],
    ['int32 vNorm', /WeightNormGrad: vNorm must be float32/,
     (a, h) => a.WeightNormGrad(h.d6, [2, 3], h.x6, [2, 3], h.m2, [2, 1], h.i2, [2], h.y6, [2, 3], h.r2, [2, 1])],
    // attributes
    ['a negative eps', /LayerNormFused: eps must be a finite number >= 0, got -1/, (a) => ln(a, {eps: -1})],
    ['a NaN eps', /L2Normalize: eps must be a finite number >= 0/,
     (a, h) => a.L2Normalize(h.x6, [2, 3], NaN, h.y6, [2, 3], h.n2, [2])],
    ['an infinite eps', /L2NormalizeGrad: eps must be a finite number >= 0/,
     (a, h) => a.L2NormalizeGrad(h.d6, [2, 3], h.y6, [2, 3], h.n2, [2], Infinity, h.x6, [2, 3])],
    ['eps as a string', /LayerNormFused: eps must be a number/, (a) => ln(a, {eps: '1e-6'})],
    // aliasing
    ['y writing into x', /LayerNormFused: y must not share x's buffer/, (a, h) => ln(a, {y: h.x6})],
    ['mean and rstd in one buffer', /LayerNormFused: rstd must not share mean's buffer|mean must not share rstd/,
     (a, h) => ln(a, {r: h.m2})],
    ['dz writing into dy', /GeluGrad: dz must not share dy's buffer/,
     (a, h) => a.GeluGrad(h.d6, [6], h.z6, [6], h.d6, [6])],
    ['WeightNorm w writing into v', /WeightNorm: w must not share v's buffer/,
     (a, h) => a.WeightNorm(h.x6, [2, 3], h.m2, [2, 1], h.x6, [2, 3], h.n2, [2])],
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

test('norm kernels refuse non-float32 inputs and bad attributes by name, and leak no outputs', (t) => {
  const be = tf.backend() as unknown as NativeBackend;
  const x = tf.ones([2, 3], 'int32'), g = tf.ones([3]), g2 = tf.ones([2]), b = tf.zeros([3]), xf = tf.ones([2, 3]);
  const w1 = tf.ones([3]);
  const before = be.numDataIds();
  try {
    t.throws(() => tf.engine().runKernel('LayerNormFused', {x, gamma: g, beta: b}, {eps: 1e-6}),
             {message: /LayerNormFused: input 'x' must be float32, got int32/});
    t.throws(() => tf.engine().runKernel('L2Normalize', {x: xf}, {eps: -1}),
             {message: /L2Normalize: attribute eps must be a finite number >= 0/});
    t.throws(() => tf.engine().runKernel('LayerNormFused', {x: xf, gamma: g}, {eps: 1e-6}),
             {message: /LayerNormFused: missing input 'beta'/});
    // Shape errors from the native side, after the kernel made its outputs: they must be freed.
    t.throws(() => tf.engine().runKernel('LayerNormFused', {x: xf, gamma: g2, beta: b}, {eps: 1e-6}),
             {message: /LayerNormFused: gamma must have shape \[3\]/});
    t.throws(() => tf.engine().runKernel('WeightNormGrad', {dw: xf, v: xf, g: g2, vNorm: g}),
             {message: /WeightNormGrad: g must have shape \[2,1\]/});
    t.throws(() => tf.engine().runKernel('LinearBiasGelu', {x: xf, w: w1, b}),
             {message: /LinearBiasGelu: x and w must have rank 2/});
    t.is(be.numDataIds(), before, 'no outputs left behind');
  } finally {
    tf.dispose([x, g, g2, b, xf, w1]);
  }
});
