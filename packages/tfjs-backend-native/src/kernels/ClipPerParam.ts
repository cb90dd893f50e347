// ClipPerParam: per-parameter gradient clipping (IBOT_SPEC §5.5) over every gradient in one native call:
// g_i' = g_i · maxNorm / (‖g_i‖ + 1e-6) where that factor is below 1. inputs [g_0..g_{n-1}],
// outputs [g'_0..g'_{n-1}, norms [n]] (the norms before clipping).
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {computeAll, flatInputs, handles, makeOutputs, splitGroups} from './optim_utils.js';

/** The kernel name and attributes of packages/ops/src/kernel_names.ts. */
export const ClipPerParam = 'ClipPerParam';
export interface ClipPerParamAttrs {
  maxNorm: number;
}

export const clipPerParamConfig: KernelSpec = {
  kernelName: ClipPerParam,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {maxNorm} = attrs as unknown as ClipPerParamAttrs;
    const n = flatInputs(inputs).length;
    const [grads] = splitGroups(ClipPerParam, inputs, 1, n) as [TensorInfo[]];
    const outs = makeOutputs(b, grads);
    const norms = b.makeOutput([n], 'float32');
    return computeAll(b, [...outs, norms], () => b.addon.ClipPerParam(handles(b, grads), handles(b, outs),
                                                                        b.handle(norms), [n], maxNorm));
  },
};
