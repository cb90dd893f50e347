// Bad arguments to the optim family's native entries (AdamW, Ema, ClipPerParam) must throw a JS Error naming the op
// and what was wrong, never crash the process.
import '../testing/setup.js';

import test from 'ava';

import type {NativeAddon, NativeHandle} from '../addon/index.js';
import type {TensorList} from '../addon/optim.js';
import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';
import {backendUnderTest} from '../testing/parity.js';

type Call = (addon: NativeAddon) => void;

test('optim entries reject bad arguments with an Error naming the op', (t) => {
  const addon = nativeAddon();
  const bufs = new NativeBuffers(backendUnderTest === 'cuda' ? 1 : 0);
  const f = (n: number) => bufs.alloc('float32', n);
  const pair = (h: NativeHandle, shape: number[]) => [h, shape] as const;
  // Two parameters, [2, 3] and [4]: inputs p, g, m, v and outputs p', m', v'.
  const list = () => [pair(f(6), [2, 3]), pair(f(4), [4])];
  const [p, g, m, v, po, mo, vo] = [list(), list(), list(), list(), list(), list(), list()] as TensorList[];
  const int6 = bufs.alloc('int32', 6);
  const freed = bufs.freed('float32', 6);
  const norms2 = f(2);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const any = (x: unknown): any => x;
  // An argument from the overrides `o` (null and undefined included) or the good default.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const get = (o: Partial<Record<string, unknown>>, key: string, good: unknown): any => (key in o ? o[key] : good);
  const adam = (o: Partial<Record<string, unknown>>) => (a: NativeAddon) => a.AdamW(
      get(o, 'p', p), get(o, 'g', g), m, v, get(o, 'po', po), mo, vo, get(o, 'lr', [0.1, 0.1]),
      get(o, 'wd', [0.04, 0]), get(o, 'step', [1, 1]), get(o, 'b1', 0.9), get(o, 'b2', 0.999),
      get(o, 'eps', 1e-8));
  const ema = (o: Partial<Record<string, unknown>>) => (a: NativeAddon) =>
      a.Ema(get(o, 't', p), get(o, 's', g), get(o, 'out', po), get(o, 'm', 0.99));
  const clip = (o: Partial<Record<string, unknown>>) => (a: NativeAddon) =>
      a.ClipPerParam(get(o, 'g', g), get(o, 'out', po), get(o, 'n', norms2), get(o, 'nShape', [2]),
                     get(o, 'max', 3));

  const bad: Array<[string, RegExp, Call]> = [
    ['AdamW with no arguments', /AdamW: expected 13 arguments, got 0/, (a) => any(a.AdamW)()],
    ['Ema with 3 arguments', /Ema: expected 4 arguments, got 3/, (a) => any(a.Ema)(p, g, po)],
    ['ClipPerParam with 6 arguments', /ClipPerParam: expected 5 arguments, got 6/,
     (a) => any(a.ClipPerParam)(g, po, norms2, [2], 3, 1)],
    ['a list that is not an array', /AdamW: params must be an array of \[handle, shape\] pairs/, adam({p: 5})],
    ['an item that is not a pair', /AdamW: grads\[1\] must be a \[handle, shape\] pair/,
     adam({g: [g[0], [g[1]![0]]]})],
    ['a freed handle in a list', /Ema: students\[0\] refers to a tensor that was already freed/,
     ema({s: [pair(freed, [2, 3]), g[1]]})],
    ['a shape with the wrong count', /Ema: teachers\[0\] has shape \[7\] \(7 elements\) but its buffer holds 6/,
     ema({t: [pair(p[0]![0], [7]), p[1]]})],
    ['lists of different lengths', /AdamW: grads must have 2 tensors \(one per parameter\), got 1/,
     adam({g: [g[0]]})],
    ['shapes that differ between lists', /Ema: students\[0\] must have shape \[2,3\], got float32\[3,2\]/,
     ema({s: [pair(g[0]![0], [3, 2]), g[1]]})],
    ['an int32 tensor', /ClipPerParam: grads\[0\] must be float32, got int32\[2,3\]/,
     clip({g: [pair(int6, [2, 3]), g[1]]})],
    ['an output that is an input', /AdamW: outParams\[1\] must be a fresh buffer/, adam({po: [po[0], p[1]]})],
    ['an output listed twice', /Ema: outs\[1\] must be a fresh buffer/,
     ema({t: [p[0], pair(f(6), [2, 3])], s: [g[0], pair(f(6), [2, 3])], out: [po[0], po[0]]})],
    ['norms that are an input', /ClipPerParam: norms must be a fresh buffer/,
     clip({g: [g[0], pair(norms2, [2])], out: [po[0], pair(f(2), [2])]})],
    ['lr of the wrong length', /AdamW: lr must have one entry per parameter \(2\), got 1/, adam({lr: [0.1]})],
    ['lr that is not an array', /AdamW: lr must be an array of 2 numbers/, adam({lr: 0.1})],
    ['a negative lr', /AdamW: lr\[1\] must be a finite number >= 0, got -0.1/, adam({lr: [0.1, -0.1]})],
    ['an infinite weight decay', /AdamW: weightDecay\[0\] must be a finite number >= 0/, adam({wd: [Infinity, 0]})],
    ['a weight decay that is not a number', /AdamW: weightDecay\[1\] must be a number/, adam({wd: [0, '0']})],
    ['step 0', /AdamW: step\[0\] must be an integer >= 1/, adam({step: [0, 1]})],
    ['a fractional step', /AdamW: step\[1\] must be an integer >= 1/, adam({step: [1, 1.5]})],
    ['beta1 = 1', /AdamW: beta1 must be in \[0, 1\)/, adam({b1: 1})],
    ['a NaN beta2', /AdamW: beta2 must be in \[0, 1\)/, adam({b2: NaN})],
    ['a negative eps', /AdamW: eps must be in \[0, /, adam({eps: -1e-8})],
    ['momentum above 1', /Ema: momentum must be in \[0, 1\], got 1.01/, ema({m: 1.01})],
    ['momentum that is not a number', /Ema: momentum must be a number/, ema({m: null})],
    ['a negative maxNorm', /ClipPerParam: maxNorm must be in \[0, /, clip({max: -3})],
    ['an infinite maxNorm', /ClipPerParam: maxNorm must be in \[0, /, clip({max: Infinity})],
    ['norms of the wrong shape', /ClipPerParam: norms must have shape \[2\], got float32\[1,2\]/,
     clip({nShape: [1, 2]})],
    ['int32 norms', /ClipPerParam: norms must be float32/, clip({n: int6, nShape: [6]})],
  ];
  try {
    for (const [what, message, call] of bad) {
      const err = t.throws(() => call(addon), {instanceOf: Error}, what);
      if (err) t.regex(err.message, message, what);
    }
    // The same calls with good arguments succeed (the harness itself is sound).
    t.notThrows(() => adam({})(addon), 'good AdamW call');
    t.notThrows(() => ema({})(addon), 'good Ema call');
    t.notThrows(() => clip({})(addon), 'good ClipPerParam call');
  } finally {
    bufs.releaseAll();
  }
});
