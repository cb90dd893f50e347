// StridedSlice: tfjs's slice_util.sliceInfo resolves the masks, then the same three cases as the tfjs cpu kernel: an
// alias when nothing is cut, a plain Slice when the cut is contiguous in dimension 0 or has unit strides, and otherwise
// the element walk of tfjs's stridedSliceImpl, reduced to an affine map (offset + sum_k i_k * stride_k) that one native
// strided copy runs. That walk indexes the input through TensorBuffer.get with one coordinate per dimension of
// finalShapeSparse, which is not x's rank when axes were shrunk; the affine map reproduces those results too.
import {slice_util, StridedSlice, type StridedSliceAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {MAX_COPY_RANK, sliceNative} from './layout_util.js';

/** The checks of the cpu Reshape kernel, which tfjs's StridedSlice runs on the sliced tensor. */
function assertReshapeable(from: number[], to: number[]): void {
  const size = util.sizeFromShape(from);
  const shape = util.inferFromImplicitShape(to, size);
  const newSize = util.sizeFromShape(shape);
  util.assert(size === newSize, () => `The new shape (${shape}) has ${newSize} elements and the old shape (${from}) ` +
                                      `has ${size} elements. The new shape and old shape must have the same number of ` +
                                      'elements.');
}

export const stridedSliceConfig: KernelSpec = {
  kernelName: StridedSlice,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask} =
        attrs as unknown as StridedSliceAttrs;
    const info = slice_util.sliceInfo(x.shape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask,
                                      shrinkAxisMask);
    const {finalShape, finalShapeSparse} = info;
    if (info.isIdentity) {
      assertReshapeable(x.shape, finalShape);
      return b.alias(x, finalShape);
    }
    if (info.sliceDim0 || info.isSimpleSlice) {
      util.assert(x.shape.length >= 1, () => `Input must have rank at least 1, got: ${x.shape.length}`);
      const size = slice_util.computeOutShape(info.begin, info.end, info.strides);
      const [$begin, $size] = slice_util.parseSliceParams(x, info.begin, size);
      slice_util.assertParamsValid(x, $begin!, $size!);
      assertReshapeable($size!, finalShape);
      const sliced = sliceNative(b, x, $begin!, $size!);
      return {dataId: sliced.dataId, shape: finalShape, dtype: sliced.dtype};
    }
    // tfjs reads x at loc_k = i_k * strides[k] + begin[k] for k < rank(finalShapeSparse), flattened with x's strides
    // except that the last coordinate has weight 1. Walks that leave x (tfjs throws) or have no coordinates at all run
    // on the cpu kernel itself, so they fail or behave exactly as there.
    const r = finalShapeSparse.length;
    const empty = util.sizeFromShape(finalShapeSparse) === 0;
    if (util.sizeFromShape(finalShapeSparse) !== util.sizeFromShape(finalShape)) {
      // With shrink and new axes together tfjs's finalShapeSparse can drop the wrong axis: the cpu kernel then returns
      // a tensor whose value count does not match its shape. Refuse rather than build such a tensor.
      throw new Error(`StridedSlice: for x of shape [${x.shape}] these masks give ` +
                      `${util.sizeFromShape(finalShapeSparse)} values for the result shape [${finalShape}] ` +
                      '(tfjs cpu returns an inconsistent tensor here)');
    }
    if (r === 0 || r > x.shape.length || r > MAX_COPY_RANK) return b.runOnCpu(StridedSlice, inputs, attrs);
    const xStrides = util.computeStrides(x.shape);
    let offset = 0;
    const elementStrides: number[] = [];
    for (let k = 0; k < r; k++) {
      const weight = k < r - 1 ? xStrides[k]! : 1;
      const first = info.begin[k]!, lastLoc = first + (finalShapeSparse[k]! - 1) * info.strides[k]!;
      if (!empty && (Math.min(first, lastLoc) < 0 || Math.max(first, lastLoc) >= x.shape[k]!)) {
        return b.runOnCpu(StridedSlice, inputs, attrs);
      }
      offset += first * weight;
      elementStrides.push(info.strides[k]! * weight);
    }
    const out = b.makeOutput(finalShape, x.dtype);
    if (empty) return out;
    return b.compute(out, (o) => b.addon.StridedSlice(b.handle(x), x.shape, offset, elementStrides, o, finalShapeSparse));
  },
};
