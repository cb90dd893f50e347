// Shared by the norm family's kernels (LayerNormFused, LinearBiasGelu, L2Normalize, WeightNorm and their gradients):
// input checks and the multi-output call. These kernels have no tfjs cpu counterpart to fall back to, so inputs they
// cannot take are an error naming the kernel, not a fallback.
import type {NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeHandle} from '../addon/index.js';
import type {NativeBackend} from '../backend.js';

/** The named inputs, in order, after checking that each is present and float32. */
export function float32Inputs(kernelName: string, inputs: NamedTensorInfoMap, names: readonly string[]):
    TensorInfo[] {
  return names.map((name) => {
    const t = inputs[name] as TensorInfo | undefined;
    if (t == null) throw new Error(`${kernelName}: missing input '${name}'`);
    if (t.dtype !== 'float32') {
      throw new Error(`${kernelName}: input '${name}' must be float32, got ${t.dtype} [${t.shape}]`);
    }
    return t;
  });
}

/** A finite number >= 0 read from attrs[name] (the native side checks it again). */
export function epsAttr(kernelName: string, attrs: NamedAttrMap | undefined): number {
  const eps = (attrs as {eps?: unknown} | undefined)?.eps;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new Error(`${kernelName}: attribute eps must be a finite number >= 0, got ${String(eps)}`);
  }
  return eps;
}

/** Allocates float32 outputs of the given shapes, runs `fill` on their handles, and frees them all if it throws. */
export function computeOutputs(be: NativeBackend, shapes: readonly number[][],
                               fill: (handles: NativeHandle[]) => void): TensorInfo[] {
  const outs: TensorInfo[] = [];
  try {
    for (const shape of shapes) outs.push(be.makeOutput(shape, 'float32'));
    fill(outs.map((o) => be.handle(o)));
    return outs;
  } catch (e) {
    for (const o of outs) be.disposeData(o.dataId, true);
    throw e;
  }
}

/** All dimensions but the last ("rows"); x must have rank >= 1. */
export function leadingShape(kernelName: string, x: TensorInfo, name = 'x'): number[] {
  if (x.shape.length === 0) throw new Error(`${kernelName}: ${name} must have rank >= 1, got a scalar`);
  return x.shape.slice(0, -1);
}
