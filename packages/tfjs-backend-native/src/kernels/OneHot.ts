// OneHot: native fill of off values with one on value per row. tfjs cpu builds the result in a Float32Array and then
// stores it as `dtype`, so on/off values are rounded to float32 first and then converted like typed-array stores.
import {type OneHotAttrs, OneHot, type TensorInfo} from '@tensorflow/tfjs-core';

import {isNativeDtype, type NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {asElement} from './layout_util.js';

export const oneHotConfig: KernelSpec = {
  kernelName: OneHot,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const indices = inputs['indices'] as TensorInfo;
    const {dtype, depth, onValue, offValue} = attrs as unknown as OneHotAttrs;
    if (indices.dtype !== 'int32' || !isNativeDtype(dtype) || !(Number.isInteger(depth) && depth >= 0)) {
      return b.runOnCpu(OneHot, inputs, attrs);
    }
    const on = asElement(Math.fround(onValue), dtype), off = asElement(Math.fround(offValue), dtype);
    const outShape = [...indices.shape, depth];
    const out = b.makeOutput(outShape, dtype);
    return b.compute(out, (o) => b.addon.OneHot(b.handle(indices), indices.shape, depth, on, off, o, outShape));
  },
};
