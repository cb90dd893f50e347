// GatherNd: shapes and checks from tfjs's gather_nd_util.prepareAndValidate, then one native gather of slices; on
// 'native' an index tuple outside params throws tfjs's error, on 'cuda' it reads as 0.
import {backend_util, GatherNd, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const gatherNdConfig: KernelSpec = {
  kernelName: GatherNd,
  kernelFunc: ({inputs, backend}) => {
    const b = backend as NativeBackend;
    const {params, indices} = inputs as {params: TensorInfo; indices: TensorInfo};
    const [resultShape, numSlices] = backend_util.prepareAndValidate(params, indices);
    const out = b.makeOutput(resultShape, params.dtype);
    if (numSlices === 0) return out;
    return b.compute(out, (o) => b.addon.GatherNd(b.handle(params), params.shape, b.handle(indices), indices.shape, o,
                                                  resultShape));
  },
};
