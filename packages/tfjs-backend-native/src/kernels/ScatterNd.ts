// ScatterNd: zeros of `shape`, then every update slice added at its index tuple in order (duplicates add up, as in
// tfjs). On 'native' an index tuple outside `shape` throws tfjs's error; on 'cuda' it is dropped. bool updates on 'cuda'
// (byte-wide atomic adds) and rank-0 indices run on the cpu kernel.
import {ScatterNd, type ScatterNdAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const scatterNdConfig: KernelSpec = {
  kernelName: ScatterNd,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {indices, updates} = inputs as {indices: TensorInfo; updates: TensorInfo};
    const {shape} = attrs as unknown as ScatterNdAttrs;
    if (indices.dtype !== 'int32' || indices.shape.length === 0 || shape.length === 0 ||
        (b.device === 'cuda' && updates.dtype === 'bool')) {
      return b.runOnCpu(ScatterNd, inputs, attrs);
    }
    const out = b.makeOutput(shape, updates.dtype);
    return b.compute(out, (o) => b.addon.ScatterNd(b.handle(indices), indices.shape, b.handle(updates), updates.shape,
                                                   o, shape));
  },
};
