// Concat: one native pass over [outer, width] rows. Empty inputs are skipped and a single remaining input is an alias,
// as in the tfjs cpu kernel; inputs of different dtypes run on the cpu kernel (tfjs casts them into the first one's).
import {backend_util, Concat, type ConcatAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {ref} from './layout_util.js';

/** Concatenates `inputs`, each seen under `shapes[k]` (Pack passes them with the new axis inserted). */
export function concatNative(b: NativeBackend, inputs: TensorInfo[], shapes: number[][], axis: number): TensorInfo {
  const outShape = backend_util.computeOutShape(shapes, axis);
  const dtype = inputs[0]!.dtype;
  if (util.sizeFromShape(outShape) === 0) return b.makeOutput(outShape, dtype);
  const kept = inputs.map((t, k) => ({t, shape: shapes[k]!})).filter(({shape}) => util.sizeFromShape(shape) > 0);
  if (kept.length === 1) return b.alias(kept[0]!.t, outShape);
  const out = b.makeOutput(outShape, dtype);
  return b.compute(out, (o) => b.addon.Concat(kept.map(({t, shape}) => ref(b, t, shape)), axis, o, outShape));
}

export const concatConfig: KernelSpec = {
  kernelName: Concat,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const xs = inputs as unknown as TensorInfo[];
    const {axis} = attrs as unknown as ConcatAttrs;
    const $axis = util.parseAxisParam(axis, xs[0]!.shape)[0]!;
    const shapes = xs.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, $axis);
    if (xs.some((t) => t.dtype !== xs[0]!.dtype)) return b.runOnCpu(Concat, inputs, attrs);
    return concatNative(b, xs, shapes, $axis);
  },
};
