// Shared by the multi-tensor optimizer kernels (AdamW, Ema, ClipPerParam): their inputs are one flat list of groups
// of n tensors, their outputs fresh float32 tensors shaped like the first group.
import type {NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

import type {TensorList} from '../addon/optim.js';
import type {NativeBackend} from '../backend.js';

/** The flat input list: an array, or a map whose values (tensors or lists of tensors) are in list order. */
export function flatInputs(inputs: NamedTensorInfoMap): TensorInfo[] {
  return Object.values(inputs as Record<string, TensorInfo | TensorInfo[]>).flatMap((v) => Array.isArray(v) ? v : [v]);
}

/** The flat input list cut into `groups` lists of n tensors; throws unless there are exactly groups * n float32s. */
export function splitGroups(kernel: string, inputs: NamedTensorInfoMap, groups: number, n: number): TensorInfo[][] {
  const xs = flatInputs(inputs);
  if (xs.length !== groups * n) {
    throw new Error(`${kernel}: expected ${groups} x ${n} = ${groups * n} input tensors (${n} per attribute entry), ` +
                    `got ${xs.length}`);
  }
  xs.forEach((x, i) => {
    if (x.dtype !== 'float32') throw new Error(`${kernel}: input ${i} must be float32, got ${x.dtype}[${x.shape}]`);
  });
  return Array.from({length: groups}, (_, g) => xs.slice(g * n, (g + 1) * n));
}

export function handles(b: NativeBackend, ts: readonly TensorInfo[]): TensorList {
  return ts.map((t) => [b.handle(t), t.shape] as const);
}

/** Fresh float32 outputs shaped like `like`. */
export function makeOutputs(b: NativeBackend, like: readonly TensorInfo[]): TensorInfo[] {
  return like.map((t) => b.makeOutput(t.shape, 'float32'));
}

/** Runs `fill`; if it throws, every output is freed. */
export function computeAll(b: NativeBackend, outs: TensorInfo[], fill: () => void): TensorInfo[] {
  try {
    fill();
  } catch (e) {
    for (const o of outs) b.disposeData(o.dataId, true);
    throw e;
  }
  return outs;
}

/** A per-parameter attribute as a plain array (the native entry takes arrays, not typed arrays). */
export function attrList(kernel: string, name: string, v: unknown): number[] {
  if (v == null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new Error(`${kernel}: attribute ${name} must be an array of numbers`);
  }
  return Array.from(v as ArrayLike<number>);
}
