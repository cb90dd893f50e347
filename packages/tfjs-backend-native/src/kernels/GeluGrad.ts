// GeluGrad: dz = dy · (Φ(z) + z · φ(z)), the derivative of the exact erf GELU, elementwise over same-shape dy and z.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, float32Inputs} from './norm_utils.js';

export const GeluGrad = 'GeluGrad';

export const geluGradConfig: KernelSpec = {
  kernelName: GeluGrad,
  kernelFunc: ({inputs, backend}) => {
    const be = backend as NativeBackend;
    const [dy, z] = float32Inputs(GeluGrad, inputs, ['dy', 'z']);
    const [dz] = computeOutputs(be, [z!.shape], ([out]) => be.addon.GeluGrad(
        be.handle(dy!), dy!.shape, be.handle(z!), z!.shape, out!, z!.shape));
    return dz!;
  },
};
