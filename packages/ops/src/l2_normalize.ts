// l2Normalize: x / max(‖x‖₂, eps) over the last axis (the iBOT head's bottleneck normalisation, PyTorch
// F.normalize) — the L2Normalize kernel where the backend has it, otherwise stock ops.
import {
  div, engine, type GradConfig, maximum, type NamedAttrMap, type NamedTensorMap, registerGradient, scalar, sqrt,
  square, sum, type Tensor, tidy,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {L2Normalize, type L2NormalizeAttrs, L2NormalizeGrad} from './kernel_names.js';
import {checkNumber, checkTensor, isPositive, shapeOf} from './util.js';

const OP = 'l2Normalize';

/** y = x / max(‖x‖₂, eps) over the last axis of x [..., D]. A zero vector gives zeros, and a finite gradient. */
export function l2Normalize<T extends Tensor>(x: T, eps = 1e-12): T {
  checkTensor(OP, 'x', x);
  if (x.rank < 1) throw new Error(`${OP}: x must have rank >= 1, got ${shapeOf(x)}`);
  checkNumber(OP, 'eps', eps, isPositive, 'a positive number');
  if (useFusedKernels(OP, [L2Normalize, L2NormalizeGrad])) {
    const attrs: L2NormalizeAttrs = {eps};
    const [y, norm] = engine().runKernel(L2Normalize, {x} as NamedTensorMap, attrs as unknown as NamedAttrMap) as
        Tensor[];
    norm!.dispose();  // the tape keeps its own reference for the backward pass
    return y as T;
  }
  return tidy(() => {
    // max(sqrt(s), eps) = sqrt(max(s, eps²)): the clamp comes before the square root, so a zero vector's gradient is
    // dy / eps (as the kernel's) instead of the NaN that sqrt'(0) would give.
    const sumSq = sum(square(x), -1, true);                          // [..., 1]
    return div(x, sqrt(maximum(sumSq, scalar(eps * eps)))) as T;
  });
}

const l2NormalizeGradConfig: GradConfig = {
  kernelName: L2Normalize,
  outputsToSave: [true, true],  // y, norm
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = (dys as Tensor[])[0]!;  // [..., D]
    const [y, norm] = saved;
    const dx = engine().runKernel(L2NormalizeGrad, {dy, y, norm} as NamedTensorMap, attrs) as Tensor;
    return {x: () => dx};
  },
};
registerGradient(l2NormalizeGradConfig);
