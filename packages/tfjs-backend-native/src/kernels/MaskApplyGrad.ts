// MaskApplyGrad: MaskApply's backward pass. dTokens [B, N, D] = dy where not masked, else 0; dMaskToken [D] = the sum
// of dy over the masked positions (fixed summation order: the same bits for any thread count, on CPU and CUDA).
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {checkMaskRows} from './mask_utils.js';

const MaskApplyGrad = 'MaskApplyGrad';

export const maskApplyGradConfig: KernelSpec = {
  kernelName: MaskApplyGrad,
  kernelFunc: ({inputs, backend}) => {
    const b = backend as NativeBackend;
    const {dy, mask} = inputs as {dy: TensorInfo; mask: TensorInfo};
    checkMaskRows(MaskApplyGrad, 'dy', dy, mask);
    const tokenShape = [dy.shape[2]!];
    const dTokens = b.makeOutput(dy.shape, 'float32');
    try {
      const dMaskToken = b.makeOutput(tokenShape, 'float32');
      b.compute(dMaskToken, (m) => b.addon.MaskApplyGrad(b.handle(dy), dy.shape, b.handle(mask), mask.shape,
                                                         b.handle(dTokens), dy.shape, m, tokenShape));
      return [dTokens, dMaskToken];
    } catch (e) {
      b.disposeData(dTokens.dataId, true);
      throw e;
    }
  },
};
