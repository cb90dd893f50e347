// Bad arguments to FusedAttention / FusedAttentionGrad, through the native entries directly and through the kernels:
// every one must throw an Error naming the op and what was wrong, never crash the process. The kernels must also run
// natively (there is no cpu fallback for fused kernels).
import '../testing/setup.js';

import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import type {NativeAddon, NativeHandle} from '../addon/index.js';
import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';
import {assertRanNatively, backendUnderTest} from '../testing/parity.js';

type Call = (addon: NativeAddon, h: Record<string, NativeHandle>) => void;

test('attention entries reject bad arguments with an Error naming the op', (t) => {
  const addon = nativeAddon();
  const bufs = new NativeBuffers(backendUnderTest === 'cuda' ? 1 : 0);
  const S = [1, 2, 3, 4];  // [B, H, N, d]: 24 elements
  const L = [1, 2, 3];     // lse: 6 elements
  const h = {
    q: bufs.alloc('float32', 24), k: bufs.alloc('float32', 24), v: bufs.alloc('float32', 24),
    o: bufs.alloc('float32', 24), y: bufs.alloc('float32', 24), l: bufs.alloc('float32', 6),
    p: bufs.alloc('float32', 18), dq: bufs.alloc('float32', 24), dk: bufs.alloc('float32', 24),
    dv: bufs.alloc('float32', 24), i24: bufs.alloc('int32', 24), i6: bufs.alloc('int32', 6),
    b24: bufs.alloc('bool', 24), f18: bufs.alloc('float32', 18), f12: bufs.alloc('float32', 12), freed: bufs.freed('float32', 24),
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const any = (v: unknown): any => v;  // lets a test pass values the typed mirror forbids
  type Overrides = Record<string, unknown>;
  // The argument `key` from the overrides when given (null included), else the well-formed default.
  const arg = (o: Overrides, key: string, fallback: unknown) => (key in o ? o[key] : fallback);
  const fwd = (a: NativeAddon, o: Overrides = {}) => any(a.FusedAttention)(
      arg(o, 'q', h.q), arg(o, 'qS', S), arg(o, 'k', h.k), arg(o, 'kS', S), arg(o, 'v', h.v), arg(o, 'vS', S),
      arg(o, 'scale', 0.5), arg(o, 'o', h.o), arg(o, 'oS', S), arg(o, 'l', h.l), arg(o, 'lS', L), arg(o, 'p', null),
      arg(o, 'pS', null));
  const bwd = (a: NativeAddon, o: Overrides = {}) => any(a.FusedAttentionGrad)(
      arg(o, 'q', h.q), S, arg(o, 'k', h.k), arg(o, 'kS', S), h.v, S, arg(o, 'o', h.o), S, arg(o, 'l', h.l),
      arg(o, 'lS', L), arg(o, 'y', h.y), arg(o, 'yS', S), arg(o, 'scale', 0.5), arg(o, 'dq', h.dq), S,
      arg(o, 'dk', h.dk), arg(o, 'dkS', S), arg(o, 'dv', h.dv), S);

  const bad: Array<[string, RegExp, Call]> = [
    ['FusedAttention with no arguments', /FusedAttention: expected 13 arguments, got 0/, (a) => any(a.FusedAttention)()],
    ['FusedAttentionGrad with 18 arguments', /FusedAttentionGrad: expected 19 arguments, got 18/,
     (a) => any(a.FusedAttentionGrad)(...new Array(18).fill(0))],
    ['a null q', /FusedAttention: q must be a tensor handle/, (a) => fwd(a, {q: null})],
    ['a number as k', /FusedAttention: k must be a tensor handle/, (a) => fwd(a, {k: 3})],
    ['a freed v', /FusedAttention: v refers to a tensor that was already freed/, (a) => fwd(a, {v: h.freed})],
    ['a freed dy', /FusedAttentionGrad: dy refers to a tensor that was already freed/, (a) => bwd(a, {y: h.freed})],
    ['q shape with the wrong element count', /FusedAttention: q has shape \[1,2,3,5\] \(30 elements\) but its buffer/,
     (a) => fwd(a, {qS: [1, 2, 3, 5]})],
    ['q of rank 3', /FusedAttention: q must have rank 4 \[B, H, N, d\], got float32\[2,3,4\]/,
     (a) => fwd(a, {qS: [2, 3, 4], kS: [2, 3, 4], vS: [2, 3, 4], oS: [2, 3, 4]})],
    ['k of another shape', /FusedAttention: q, k and v must have one shape .*k \[1,2,4,3\]/,
     (a) => fwd(a, {kS: [1, 2, 4, 3]})],
    ['v of fewer keys', /FusedAttention: q, k and v must have one shape/, (a) => fwd(a, {v: h.f12, vS: [1, 2, 3, 2]})],
    ['out of the wrong shape', /FusedAttention: out must have shape \[1,2,3,4\], got float32\[2,1,3,4\]/,
     (a) => fwd(a, {oS: [2, 1, 3, 4]})],
    ['lse of the wrong shape', /FusedAttention: lse must have shape \[1,2,3\], got float32\[6\]/,
     (a) => fwd(a, {lS: [6]})],
    ['probs of the wrong shape', /FusedAttention: probs must have shape \[1,2,3,3\], got float32\[2,3,3\]/,
     (a) => fwd(a, {p: h.p, pS: [2, 3, 3]})],
    ['int32 q', /FusedAttention: q must be float32, got int32\[1,2,3,4\]/, (a) => fwd(a, {q: h.i24})],
    ['bool v', /FusedAttention: v must be float32, got bool\[1,2,3,4\]/, (a) => fwd(a, {v: h.b24})],
    ['int32 lse', /FusedAttentionGrad: lse must be float32, got int32\[1,2,3\]/, (a) => bwd(a, {l: h.i6})],
    ['int32 dk', /FusedAttentionGrad: dk must be float32/, (a) => bwd(a, {dk: h.i24})],
    ['NaN scale', /FusedAttention: scale must be a finite float32, got nan/i, (a) => fwd(a, {scale: NaN})],
    ['infinite scale', /FusedAttentionGrad: scale must be a finite float32/, (a) => bwd(a, {scale: Infinity})],
    ['a scale beyond float32', /FusedAttention: scale must be a finite float32/, (a) => fwd(a, {scale: 1e39})],
    ['a string scale', /FusedAttention: scale must be a number/, (a) => fwd(a, {scale: '0.5'})],
    ['out aliasing q', /FusedAttention: out must not share its buffer with q/, (a) => fwd(a, {o: h.q})],
    ['probs aliasing out', /FusedAttention: out must not share its buffer with probs/,  // N = d = 3: same sizes
     (a) => fwd(a, {q: h.f18, qS: [1, 2, 3, 3], k: h.f18, kS: [1, 2, 3, 3], v: h.f18, vS: [1, 2, 3, 3], o: h.p,
                    oS: [1, 2, 3, 3], p: h.p, pS: [1, 2, 3, 3]})],
    ['dq aliasing dk', /FusedAttentionGrad: dq must not share its buffer with dk/, (a) => bwd(a, {dq: h.dk})],
    ['dv aliasing dy', /FusedAttentionGrad: dv must not share its buffer with dy/, (a) => bwd(a, {dv: h.y})],
    ['grad dy of the wrong shape', /FusedAttentionGrad: dy has shape \[1,2,4,3\] .*|FusedAttentionGrad: dy must have shape/,
     (a) => bwd(a, {yS: [2, 1, 3, 4]})],
    ['grad lse of the wrong shape', /FusedAttentionGrad: lse must have shape \[1,2,3\]/, (a) => bwd(a, {lS: [1, 6]})],
  ];
  try {
    for (const [name, re, call] of bad) {
      const err = t.throws(() => call(addon, h), undefined, name);
      if (err) t.regex(err.message, re, name);
    }
  } finally {
    bufs.releaseAll();
  }
});

test('the kernels throw clear Errors for non-float32 inputs and wrong ranks, and run natively otherwise', (t) => {
  const q = tf.zeros([1, 2, 3, 4]);
  const qi = tf.zeros([1, 2, 3, 4], 'int32');
  const q3 = tf.zeros([2, 3, 4]);
  const lse = tf.zeros([1, 2, 3]);
  try {
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => () =>
        tf.dispose(tf.engine().runKernel(name, inputs, attrs) as tf.Tensor[]);
    const fwdAttrs = {scale: 0.5, returnProbs: false};
    t.throws(run('FusedAttention', {q: qi, k: q, v: q}, fwdAttrs),
             {message: /FusedAttention: q must be float32, got int32\[1,2,3,4\]/});
    t.throws(run('FusedAttention', {q, k: q, v: qi}, fwdAttrs), {message: /FusedAttention: v must be float32/});
    t.throws(run('FusedAttention', {q: q3, k: q3, v: q3}, fwdAttrs),
             {message: /FusedAttention: q must have rank 4 \[B, H, N, d\], got shape \[2,3,4\]/});
    t.throws(run('FusedAttention', {q, k: q3, v: q}, fwdAttrs), {message: /FusedAttention: q, k and v must have one shape/});
    t.throws(run('FusedAttention', {q, k: q, v: q}, {scale: NaN, returnProbs: true}),
             {message: /FusedAttention: scale must be a finite float32/});
    t.throws(run('FusedAttentionGrad', {q, k: q, v: q, out: q, lse: tf.zeros([1, 2, 3], 'int32'), dy: q}, {scale: 1}),
             {message: /FusedAttentionGrad: lse must be float32, got int32/});
    t.throws(run('FusedAttentionGrad', {q, k: q, v: q, out: q, lse: q, dy: q}, {scale: 1}),
             {message: /FusedAttentionGrad: lse must have shape \[1,2,3\]/});
    t.throws(run('FusedAttentionGrad', {q, k: q, v: q, out: q, lse}, {scale: 1}),
             {message: /FusedAttentionGrad: input 'dy' is missing/});
    const before = tf.memory().numTensors;
    assertRanNatively(t, ['FusedAttention', 'FusedAttentionGrad'], () => {
      run('FusedAttention', {q, k: q, v: q}, {scale: 0.5, returnProbs: true})();
      run('FusedAttentionGrad', {q, k: q, v: q, out: q, lse, dy: q}, {scale: 0.5})();
    });
    t.is(tf.memory().numTensors, before, 'nothing leaked');
  } finally {
    tf.dispose([q, qi, q3, lse]);
  }
});
