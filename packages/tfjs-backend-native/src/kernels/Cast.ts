// Cast: converts between float32, int32 and bool natively (tfjs cpu rules: float -> int32 truncates and wraps like an
// Int32Array, NaN -> 0; -> bool is x != 0, so NaN -> true). A cast to the same dtype aliases the input buffer.
import {Cast, type CastAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import {isNativeDtype, type NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const castConfig: KernelSpec = {
  kernelName: Cast,
  anyDtype: true,
  kernelFunc: ({inputs, backend, attrs}) => {
    const nb = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {dtype} = attrs as unknown as CastAttrs;
    if (x.dtype === dtype) return nb.alias(x);
    if (!isNativeDtype(x.dtype) || !isNativeDtype(dtype)) return nb.runOnCpu(Cast, inputs, attrs);
    const out = nb.makeOutput(x.shape, dtype);
    return nb.compute(out, (o) => nb.addon.Cast(nb.handle(x), x.shape, o, x.shape));
  },
};
