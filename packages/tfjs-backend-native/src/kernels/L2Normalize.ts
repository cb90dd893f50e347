// L2Normalize: y = x / max(‖x‖₂, eps) over the last axis (the DINO head's bottleneck normalisation, eps = 1e-12),
// also returning norm [...] = ‖x‖₂ before the clamp for the backward pass.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, epsAttr, float32Inputs, leadingShape} from './norm_utils.js';

export const L2Normalize = 'L2Normalize';

export const l2NormalizeConfig: KernelSpec = {
  kernelName: L2Normalize,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const [x] = float32Inputs(L2Normalize, inputs, ['x']);
    const eps = epsAttr(L2Normalize, attrs);
    const rows = leadingShape(L2Normalize, x!);
    return computeOutputs(be, [x!.shape, rows], ([y, norm]) => be.addon.L2Normalize(
        be.handle(x!), x!.shape, eps, y!, x!.shape, norm!, rows));
  },
};
