// AdamW: one PyTorch AdamW step (decoupled weight decay, bias correction) for every parameter in one native call.
// inputs [p_0..p_{n-1}, g_0.., m_0.., v_0..], outputs [p'_0.., m'_0.., v'_0..] (fresh tensors the caller assigns).
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {attrList, computeAll, handles, makeOutputs, splitGroups} from './optim_utils.js';

/** The kernel name and attributes of packages/ops/src/kernel_names.ts (this package cannot import @ibotjs/ops). */
export const AdamW = 'AdamW';
export interface AdamWAttrs {
  lr: number[];
  weightDecay: number[];
  step: number[];
  beta1: number;
  beta2: number;
  eps: number;
}

export const adamWConfig: KernelSpec = {
  kernelName: AdamW,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const a = attrs as unknown as AdamWAttrs;
    const lr = attrList(AdamW, 'lr', a.lr);
    const [p, g, m, v] = splitGroups(AdamW, inputs, 4, lr.length) as [TensorInfo[], TensorInfo[], TensorInfo[],
                                                                        TensorInfo[]];
    const outP = makeOutputs(b, p), outM = makeOutputs(b, p), outV = makeOutputs(b, p);
    return computeAll(b, [...outP, ...outM, ...outV], () => b.addon.AdamW(
        handles(b, p), handles(b, g), handles(b, m), handles(b, v), handles(b, outP), handles(b, outM),
        handles(b, outV), lr, attrList(AdamW, 'weightDecay', a.weightDecay), attrList(AdamW, 'step', a.step), a.beta1,
        a.beta2, a.eps));
  },
};
