// GatherV2 (tf.gather, with batchDims): shapes from tfjs's collectGatherOpShapeInfo, then one native gather of slices.
// On 'native' an index outside [0, x.shape[axis]) throws tfjs's error; on 'cuda' it reads as 0 (checking would mean
// waiting for the GPU).
import {backend_util, GatherV2, type GatherV2Attrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const gatherV2Config: KernelSpec = {
  kernelName: GatherV2,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {x, indices} = inputs as {x: TensorInfo; indices: TensorInfo};
    const {axis, batchDims} = attrs as unknown as GatherV2Attrs;
    if (indices.dtype !== 'int32') return b.runOnCpu(GatherV2, inputs, attrs);
    const $axis = util.parseAxisParam(axis, x.shape)[0]!;
    let $batchDims = batchDims ?? 0;
    const info = backend_util.segment_util.collectGatherOpShapeInfo(x, indices, $axis, $batchDims);
    if ($batchDims < 0) $batchDims += indices.shape.length;
    // An empty batch makes the cpu kernel divide by zero and fail in a reshape: let it fail there, the same way.
    if (info.batchSize === 0) return b.runOnCpu(GatherV2, inputs, attrs);
    const out = b.makeOutput(info.outputShape, x.dtype);
    return b.compute(out, (o) => b.addon.GatherV2(b.handle(x), x.shape, b.handle(indices), indices.shape, $axis,
                                                  $batchDims, o, info.outputShape));
  },
};
