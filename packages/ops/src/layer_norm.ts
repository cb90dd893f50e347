// layerNorm over the last axis with a biased (population) variance, as PyTorch's nn.LayerNorm: the LayerNormFused
// kernel where the backend has it, otherwise stock mean / square / rsqrt ops.
import {
  add, engine, type GradConfig, mean, mul, type NamedAttrMap, type NamedTensorMap, registerGradient, rsqrt, scalar,
  square, sub, type Tensor, tidy,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {LayerNormFused, type LayerNormFusedAttrs, LayerNormFusedGrad} from './kernel_names.js';
import {checkNumber, checkShape, checkTensor, isPositive, shapeOf} from './util.js';

const OP = 'layerNorm';

/** y = (x - mean) / sqrt(var + eps) · gamma + beta over the last axis; x [..., D], gamma and beta [D]. */
export function layerNorm<T extends Tensor>(x: T, gamma: Tensor, beta: Tensor, eps = 1e-6): T {
  checkTensor(OP, 'x', x);
  checkTensor(OP, 'gamma', gamma);
  checkTensor(OP, 'beta', beta);
  if (x.rank < 1) throw new Error(`${OP}: x must have rank >= 1, got ${shapeOf(x)}`);
  const d = x.shape[x.rank - 1]!;
  checkShape(OP, 'gamma', gamma, [d]);
  checkShape(OP, 'beta', beta, [d]);
  checkNumber(OP, 'eps', eps, isPositive, 'a positive number');

  if (useFusedKernels(OP, [LayerNormFused, LayerNormFusedGrad])) {
    const attrs: LayerNormFusedAttrs = {eps};
    const [y, mu, rstd] = engine().runKernel(LayerNormFused, {x, gamma, beta} as NamedTensorMap,
                                             attrs as unknown as NamedAttrMap) as Tensor[];
    mu!.dispose();  // the tape keeps its own references for the backward pass
    rstd!.dispose();
    return y as T;
  }
  return tidy(() => {
    const mu = mean(x, -1, true);                       // [..., 1]
    const xc = sub(x, mu);                              // [..., D]
    const variance = mean(square(xc), -1, true);        // [..., 1], biased
    const rstd = rsqrt(add(variance, scalar(eps)));
    return add(mul(mul(xc, rstd), gamma), beta) as T;
  });
}

const layerNormGradConfig: GradConfig = {
  kernelName: LayerNormFused,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],  // mean, rstd
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[]) => {
    const dy = (dys as Tensor[])[0]!;  // [..., D]
    const [x, gamma, mu, rstd] = saved;
    const inputs = {dy, x, gamma, mean: mu, rstd} as NamedTensorMap;
    const [dx, dgamma, dbeta] = engine().runKernel(LayerNormFusedGrad, inputs, {}) as Tensor[];
    return {x: () => dx!, gamma: () => dgamma!, beta: () => dbeta!};
  },
};
registerGradient(layerNormGradConfig);
