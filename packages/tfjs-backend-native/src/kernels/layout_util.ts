// Helpers shared by the layout kernels (Transpose, Slice, Concat, SplitV, ...): value conversion as tfjs's typed arrays
// do it, the aliasing tests, and running a native call that fills several fresh outputs.
import {type DataType, Slice, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeHandle} from '../addon/index.js';
import type {TensorRef} from '../addon/layout.js';
import type {NativeBackend} from '../backend.js';

/**
 * The most dimensions a native strided copy walks (native/src/kernels/layout.h kMaxCopyRank); Tile splits each axis
 * in two. Higher ranks, which tfjs allows but nothing here uses, run on the cpu kernels.
 */
export const MAX_COPY_RANK = 12;

/** `value` as an element of a `dtype` typed array holds it (tfjs cpu fills Int32Array/Uint8Array with JS numbers). */
export function asElement(value: number, dtype: 'float32' | 'int32' | 'bool'): number {
  if (dtype === 'float32') return Math.fround(value);
  return dtype === 'int32' ? new Int32Array([value])[0]! : new Uint8Array([value])[0]!;
}

/** True when no dimension of size > 1 changes its relative order, so the transposed buffer is the input's. */
export function permKeepsLayout(shape: readonly number[], perm: readonly number[]): boolean {
  if (shape.some((d) => d === 0)) return true;
  let last = -1;
  for (const p of perm) {
    if (shape[p]! === 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Allocates one output per shape and runs `fill` with their handles; if the native call throws, every output is freed
 * (the several-output version of backend.compute).
 */
export function computeMany(b: NativeBackend, shapes: number[][], dtype: DataType,
                            fill: (outs: NativeHandle[]) => void): TensorInfo[] {
  const outs = shapes.map((s) => b.makeOutput(s, dtype));
  try {
    fill(outs.map((o) => b.handle(o)));
  } catch (e) {
    for (const o of outs) b.disposeData(o.dataId, true);
    throw e;
  }
  return outs;
}

/** A [handle, shape] pair for the native list arguments (Concat inputs, SplitV outputs). */
export function ref(b: NativeBackend, t: TensorInfo, shape: readonly number[] = t.shape): TensorRef {
  return [b.handle(t), shape];
}

/** Copies x[begin : begin + size] (parameters already parsed); the whole tensor is an alias. */
export function sliceNative(b: NativeBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  if (sameShape(size, x.shape)) return b.alias(x);
  if (x.shape.length > MAX_COPY_RANK) return b.runOnCpu(Slice, {x}, {begin, size}) as TensorInfo;
  const out = b.makeOutput(size, x.dtype);
  return b.compute(out, (o) => b.addon.Slice(b.handle(x), x.shape, begin, o, size));
}
