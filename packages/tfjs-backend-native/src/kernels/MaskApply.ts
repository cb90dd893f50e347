// MaskApply: the patch embeddings with the mask token at masked positions (IBOT_SPEC §1.3):
// out[b, n, :] = mask[b, n] ? maskToken : tokens[b, n, :]; tokens [B, N, D] float32, mask [B, N] bool, maskToken [D].
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {checkMaskRows} from './mask_utils.js';

const MaskApply = 'MaskApply';

export const maskApplyConfig: KernelSpec = {
  kernelName: MaskApply,
  kernelFunc: ({inputs, backend}) => {
    const b = backend as NativeBackend;
    const {tokens, mask, maskToken} = inputs as {tokens: TensorInfo; mask: TensorInfo; maskToken: TensorInfo};
    checkMaskRows(MaskApply, 'tokens', tokens, mask);
    const d = tokens.shape[2]!;
    if (maskToken.dtype !== 'float32' || maskToken.shape.length !== 1 || maskToken.shape[0] !== d) {
      throw new Error(`${MaskApply}: maskToken must be float32[${d}], got ${maskToken.dtype}[${maskToken.shape}]`);
    }
    const out = b.makeOutput(tokens.shape, 'float32');
    return b.compute(out, (o) => b.addon.MaskApply(b.handle(tokens), tokens.shape, b.handle(mask), mask.shape,
                                                   b.handle(maskToken), maskToken.shape, o, tokens.shape));
  },
};
