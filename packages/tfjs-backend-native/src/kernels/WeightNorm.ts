// WeightNorm: the weight-normalised last layer's weight (PyTorch weight_norm, dim 0): w[k] = g[k] · v[k] / ‖v[k]‖₂,
// v [K, C], g [K, 1]; also returns vNorm [K] for the backward pass.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, float32Inputs} from './norm_utils.js';

export const WeightNorm = 'WeightNorm';

export const weightNormConfig: KernelSpec = {
  kernelName: WeightNorm,
  kernelFunc: ({inputs, backend}) => {
    const be = backend as NativeBackend;
    const [v, g] = float32Inputs(WeightNorm, inputs, ['v', 'g']);
    if (v!.shape.length !== 2) throw new Error(`${WeightNorm}: v must have rank 2 ([K, C]), got [${v!.shape}]`);
    const k = [v!.shape[0]!];
    return computeOutputs(be, [v!.shape, k], ([w, vNorm]) => be.addon.WeightNorm(
        be.handle(v!), v!.shape, be.handle(g!), g!.shape, w!, v!.shape, vNorm!, k));
  },
};
