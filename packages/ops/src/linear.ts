// linear: x w + b with an optional exact-erf GELU. 'gelu' runs the LinearBiasGelu kernel (GELU in the GEMM's
// epilogue) where the backend has it; 'none', and 'gelu' elsewhere, run stock tf.fused.matMul (+ erf GELU).
// Leading dimensions are folded into rows before any matmul: tfjs 4.22's fused matMul gradient mishandles broadcast
// batches ([B, N, K] x [K, N'] would throw in tf.grad).
import {
  add, customGrad, engine, erf, fused, type GradConfig, type GradSaveFunc, matMul, mul,
  type NamedTensorMap, registerGradient, reshape, scalar, sum, type Tensor, type Tensor2D, tidy, zeros,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {GeluGrad, LinearBiasGelu} from './kernel_names.js';
import {checkRank, checkShape, checkTensor, shapeOf} from './util.js';

export type LinearActivation = 'none' | 'gelu';

export interface LinearOptions {
  /** Applied after the bias (default 'none'). GELU is the exact erf form 0.5 z (1 + erf(z / √2)). */
  activation?: LinearActivation;
}

const OP = 'linear';

/** y = act(x w + b) for x [..., K], w [K, N], b [N] (or null: no bias); y [..., N]. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, options: LinearOptions = {}): Tensor {
  checkTensor(OP, 'x', x);
  checkTensor(OP, 'w', w);
  checkRank(OP, 'w', w, 2);
  if (x.rank < 1) throw new Error(`${OP}: x must have rank >= 1, got ${shapeOf(x)}`);
  const [k, n] = w.shape as [number, number];
  if (x.shape[x.rank - 1] !== k) {
    throw new Error(`${OP}: the last dimension of x ${shapeOf(x)} must match the rows of w ${shapeOf(w)}`);
  }
  if (b != null) {
    checkTensor(OP, 'b', b);
    checkShape(OP, 'b', b, [n]);
  }
  const activation = options.activation ?? 'none';
  if (activation !== 'none' && activation !== 'gelu') {
    throw new Error(`${OP}: activation must be 'none' or 'gelu', got ${String(activation)}`);
  }
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, d) => a * d, 1);

  return tidy(() => {
    const x2 = reshape(x, [rows, k]) as Tensor2D;  // [M, K]
    let y2: Tensor;                                  // [M, N]
    if (activation === 'gelu' && useFusedKernels(OP, [LinearBiasGelu, GeluGrad])) {
      y2 = linearBiasGeluKernel(x2, w as Tensor2D, b ?? zeros([n]));
    } else {
      const z = fused.matMul({a: x2, b: w as Tensor2D, bias: b ?? undefined});
      y2 = activation === 'gelu' ? geluErf(z) : z;
    }
    return reshape(y2, [...lead, n]);
  });
}

/** The exact GELU, 0.5 z (1 + erf(z / √2)), from stock ops (tfjs differentiates erf). */
export function geluErf<T extends Tensor>(z: T): T {
  return tidy(() => mul(mul(z, scalar(0.5)), add(scalar(1), erf(mul(z, scalar(Math.SQRT1_2))))) as T);
}

/**
 * The LinearBiasGelu kernel as a one-output op. Through registerGradient alone the tape would see two outputs (y and
 * z) and, on every backward pass, fill the missing gradient of z with a zeros tensor built from a fresh JS array:
 * 9.7 MB of page faults per ViT-S MLP layer at batch 8, which made the fused path slower than the composite. Inside
 * customGrad the kernel is not taped; z is saved explicitly for the backward below.
 */
const linearBiasGeluKernel = customGrad(((x: Tensor, w: Tensor, b: Tensor, save: GradSaveFunc) => {
  const [y, z] = engine().runKernel(LinearBiasGelu, {x, w, b} as NamedTensorMap, {}) as Tensor[];
  save([x, w, z!]);
  z!.dispose();  // save() keeps its own reference
  return {value: y!, gradFunc: (dy: Tensor, saved: Tensor[]) => linearBiasGeluGrads(dy, saved)};
}) as unknown as Parameters<typeof customGrad>[0]) as (x: Tensor2D, w: Tensor2D, b: Tensor) => Tensor2D;

/** [dx, dw, db] of y = GELU(x w + b) from the saved x, w and pre-activation z: dz = GeluGrad(dy, z); dx = dz wᵀ,
 * dw = xᵀ dz, db = Σ_rows dz (stock matmuls and a sum). */
function linearBiasGeluGrads(dy: Tensor, saved: Tensor[]): Tensor[] {
  const [x, w, z] = saved as [Tensor2D, Tensor2D, Tensor2D];
  const dz = engine().runKernel(GeluGrad, {dy, z} as NamedTensorMap, {}) as Tensor2D;
  return [matMul(dz, w, false, true), matMul(x, dz, true, false), sum(dz, 0)];  // [M, K], [K, N], [N]
}

/** For callers of the kernel itself (runKernel under a gradient tape): the same backward. */
const linearBiasGeluGradConfig: GradConfig = {
  kernelName: LinearBiasGelu,
  inputsToSave: ['x', 'w'],
  outputsToSave: [false, true],  // z
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[]) => {
    const [dx, dw, db] = linearBiasGeluGrads((dys as Tensor[])[0]!, saved);
    return {x: () => dx!, w: () => dw!, b: () => db!};
  },
};
registerGradient(linearBiasGeluGradConfig);
