// Fill: a tensor of `shape` holding `value` (float32, int32 or bool natively; the value is stored as a JS typed
// array of that dtype would store it). String fills run on the tfjs cpu kernel.
import {Fill, type FillAttrs, util} from '@tensorflow/tfjs-core';

import {isNativeDtype, type NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const fillConfig: KernelSpec = {
  kernelName: Fill,
  kernelFunc: ({inputs, backend, attrs}) => {
    const nb = backend as NativeBackend;
    const {shape, value, dtype} = attrs as unknown as FillAttrs;
    const $dtype = dtype || util.inferDtype(value);
    if (!isNativeDtype($dtype)) return nb.runOnCpu(Fill, inputs, attrs);
    const out = nb.makeOutput(shape, $dtype);
    return nb.compute(out, (o) => nb.addon.Fill(o, shape, Number(value)));
  },
};
