// UnsortedSegmentSum (the gradient of Gather): native segment sums. As in tfjs cpu the result is float32 whatever x's
// dtype and ids outside [0, numSegments) are ignored. tfjs cpu expands ids of shape [rows, ...t] to
// [rows, 1, ..., 1, ...t] and masks x element-wise with them, so ids of rank > 1 pair with x's last axes; ids that
// would rather broadcast, and numSegments < 1, run on the cpu kernel.
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
    const k = ids.length, r = x.shape.length;
    const fits = k >= 1 && k <= r && ids[0] === x.shape[0] && ids.every((d, i) => i === 0 || d === x.shape[r - k + i]);
    if (segmentIds.dtype !== 'int32' || !fits || !(Number.isInteger(numSegments) && numSegments >= 1)) {
      return b.runOnCpu(UnsortedSegmentSum, inputs, attrs);
    }
    const outShape = [numSegments, ...x.shape.slice(1)];
    const out = b.makeOutput(outShape, 'float32');
    return b.compute(out, (o) => b.addon.UnsortedSegmentSum(b.handle(x), x.shape, b.handle(segmentIds), ids,
                                                            numSegments, o, outShape));
  },
};
