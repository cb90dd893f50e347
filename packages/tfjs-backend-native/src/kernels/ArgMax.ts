// ArgMax: int32 index of the first max along one axis (tfjs cpu: NaNs after the first element never win).
import {ArgMax, type ArgMaxAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes} from './reduce_utils.js';

export const argMaxConfig: KernelSpec = {
  kernelName: ArgMax,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {axis} = attrs as unknown as ArgMaxAttrs;
    const axes = util.parseAxisParam(axis, x.shape);
    // The op passes one axis; anything else takes tfjs cpu's own path.
    if (axes.length !== 1 || !numericDtypes.includes(x.dtype)) return b.runOnCpu(ArgMax, inputs, attrs);
    const shape = x.shape.filter((_, d) => d !== axes[0]);
    const out = b.makeOutput(shape, 'int32');
    return b.compute(out, (o) => b.addon.ArgMax(b.handle(x), x.shape, axes[0]!, o, shape));
  },
};
