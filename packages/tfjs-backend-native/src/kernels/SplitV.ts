// SplitV (tf.split): all pieces in one native pass; a single piece is an alias.
import {backend_util, SplitV, type SplitVAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {computeMany} from './layout_util.js';

/** Splits x along `axis` into pieces of `sizes`; `outShapes[k]` is the shape piece k is returned with. */
export function splitNative(b: NativeBackend, x: TensorInfo, axis: number, sizes: number[],
                            outShapes: number[][]): TensorInfo[] {
  const pieces = sizes.map((s) => {
    const shape = x.shape.slice();
    shape[axis] = s;
    return shape;
  });
  if (sizes.length === 0) return [];
  if (sizes.length === 1) return [b.alias(x, outShapes[0])];
  return computeMany(b, outShapes, x.dtype,
                     (outs) => b.addon.SplitV(b.handle(x), x.shape, axis, outs.map((o, k) => [o, pieces[k]!])));
}

export const splitVConfig: KernelSpec = {
  kernelName: SplitV,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs['x'] as TensorInfo;
    const {numOrSizeSplits, axis} = attrs as unknown as SplitVAttrs;
    const $axis = util.parseAxisParam(axis, x.shape)[0]!;
    // prepareSplitSize fills in a -1 entry in place: work on a copy so the attrs the tape keeps stay as given.
    const splits = Array.isArray(numOrSizeSplits) ? numOrSizeSplits.slice() : numOrSizeSplits;
    const sizes = backend_util.prepareSplitSize(x, splits, $axis);
    const shapes = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[$axis] = s;
      return shape;
    });
    return splitNative(backend as NativeBackend, x, $axis, sizes, shapes);
  },
};
