// LayerNormFused: y = (x - mean) · rstd · gamma + beta over the last axis, biased variance, rstd = 1 / sqrt(var + eps);
// one native pass per row, which also returns mean and rstd [...] for the backward pass.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, epsAttr, float32Inputs, leadingShape} from './norm_utils.js';

export const LayerNormFused = 'LayerNormFused';

export const layerNormFusedConfig: KernelSpec = {
  kernelName: LayerNormFused,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const [x, gamma, beta] = float32Inputs(LayerNormFused, inputs, ['x', 'gamma', 'beta']);
    const eps = epsAttr(LayerNormFused, attrs);
    const rows = leadingShape(LayerNormFused, x!);
    return computeOutputs(be, [x!.shape, rows, rows], ([y, mean, rstd]) => be.addon.LayerNormFused(
        be.handle(x!), x!.shape, be.handle(gamma!), gamma!.shape, be.handle(beta!), beta!.shape, eps, y!, x!.shape,
        mean!, rows, rstd!, rows));
  },
};
