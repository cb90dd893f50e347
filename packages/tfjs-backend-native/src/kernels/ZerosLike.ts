// ZerosLike: a tensor of x's shape and dtype filled with 0 (native for float32, int32 and bool).
import {ZerosLike, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const zerosLikeConfig: KernelSpec = {
  kernelName: ZerosLike,
  kernelFunc: ({inputs, backend}) => {
    const nb = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const out = nb.makeOutput(x.shape, x.dtype);
    return nb.compute(out, (o) => nb.addon.ZerosLike(o, x.shape));
  },
};
