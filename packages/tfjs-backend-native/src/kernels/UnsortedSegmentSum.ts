// UnsortedSegmentSum (the gradient of Gather): native segment sums. As in tfjs cpu the result is float32 whatever x's
// dtype, ids outside [0, numSegments) are ignored, and segment ids of rank k > 1 (a prefix of x's shape) mask x
// element-wise instead of naming whole slices. Other id shapes, and numSegments < 1, run on the cpu kernel.
import {type TensorInfo, UnsortedSegmentSum, type UnsortedSegmentSumAttrs} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const unsortedSegmentSumConfig: KernelSpec = {
  kernelName: UnsortedSegmentSum,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {x, segmentIds} = inputs as {x: TensorInfo; segmentIds: TensorInfo};
    const {numSegments} = attrs as unknown as UnsortedSegmentSumAttrs;
    const ids = segmentIds.shape;
    const prefix = ids.length >= 1 && ids.length <= x.shape.length && ids.every((d, i) => d === x.shape[i]);
    if (segmentIds.dtype !== 'int32' || !prefix || !(Number.isInteger(numSegments) && numSegments >= 1)) {
      return b.runOnCpu(UnsortedSegmentSum, inputs, attrs);
    }
    const outShape = [numSegments, ...x.shape.slice(1)];
    const out = b.makeOutput(outShape, 'float32');
    return b.compute(out, (o) => b.addon.UnsortedSegmentSum(b.handle(x), x.shape, b.handle(segmentIds), ids,
                                                            numSegments, o, outShape));
  },
};
