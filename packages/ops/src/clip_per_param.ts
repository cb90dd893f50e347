// clipPerParam: per-parameter gradient clipping (IBOT_SPEC §5.5; not a global norm) — the multi-tensor ClipPerParam
// kernel where the backend has it, otherwise stock ops per gradient. No host synchronisation either way.
import {
  add, div, engine, minimum, mul, type NamedAttrMap, scalar, sqrt, square, stack, sum, type Tensor, type Tensor1D,
  tensor1d, tidy,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {ClipPerParam, type ClipPerParamAttrs} from './kernel_names.js';
import {checkNumber, checkTensor, isPositive} from './util.js';

// A type alias, not an interface: tf.tidy returns it (only aliases get an implicit index signature).
export type ClipPerParamResult = {
  /** New gradient tensors (the inputs are left alone; dispose them when done). */
  grads: Tensor[];
  /** [n]: each gradient's L2 norm before clipping. */
  norms: Tensor1D;
};

const OP = 'clipPerParam';

/**
 * For each gradient g_i: n_i = ‖g_i‖₂, and g_i · maxNorm / (n_i + 1e-6) when that factor is below 1. The official
 * code skips clipping altogether for clip_grad = 0; so should the caller (maxNorm must be positive).
 */
export function clipPerParam(grads: readonly Tensor[], maxNorm: number): ClipPerParamResult {
  checkNumber(OP, 'maxNorm', maxNorm, isPositive, 'a positive number');
  grads.forEach((g, i) => checkTensor(OP, `grads[${i}]`, g));
  if (grads.length === 0) return {grads: [], norms: tensor1d([], 'float32')};

  if (useFusedKernels(OP, [ClipPerParam])) {
    const attrs: ClipPerParamAttrs = {maxNorm};
    const outs = engine().runKernel(ClipPerParam, [...grads] as unknown as Record<string, Tensor>,
                                    attrs as unknown as NamedAttrMap) as Tensor[];
    return {grads: outs.slice(0, grads.length), norms: outs[grads.length] as Tensor1D};
  }
  return tidy(() => {
    const norms = grads.map((g) => sqrt(sum(square(g))));  // scalars
    // min(factor, 1): multiplying by exactly 1 leaves an unclipped gradient bit for bit unchanged.
    const clipped = grads.map((g, i) => mul(g, minimum(div(scalar(maxNorm), add(norms[i]!, scalar(1e-6))), 1)));
    return {grads: clipped, norms: stack(norms) as Tensor1D};
  });
}
