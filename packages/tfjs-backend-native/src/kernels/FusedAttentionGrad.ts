// FusedAttentionGrad: dq, dk, dv of FusedAttention from the forward's out and lse (the probabilities are recomputed
// tile by tile, FlashAttention-2 style). Contract: packages/ops/src/kernel_names.ts. float32 only.
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {checkAttentionInputs, computeOutputs} from './FusedAttention.js';

// Spelled as in @ibotjs/ops (kernel_names.ts), which this package may not import.
export const FusedAttentionGrad = 'FusedAttentionGrad';

export const fusedAttentionGradConfig: KernelSpec = {
  kernelName: FusedAttentionGrad,
  anyDtype: true,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    checkAttentionInputs(FusedAttentionGrad, inputs as Record<string, TensorInfo>,
                         ['q', 'k', 'v', 'out', 'lse', 'dy']);
    const {q, k, v, out, lse, dy} =
        inputs as {q: TensorInfo; k: TensorInfo; v: TensorInfo; out: TensorInfo; lse: TensorInfo; dy: TensorInfo};
    const {scale} = attrs as unknown as {scale: number};
    const shape = q.shape.slice();
    return computeOutputs(b, [shape, shape, shape], ([dq, dk, dv]) => b.addon.FusedAttentionGrad(
        b.handle(q), q.shape, b.handle(k), k.shape, b.handle(v), v.shape, b.handle(out), out.shape, b.handle(lse),
        lse.shape, b.handle(dy), dy.shape, scale, dq!, shape, dk!, shape, dv!, shape));
  },
};
