// Bad arguments to the elementwise native entries, called directly on the addon: wrong argument count, wrong dtype,
// mismatched or non-broadcastable shapes, shape/buffer size mismatch, freed or foreign handles, bad attributes. Each
// must throw a JS Error naming the op, and the process must survive.
import '../testing/setup.js';

import test, {type ExecutionContext} from 'ava';

import {DTypeCode, type NativeHandle} from '../addon/index.js';
import {nativeAddon} from '../index.js';
import {NativeBuffers} from '../testing/native_buffers.js';

const addon = nativeAddon();
type Dtype = keyof typeof DTypeCode;

type Make = (dtype: Dtype, n: number) => NativeHandle;

/** Runs body with a tensor factory; everything it made is freed afterwards. */
function withTensors(body: (make: Make) => void) {
  const bufs = new NativeBuffers();
  try {
    body((dtype, n) => bufs.alloc(dtype, n));
  } finally {
    bufs.releaseAll();
  }
}

// Calls the entry with loose arguments (the typed mirror would reject them at compile time).
function call(name: string, ...args: unknown[]): unknown {
  return (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
}

function throwsNamed(t: ExecutionContext, name: string, args: unknown[], message: RegExp) {
  const err = t.throws(() => call(name, ...args), {instanceOf: Error}, `${name}(${args.length} args)`);
  t.regex(err?.message ?? '', new RegExp(`^${name}: `), 'the message names the op');
  t.regex(err?.message ?? '', message);
}

test('binary entries reject bad counts, dtypes, shapes and handles', (t) => {
  withTensors((make) => {
    const f3 = make('float32', 3), f4 = make('float32', 4), f12 = make('float32', 12), i3 = make('int32', 3);
    const b3 = make('bool', 3), out3 = make('float32', 3);
    throwsNamed(t, 'Add', [f3, [3], f3, [3], out3], /expected 6 arguments, got 5/);
    throwsNamed(t, 'Add', [f3, [3], f3, [3], out3, [3], 1], /expected 6 arguments, got 7/);
    throwsNamed(t, 'Add', [b3, [3], b3, [3], make('bool', 3), [3]], /a must be float32 or int32, got bool\[3\]/);
    throwsNamed(t, 'LogicalAnd', [f3, [3], f3, [3], make('bool', 3), [3]], /a must be bool/);
    throwsNamed(t, 'Prelu', [i3, [3], i3, [3], make('int32', 3), [3]], /a must be float32/);
    throwsNamed(t, 'Mod', [f3, [3], i3, [3], out3, [3]], /one dtype/);
    throwsNamed(t, 'Multiply', [f3, [3], f4, [4], out3, [3]], /shapes \[3\] and \[4\] do not broadcast/);
    throwsNamed(t, 'Sub', [f3, [3], f12, [4, 3], out3, [3]], /out must have shape \[4,3\]/);
    throwsNamed(t, 'Less', [f3, [3], f3, [3], out3, [3]], /out must be bool, got float32\[3\]/);
    throwsNamed(t, 'FloorDiv', [f3, [3], f3, [3], out3, [3]], /out must be int32/);
    throwsNamed(t, 'Pow', [f3, [4], f3, [3], out3, [3]], /a has shape \[4\] \(4 elements\) but its buffer holds 3/);
    throwsNamed(t, 'Maximum', [f3, [3], f3, [-3], out3, [3]], /shape must be an array of non-negative integers/);
    throwsNamed(t, 'Atan2', [{}, [3], f3, [3], out3, [3]], /a must be a tensor handle/);
    throwsNamed(t, 'Equal', [null, [3], f3, [3], out3, [3]], /a must be a tensor handle, got null/);
    const freed = new NativeBuffers().freed('float32', 3);
    throwsNamed(t, 'Add', [freed, [3], f3, [3], out3, [3]], /a refers to a tensor that was already freed/);
    throwsNamed(t, 'Add', [f3, [3], f3, [3], freed, [3]], /out refers to a tensor that was already freed/);
  });
});

test('unary entries reject bad counts, dtypes, shapes and attributes', (t) => {
  withTensors((make) => {
    const f6 = make('float32', 6), i6 = make('int32', 6), b6 = make('bool', 6), out6 = make('float32', 6);
    throwsNamed(t, 'Exp', [f6, [6], out6], /expected 4 arguments, got 3/);
    throwsNamed(t, 'Exp', [i6, [6], make('int32', 6), [6]], /x must be float32, got int32\[6\]/);
    throwsNamed(t, 'Neg', [b6, [6], make('bool', 6), [6]], /x must be float32 or int32/);
    throwsNamed(t, 'Sqrt', [f6, [2, 3], out6, [3, 2]], /out must have shape \[2,3\]/);
    throwsNamed(t, 'IsNan', [f6, [6], out6, [6]], /out must be bool/);
    throwsNamed(t, 'LeakyRelu', [f6, [6], out6, [6]], /expected 5 arguments, got 4/);
    throwsNamed(t, 'Step', [f6, [6], out6, [6], 'x'], /alpha must be a number/);
    throwsNamed(t, 'ClipByValue', [f6, [6], out6, [6], 2, 1], /clipValueMin \(2\) must not exceed clipValueMax \(1\)/);
    throwsNamed(t, 'ClipByValue', [f6, [6], out6, [6], 0], /expected 6 arguments/);
    throwsNamed(t, 'Cast', [f6, [6], make('int32', 5), [5]], /out must have shape \[6\]/);
    throwsNamed(t, 'Cast', [f6, [6]], /expected 4 arguments/);
  });
});

test('Select, AddN, Fill, ZerosLike, OnesLike and Range reject bad arguments', (t) => {
  withTensors((make) => {
    const c6 = make('bool', 6), f6 = make('float32', 6), g6 = make('float32', 6), i6 = make('int32', 6);
    const out6 = make('float32', 6);
    throwsNamed(t, 'Select', [f6, [6], f6, [6], g6, [6], out6, [6]], /condition must be bool, got float32\[6\]/);
    throwsNamed(t, 'Select', [c6, [6], f6, [6], i6, [6], out6, [6]], /t and e must have one dtype and shape/);
    throwsNamed(t, 'Select', [make('bool', 3), [3], f6, [2, 3], g6, [2, 3], out6, [2, 3]],
                /condition must have t's shape \[2,3\], or be \[2\]/);
    throwsNamed(t, 'Select', [c6, [6], f6, [6], g6, [6], make('int32', 6), [6]], /out must be float32/);
    throwsNamed(t, 'Select', [c6, [6], f6, [6], g6, [6]], /expected 8 arguments/);
    throwsNamed(t, 'AddN', [[], out6, [6]], /needs at least one input/);
    throwsNamed(t, 'AddN', [f6, out6, [6]], /inputs must be an array of \[handle, shape\] pairs/);
    throwsNamed(t, 'AddN', [[[f6, [6]], [g6, [2, 3]]], out6, [6]], /all inputs must have one dtype and shape/);
    throwsNamed(t, 'AddN', [[[f6, [6]], [i6, [6]]], out6, [6]], /all inputs must have one dtype and shape/);
    throwsNamed(t, 'AddN', [[[c6, [6]]], make('bool', 6), [6]], /inputs\[0\] must be float32 or int32/);
    throwsNamed(t, 'AddN', [[[f6, [6]]], make('float32', 5), [5]], /out must have shape \[6\]/);
    throwsNamed(t, 'AddN', [[[f6]], out6, [6]], /inputs\[0\] must be a \[handle, shape\] pair/);
    throwsNamed(t, 'Fill', [out6, [6]], /expected 3 arguments/);
    throwsNamed(t, 'Fill', [out6, [6], '1'], /value must be a number/);
    throwsNamed(t, 'Fill', [out6, [7], 1], /out has shape \[7\]/);
    throwsNamed(t, 'ZerosLike', [out6, [6], 0], /expected 2 arguments/);
    throwsNamed(t, 'OnesLike', [undefined, [6]], /out must be a tensor handle/);
    throwsNamed(t, 'Range', [out6, [2, 3], 0, 1], /out must have rank 1/);
    throwsNamed(t, 'Range', [c6, [6], 0, 1], /out must be float32 or int32, got bool/);
    throwsNamed(t, 'Range', [out6, [6], 0], /expected 4 arguments/);
    throwsNamed(t, 'Range', [out6, [6], 0, '1'], /step must be a number/);
  });
});

test('the backend still works after the bad calls', (t) => {
  withTensors((make) => {
    const a = make('float32', 2), out = make('float32', 2);
    addon.write(a, new Float32Array([1, -2]));
    addon.Abs(a, [2], out, [2]);
    t.deepEqual(Array.from(addon.readSync(out)), [1, 2]);
  });
});
