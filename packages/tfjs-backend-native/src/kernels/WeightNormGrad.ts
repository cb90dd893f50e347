// WeightNormGrad: with n = ‖v[k]‖ and s = dw[k] · v[k]: dv[k] = g[k] / n · (dw[k] - v[k] · s / n²), dg[k] = s / n.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, float32Inputs} from './norm_utils.js';

export const WeightNormGrad = 'WeightNormGrad';

export const weightNormGradConfig: KernelSpec = {
  kernelName: WeightNormGrad,
  kernelFunc: ({inputs, backend}) => {
    const be = backend as NativeBackend;
    const [dw, v, g, vNorm] = float32Inputs(WeightNormGrad, inputs, ['dw', 'v', 'g', 'vNorm']);
    return computeOutputs(be, [v!.shape, g!.shape], ([dv, dg]) => be.addon.WeightNormGrad(
        be.handle(dw!), dw!.shape, be.handle(v!), v!.shape, be.handle(g!), g!.shape, be.handle(vNorm!),
        vNorm!.shape, dv!, v!.shape, dg!, g!.shape));
  },
};
