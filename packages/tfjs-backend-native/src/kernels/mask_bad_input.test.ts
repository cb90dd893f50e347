// Bad arguments to the mask family's native entries, called directly on the addon: wrong argument count, dtypes,
// shapes, freed handles, out-of-range attributes. Each must throw a JS Error naming the op; the process must survive.
import '../testing/setup.js';

import test, {type ExecutionContext} from 'ava';

import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';

const addon = nativeAddon();

function call(name: string, ...args: unknown[]): unknown {
  return (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
}

function throwsNamed(t: ExecutionContext, name: string, args: unknown[], message: RegExp) {
  const err = t.throws(() => call(name, ...args), {instanceOf: Error}, `${name}(${args.length} args)`);
  t.regex(err?.message ?? '', new RegExp(`^${name}: `), 'the message names the op');
  t.regex(err?.message ?? '', message);
}

test('BlockMask rejects bad outputs and attributes', (t) => {
  const bufs = new NativeBuffers();
  try {
    const out = bufs.alloc('bool', 2 * 14 * 14), shape = [2, 14, 14];
    const ok = [out, shape, [0.3], [0], 'block', 1, 2];
    t.notThrows(() => call('BlockMask', ...ok), 'the good call works');
    const with_ = (i: number, v: unknown) => ok.map((x, k) => (k === i ? v : x));
    throwsNamed(t, 'BlockMask', ok.slice(0, 6), /expected 7 arguments, got 6/);
    throwsNamed(t, 'BlockMask', with_(0, bufs.alloc('float32', 392)), /out must be bool, got float32/);
    throwsNamed(t, 'BlockMask', with_(1, [392]), /out must have shape \[batch, gridH, gridW\]/);
    throwsNamed(t, 'BlockMask', with_(1, [2, 14, 15]), /out has shape \[2,14,15\] .* buffer holds 392/);
    throwsNamed(t, 'BlockMask', with_(0, bufs.freed('bool', 392)), /out refers to a tensor that was already freed/);
    throwsNamed(t, 'BlockMask', with_(2, 0.3), /ratios must be an array of numbers/);
    throwsNamed(t, 'BlockMask', with_(2, []), /ratios must have 1 to 16 entries, got 0/);
    throwsNamed(t, 'BlockMask', with_(2, new Array(17).fill(0.1)), /ratios must have 1 to 16 entries, got 17/);
    throwsNamed(t, 'BlockMask', with_(2, [NaN]), /ratios must be an array of finite numbers/);
    throwsNamed(t, 'BlockMask', with_(2, ['0.3']), /ratios must be an array of finite numbers/);
    throwsNamed(t, 'BlockMask', with_(3, [0, 0]), /ratioVars must have as many entries as ratios \(1\)/);
    throwsNamed(t, 'BlockMask', with_(3, [-0.1]), /ratios\[0\] ± ratioVars\[0\] must lie in \[0, 1\]/);
    throwsNamed(t, 'BlockMask', with_(3, [0.4]), /must lie in \[0, 1\]/);
    throwsNamed(t, 'BlockMask', with_(2, [1.2]), /must lie in \[0, 1\]/);
    throwsNamed(t, 'BlockMask', with_(2, [-0.2]), /must lie in \[0, 1\]/);
    throwsNamed(t, 'BlockMask', with_(4, 'square'), /shape must be 'block' or 'rand', got 'square'/);
    throwsNamed(t, 'BlockMask', with_(4, 0), /shape must be a string/);
    throwsNamed(t, 'BlockMask', with_(5, -1), /seed must be an unsigned 32-bit integer, got -1/);
    throwsNamed(t, 'BlockMask', with_(5, 2 ** 32), /seed must be an unsigned 32-bit integer/);
    throwsNamed(t, 'BlockMask', with_(5, 1.5), /seed must be an integer/);
    throwsNamed(t, 'BlockMask', with_(6, '3'), /step must be an integer/);
    const empty = bufs.alloc('bool', 0);
    throwsNamed(t, 'BlockMask', [empty, [0, 2 ** 20, 2 ** 20], [0.3], [0], 'block', 1, 2], /too large/);
    throwsNamed(t, 'BlockMask', [empty, [2 ** 32, 0, 5], [0.3], [0], 'block', 1, 2], /too large/);
  } finally {
    bufs.releaseAll();
  }
});

test('MaskApply and MaskApplyGrad reject bad counts, dtypes, shapes and handles', (t) => {
  const bufs = new NativeBuffers();
  try {
    const x = bufs.f32([2, 3, 4]), m = bufs.alloc('bool', 6), k = bufs.f32([4]), out = bufs.f32([2, 3, 4]);
    const dx = bufs.f32([2, 3, 4]), dk = bufs.f32([4]);
    const apply = [x, [2, 3, 4], m, [2, 3], k, [4], out, [2, 3, 4]];
    const grad = [x, [2, 3, 4], m, [2, 3], dx, [2, 3, 4], dk, [4]];
    t.notThrows(() => call('MaskApply', ...apply));
    t.notThrows(() => call('MaskApplyGrad', ...grad));
    const a = (i: number, v: unknown) => apply.map((y, j) => (j === i ? v : y));
    const g = (i: number, v: unknown) => grad.map((y, j) => (j === i ? v : y));
    throwsNamed(t, 'MaskApply', apply.slice(0, 7), /expected 8 arguments, got 7/);
    throwsNamed(t, 'MaskApply', a(0, bufs.alloc('int32', 24)), /tokens must be float32, got int32\[2,3,4\]/);
    throwsNamed(t, 'MaskApply', a(1, [6, 4]), /tokens must have shape \[B, N, D\], got float32\[6,4\]/);
    throwsNamed(t, 'MaskApply', a(2, bufs.f32([2, 3])), /mask must be bool, got float32\[2,3\]/);
    throwsNamed(t, 'MaskApply', a(3, [3, 2]), /mask must have shape \[2,3\], got bool\[3,2\]/);
    throwsNamed(t, 'MaskApply', a(5, [2, 2]), /maskToken must have shape \[4\], got float32\[2,2\]/);
    throwsNamed(t, 'MaskApply', a(5, [5]), /maskToken has shape \[5\] \(5 elements\) but its buffer holds 4/);
    throwsNamed(t, 'MaskApply', a(6, bufs.alloc('bool', 24)), /out must be float32/);
    throwsNamed(t, 'MaskApply', a(7, [4, 3, 2]), /out must have shape \[2,3,4\]/);
    throwsNamed(t, 'MaskApply', a(6, x), /out must be a fresh buffer/);
    throwsNamed(t, 'MaskApply', a(4, bufs.freed()), /maskToken refers to a tensor that was already freed/);
    throwsNamed(t, 'MaskApply', a(0, {}), /tokens must be a tensor handle/);
    throwsNamed(t, 'MaskApplyGrad', grad.slice(0, 6), /expected 8 arguments, got 6/);
    throwsNamed(t, 'MaskApplyGrad', g(0, bufs.alloc('bool', 24)), /dy must be float32/);
    throwsNamed(t, 'MaskApplyGrad', g(3, [2]), /mask has shape \[2\]/);
    throwsNamed(t, 'MaskApplyGrad', g(3, [6]), /mask must have shape \[2,3\], got bool\[6\]/);
    throwsNamed(t, 'MaskApplyGrad', g(5, [2, 12]), /dTokens must have shape \[2,3,4\]/);
    throwsNamed(t, 'MaskApplyGrad', g(6, bufs.alloc('int32', 4)), /dMaskToken must be float32/);
    throwsNamed(t, 'MaskApplyGrad', g(7, [1, 4]), /dMaskToken must have shape \[4\]/);
    throwsNamed(t, 'MaskApplyGrad', g(4, x), /outputs must be fresh buffers/);
    throwsNamed(t, 'MaskApplyGrad', g(6, null), /dMaskToken must be a tensor handle, got null/);
  } finally {
    bufs.releaseAll();
  }
});
