// maskApply: replaces the patch embeddings at masked positions by the mask token (IBOT_SPEC §1.3) — the MaskApply
// kernel where the backend has it, otherwise a stock broadcasting where.
import {
  engine, type GradConfig, type NamedTensorMap, registerGradient, reshape, type Tensor, type Tensor3D, tidy, where,
  zeros,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {MaskApply, MaskApplyGrad} from './kernel_names.js';
import {checkRank, checkShape, checkTensor, shapeOf} from './util.js';

const OP = 'maskApply';

/** tokens [B, N, D], mask [B, N] bool, maskToken [D] (or [1, D]) → [B, N, D]: maskToken where mask, else tokens. */
export function maskApply(tokens: Tensor, mask: Tensor, maskToken: Tensor): Tensor3D {
  checkTensor(OP, 'tokens', tokens);
  checkTensor(OP, 'mask', mask, 'bool');
  checkTensor(OP, 'maskToken', maskToken);
  checkRank(OP, 'tokens', tokens, 3);
  const [b, n, d] = tokens.shape as [number, number, number];
  checkShape(OP, 'mask', mask, [b, n]);
  if (maskToken.size !== d || !(maskToken.rank === 1 || (maskToken.rank === 2 && maskToken.shape[0] === 1))) {
    throw new Error(`${OP}: maskToken must have shape [${d}] or [1, ${d}] for tokens ${shapeOf(tokens)}, got ` +
                    shapeOf(maskToken));
  }
  return tidy(() => {
    const token = reshape(maskToken, [d]);
    if (useFusedKernels(OP, [MaskApply, MaskApplyGrad])) {
      return engine().runKernel(MaskApply, {tokens, mask, maskToken: token} as NamedTensorMap, {}) as Tensor3D;
    }
    // where broadcasts mask [B, N, 1] and the token [D] to [B, N, D]; masked positions get exactly the token.
    return where(reshape(mask, [b, n, 1]), token, tokens) as Tensor3D;
  });
}

const maskApplyGradConfig: GradConfig = {
  kernelName: MaskApply,
  inputsToSave: ['mask'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [mask] = saved as [Tensor];
    const [dTokens, dMaskToken] = engine().runKernel(MaskApplyGrad, {dy: dy as Tensor, mask} as NamedTensorMap,
                                                     {}) as Tensor[];
    return {tokens: () => dTokens!, maskToken: () => dMaskToken!, mask: () => zeros(mask.shape, 'bool')};
  },
};
registerGradient(maskApplyGradConfig);
