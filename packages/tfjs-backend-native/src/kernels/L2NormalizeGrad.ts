// L2NormalizeGrad: dx = (dy - y · (dy · y)) / norm per row where norm > eps, dy / eps where the clamp was active.
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {computeOutputs, epsAttr, float32Inputs} from './norm_utils.js';

export const L2NormalizeGrad = 'L2NormalizeGrad';

export const l2NormalizeGradConfig: KernelSpec = {
  kernelName: L2NormalizeGrad,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const [dy, y, norm] = float32Inputs(L2NormalizeGrad, inputs, ['dy', 'y', 'norm']);
    const eps = epsAttr(L2NormalizeGrad, attrs);
    const [dx] = computeOutputs(be, [y!.shape], ([out]) => be.addon.L2NormalizeGrad(
        be.handle(dy!), dy!.shape, be.handle(y!), y!.shape, be.handle(norm!), norm!.shape, eps, out!, y!.shape));
    return dx!;
  },
};
