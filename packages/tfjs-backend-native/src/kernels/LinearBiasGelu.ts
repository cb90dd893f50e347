// LinearBiasGelu: z = x w + b and y = GELU(z) (exact erf) from one native GEMM whose epilogue writes both, so the
// pre-activation z the backward pass needs costs one extra store and no extra pass. x [M, K], w [K, N], b [N].
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, float32Inputs} from './norm_utils.js';

export const LinearBiasGelu = 'LinearBiasGelu';

export const linearBiasGeluConfig: KernelSpec = {
  kernelName: LinearBiasGelu,
  kernelFunc: ({inputs, backend}) => {
    const be = backend as NativeBackend;
    const [x, w, b] = float32Inputs(LinearBiasGelu, inputs, ['x', 'w', 'b']);
    if (x!.shape.length !== 2 || w!.shape.length !== 2) {
      throw new Error(`${LinearBiasGelu}: x and w must have rank 2 ([M, K] and [K, N]), got [${x!.shape}] and ` +
                      `[${w!.shape}]`);
    }
    const shape = [x!.shape[0]!, w!.shape[1]!];
    return computeOutputs(be, [shape, shape], ([y, z]) => be.addon.LinearBiasGelu(
        be.handle(x!), x!.shape, be.handle(w!), w!.shape, be.handle(b!), b!.shape, y!, shape, z!, shape));
  },
};
