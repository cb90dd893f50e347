// Transpose: native strided copy (tiled 2-D transposes inside); a permutation that moves no dimension of size > 1 is
// an alias.
import {type TensorInfo, Transpose, type TransposeAttrs} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {MAX_COPY_RANK, permKeepsLayout} from './layout_util.js';

export function transposeNative(b: NativeBackend, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const outShape = perm.map((p) => x.shape[p]!);
  if (permKeepsLayout(x.shape, perm)) return b.alias(x, outShape);
  if (x.shape.length > MAX_COPY_RANK) return b.runOnCpu(Transpose, {x}, {perm: perm.slice()}) as TensorInfo;
  const out = b.makeOutput(outShape, x.dtype);
  return b.compute(out, (o) => b.addon.Transpose(b.handle(x), x.shape, perm, o, outShape));
}

export const transposeConfig: KernelSpec = {
  kernelName: Transpose,
  kernelFunc: ({inputs, backend, attrs}) =>
      transposeNative(backend as NativeBackend, inputs['x'] as TensorInfo, (attrs as unknown as TransposeAttrs).perm),
};
