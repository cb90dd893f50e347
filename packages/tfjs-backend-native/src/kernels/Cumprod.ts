// Cumprod: running product along one axis (exclusive, reverse), rounded at every step like tfjs cpu; bool gives int32.
import {Cumprod, type CumprodAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes, upcastToInt} from './reduce_utils.js';

export const cumprodConfig: KernelSpec = {
  kernelName: Cumprod,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {axis, exclusive, reverse} = attrs as unknown as CumprodAttrs;
    const rank = x.shape.length;
    // tfjs cpu gives odd results for rank 0 and negative axes (no normalisation): reproduce them by running it.
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank || !numericDtypes.includes(x.dtype)) {
      return b.runOnCpu(Cumprod, inputs, attrs);
    }
    const out = b.makeOutput(x.shape, upcastToInt(x.dtype));
    return b.compute(out, (o) => b.addon.Cumprod(b.handle(x), x.shape, axis, !!exclusive, !!reverse, o, x.shape));
  },
};
