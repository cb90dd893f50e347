// Bad arguments to the distill family's native entries (IbotDistill, IbotDistillGrad) must throw a JS Error naming the
// op and what was wrong, never crash the process.
import '../testing/setup.js';

import test from 'ava';

import type {NativeAddon, NativeHandle} from '../addon/index.js';
import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';
import {backendUnderTest} from '../testing/parity.js';

type Call = (addon: NativeAddon, h: Record<string, NativeHandle>) => void;

test('distill entries reject bad arguments with an Error naming the op', (t) => {
  const addon = nativeAddon();
  const bufs = new NativeBuffers(backendUnderTest === 'cuda' ? 1 : 0);
  const h = {
    s: bufs.alloc('float32', 12),    // student [3, 4]
    tt: bufs.alloc('float32', 12),   // teacher [3, 4]
    c: bufs.alloc('float32', 4),     // center [4]
    m: bufs.alloc('bool', 3),        // rowMask [3]
    loss: bufs.alloc('float32', 3),
    col: bufs.alloc('float32', 4),
    dl: bufs.alloc('float32', 3),
    ds: bufs.alloc('float32', 12),
    i12: bufs.alloc('int32', 12),
    f3: bufs.alloc('float32', 3),
    f5: bufs.alloc('float32', 5),
    f1: bufs.alloc('float32', 1),
    f1b: bufs.alloc('float32', 1),
    f3b: bufs.alloc('float32', 3),
    freed: bufs.freed('float32', 12),
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const any = (v: unknown): any => v;  // lets a test pass values the typed mirror forbids
  // An argument from the overrides `o` (null and undefined included) or the good default.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const get = (o: Partial<Record<string, unknown>>, key: string, good: unknown): any => (key in o ? o[key] : good);
  const S = [3, 4], K = [4], R = [3];
  const fwd = (a: NativeAddon, o: Partial<Record<string, unknown>>) => a.IbotDistill(
      get(o, 's', h.s), get(o, 'sShape', S), get(o, 't', h.tt), get(o, 'tShape', S), get(o, 'c', h.c),
      get(o, 'cShape', K), get(o, 'm', h.m), get(o, 'mShape', R), get(o, 'ts', 0.1),
      get(o, 'tt', 0.04), get(o, 'loss', h.loss), get(o, 'lossShape', R), get(o, 'col', h.col),
      get(o, 'colShape', K));
  const bwd = (a: NativeAddon, o: Partial<Record<string, unknown>>) => a.IbotDistillGrad(
      get(o, 's', h.s), S, h.tt, S, h.c, K, get(o, 'dl', h.dl), get(o, 'dlShape', R), get(o, 'm', h.m),
      get(o, 'mShape', R), get(o, 'ts', 0.1), 0.04, get(o, 'ds', h.ds), get(o, 'dsShape', S));

  const bad: Array<[string, RegExp, Call]> = [
    ['IbotDistill with no arguments', /IbotDistill: expected 14 arguments, got 0/, (a) => any(a.IbotDistill)()],
    ['IbotDistillGrad with 13 arguments', /IbotDistillGrad: expected 14 arguments, got 13/,
     (a) => any(a.IbotDistillGrad)(h.s, S, h.tt, S, h.c, K, h.dl, R, null, null, 0.1, 0.04, h.ds)],
    ['a null student', /IbotDistill: student must be a tensor handle/, (a) => fwd(a, {s: null})],
    ['a number as teacher', /IbotDistill: teacher must be a tensor handle/, (a) => fwd(a, {t: 7})],
    ['a freed student', /IbotDistill: student refers to a tensor that was already freed/, (a) => fwd(a, {s: h.freed})],
    ['a shape with the wrong count', /IbotDistill: student has shape \[2,4\] \(8 elements\) but its buffer holds 12/,
     (a) => fwd(a, {sShape: [2, 4]})],
    ['int32 student', /IbotDistill: student must be float32, got int32\[3,4\]/, (a) => fwd(a, {s: h.i12})],
    ['a scalar student', /IbotDistill: student must have rank >= 1/, (a) => fwd(a, {s: h.f1, sShape: []})],
    ['teacher of another shape', /IbotDistill: teacher must have the student's shape \[3,4\], got float32\[4,3\]/,
     (a) => fwd(a, {tShape: [4, 3]})],
    ['center of the wrong size', /IbotDistill: center must have 4 elements/, (a) => fwd(a, {c: h.f5, cShape: [5]})],
    ['center [4, 1]', /IbotDistill: center must have 4 elements/, (a) => fwd(a, {cShape: [4, 1]})],
    ['rowMask of float32', /IbotDistill: rowMask must be bool, got float32\[3\]/, (a) => fwd(a, {m: h.f3})],
    ['rowMask of the wrong shape', /IbotDistill: rowMask must have shape \[3\], got bool\[1,3\]/,
     (a) => fwd(a, {mShape: [1, 3]})],
    ['a zero student temperature', /IbotDistill: studentTemp must be a positive finite number, got 0/,
     (a) => fwd(a, {ts: 0})],
    ['a NaN teacher temperature', /IbotDistill: teacherTemp must be a positive finite number/, (a) => fwd(a, {tt: NaN})],
    ['a temperature that is not a number', /IbotDistill: studentTemp must be a number/, (a) => fwd(a, {ts: '0.1'})],
    ['a temperature that underflows float32', /IbotDistill: studentTemp must be a positive finite number/,
     (a) => fwd(a, {ts: 1e-50})],
    ['loss of the wrong shape', /IbotDistill: loss must have shape \[3\], got float32\[1,3\]/,
     (a) => fwd(a, {lossShape: [1, 3]})],
    ['colSum of the wrong size', /IbotDistill: colSum must have shape \[4\]/, (a) => fwd(a, {col: h.f3, colShape: [3]})],
    ['loss writing into the student', /IbotDistill: loss must not share a buffer with an input/,
     (a) => fwd(a, {s: h.f3, sShape: [3, 1], t: h.f3b, tShape: [3, 1], c: h.f1, cShape: [1], col: h.f1b,
                    colShape: [1], loss: h.f3})],
    ['colSum writing into the center', /IbotDistill: colSum must not share a buffer with an input/,
     (a) => fwd(a, {col: h.c})],
    ['IbotDistillGrad: dLoss of the wrong shape', /IbotDistillGrad: dLoss must have shape \[3\]/,
     (a) => bwd(a, {dl: h.col, dlShape: [4]})],
    ['IbotDistillGrad: int32 dStudent', /IbotDistillGrad: dStudent must be float32/, (a) => bwd(a, {ds: h.i12})],
    ['IbotDistillGrad: dStudent of the wrong shape', /IbotDistillGrad: dStudent must have shape \[3,4\]/,
     (a) => bwd(a, {dsShape: [12]})],
    ['IbotDistillGrad writing into the student', /IbotDistillGrad: dStudent must not share a buffer with an input/,
     (a) => bwd(a, {ds: h.s})],
    ['IbotDistillGrad: a negative temperature', /IbotDistillGrad: studentTemp must be a positive finite number/,
     (a) => bwd(a, {ts: -0.1})],
    ['IbotDistillGrad: a bad rowMask handle', /IbotDistillGrad: rowMask must be a tensor handle/,
     (a) => bwd(a, {m: {}})],
  ];
  try {
    for (const [what, message, call] of bad) {
      const err = t.throws(() => call(addon, h), {instanceOf: Error}, what);
      if (err) t.regex(err.message, message, what);
    }
    // The same calls with good arguments succeed (the harness itself is sound), with and without a mask.
    t.notThrows(() => fwd(addon, {}), 'good IbotDistill call');
    t.notThrows(() => fwd(addon, {m: null, mShape: null}), 'IbotDistill without a mask');
    t.notThrows(() => bwd(addon, {}), 'good IbotDistillGrad call');
  } finally {
    bufs.releaseAll();
  }
});
