// weightNorm: the weight-normalised last layer's weight, PyTorch weight_norm with dim 0 (IBOT_SPEC §2.1),
// w[k] = g[k] · v[k] / ‖v[k]‖₂ — the WeightNorm kernel where the backend has it, otherwise stock ops.
import {
  div, engine, type GradConfig, mul, type NamedTensorMap, registerGradient, reshape, sqrt, square, sum, type Tensor,
  type Tensor2D, tidy,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {WeightNorm, WeightNormGrad} from './kernel_names.js';
import {checkRank, checkTensor, shapeOf} from './util.js';

const OP = 'weightNorm';

/** v [K, C], g [K, 1] (or [K]) → w [K, C]. A zero row of v gives NaN, as in PyTorch. */
export function weightNorm(v: Tensor, g: Tensor): Tensor2D {
  checkTensor(OP, 'v', v);
  checkTensor(OP, 'g', g);
  checkRank(OP, 'v', v, 2);
  const k = v.shape[0]!;
  if (g.size !== k || !(g.rank === 1 || (g.rank === 2 && g.shape[1] === 1))) {
    throw new Error(`${OP}: g must have shape [${k}, 1] or [${k}] for v ${shapeOf(v)}, got ${shapeOf(g)}`);
  }
  return tidy(() => {
    const g2 = reshape(g, [k, 1]);
    if (useFusedKernels(OP, [WeightNorm, WeightNormGrad])) {
      const [w, vNorm] = engine().runKernel(WeightNorm, {v, g: g2} as NamedTensorMap, {}) as Tensor2D[];
      vNorm!.dispose();  // the tape keeps its own reference for the backward pass
      return w!;
    }
    const vNorm = sqrt(sum(square(v), 1, true));  // [K, 1]
    return mul(v, div(g2, vNorm)) as Tensor2D;
  });
}

const weightNormGradConfig: GradConfig = {
  kernelName: WeightNorm,
  inputsToSave: ['v', 'g'],
  outputsToSave: [false, true],  // vNorm
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[]) => {
    const dw = (dys as Tensor[])[0]!;  // [K, C]
    const [v, g, vNorm] = saved;
    const [dv, dg] = engine().runKernel(WeightNormGrad, {dw, v, g, vNorm} as NamedTensorMap, {}) as Tensor[];
    return {v: () => dv!, g: () => dg!};
  },
};
registerGradient(weightNormGradConfig);
