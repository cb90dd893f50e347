// fusedAttention: softmax(q kᵀ · scale) v per (batch, head) — the FusedAttention kernel where the backend has it
// (online softmax, no N×N matrix), otherwise stock matMul + softmax + matMul.
import {
  engine, type GradConfig, matMul, mul, type NamedAttrMap, type NamedTensorMap, scalar, softmax, type Tensor,
  type Tensor4D, tidy, registerGradient,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {FusedAttention, type FusedAttentionAttrs, FusedAttentionGrad} from './kernel_names.js';
import {checkNumber, checkRank, checkShape, checkTensor, stopGradient} from './util.js';

export interface FusedAttentionOptions {
  /** Multiplies the scores q·kᵀ before the softmax (default d^-1/2). */
  scale?: number;
  /** Also return the attention probabilities [B, H, N, N] (for attention maps; no gradient flows through them). */
  returnProbs?: boolean;
}

// A type alias, not an interface: tf.tidy returns it (only aliases get an implicit index signature).
export type FusedAttentionResult = {
  out: Tensor4D;  // [B, H, N, d]
  probs?: Tensor4D;  // [B, H, N, N]
};

const OP = 'fusedAttention';

/** Attention of q, k, v [B, H, N, d]: out = softmax(q kᵀ · scale) v, [B, H, N, d]. */
export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, options: FusedAttentionOptions = {}):
    FusedAttentionResult {
  checkTensor(OP, 'q', q);
  checkTensor(OP, 'k', k);
  checkTensor(OP, 'v', v);
  checkRank(OP, 'q', q, 4);
  checkShape(OP, 'k', k, q.shape);
  checkShape(OP, 'v', v, q.shape);
  const scale = options.scale ?? q.shape[3]! ** -0.5;
  checkNumber(OP, 'scale', scale, Number.isFinite, 'a finite number');
  const returnProbs = options.returnProbs ?? false;

  if (useFusedKernels(OP, [FusedAttention, FusedAttentionGrad])) {
    const attrs: FusedAttentionAttrs = {scale, returnProbs};
    const [out, lse, probs] = engine().runKernel(FusedAttention, {q, k, v} as NamedTensorMap,
                                                 attrs as unknown as NamedAttrMap) as Tensor4D[];
    lse!.dispose();  // the tape keeps its own reference for the backward pass
    return returnProbs ? {out: out!, probs: probs!} : {out: out!};
  }
  return tidy(() => {
    const scores = matMul(mul(q, scalar(scale)), k, false, true);  // [B, H, N, N]
    const probs = softmax(scores) as Tensor4D;
    const out = matMul(probs, v) as Tensor4D;  // [B, H, N, d]
    return returnProbs ? {out, probs: stopGradient(probs)} : {out};
  });
}

/** dq, dk, dv from one FusedAttentionGrad call; the gradients of lse and probs are ignored (none flows). */
const fusedAttentionGradConfig: GradConfig = {
  kernelName: FusedAttention,
  inputsToSave: ['q', 'k', 'v'],
  outputsToSave: [true, true, false],  // out, lse
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = (dys as Tensor[])[0]!;  // [B, H, N, d]
    const [q, k, v, out, lse] = saved;
    const {scale} = attrs as unknown as FusedAttentionAttrs;
    const [dq, dk, dv] = engine().runKernel(FusedAttentionGrad, {q, k, v, out, lse, dy} as NamedTensorMap,
                                            {scale}) as Tensor[];
    return {q: () => dq!, k: () => dk!, v: () => dv!};
  },
};
registerGradient(fusedAttentionGradConfig);
