// LayerNormFusedGrad: dx [..., D] per row, and dgamma, dbeta [D] summed over all rows in a fixed order (deterministic).
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, float32Inputs} from './norm_utils.js';

export const LayerNormFusedGrad = 'LayerNormFusedGrad';

export const layerNormFusedGradConfig: KernelSpec = {
  kernelName: LayerNormFusedGrad,
  kernelFunc: ({inputs, backend}) => {
    const be = backend as NativeBackend;
    const [dy, x, gamma, mean, rstd] =
        float32Inputs(LayerNormFusedGrad, inputs, ['dy', 'x', 'gamma', 'mean', 'rstd']);
    return computeOutputs(be, [x!.shape, gamma!.shape, gamma!.shape], ([dx, dgamma, dbeta]) =>
        be.addon.LayerNormFusedGrad(be.handle(dy!), dy!.shape, be.handle(x!), x!.shape, be.handle(gamma!),
                                    gamma!.shape, be.handle(mean!), mean!.shape, be.handle(rstd!), rstd!.shape, dx!,
                                    x!.shape, dgamma!, gamma!.shape, dbeta!, gamma!.shape));
  },
};
