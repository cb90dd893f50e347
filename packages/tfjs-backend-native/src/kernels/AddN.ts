// AddN: the sum of any number of same-shape tensors in one native pass (float32 and int32), in input order.
import {AddN, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeHandle} from '../addon/index.js';
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const addNConfig: KernelSpec = {
  kernelName: AddN,
  kernelFunc: ({inputs, backend, attrs}) => {
    const nb = backend as NativeBackend;
    const xs = Object.values(inputs) as TensorInfo[];
    const first = xs[0];
    const uniform = first != null && (first.dtype === 'float32' || first.dtype === 'int32') &&
        xs.every((x) => x.dtype === first.dtype && x.shape.length === first.shape.length &&
                        x.shape.every((d, i) => d === first.shape[i]));
    if (!uniform) return nb.runOnCpu(AddN, inputs, attrs);
    const out = nb.makeOutput(first.shape, first.dtype);
    const list = xs.map((x) => [nb.handle(x), x.shape] as const satisfies readonly [NativeHandle, number[]]);
    return nb.compute(out, (o) => nb.addon.AddN(list, o, first.shape));
  },
};
