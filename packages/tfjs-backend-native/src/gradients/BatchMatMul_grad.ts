// BatchMatMul's gradient with broadcast batch dims reduced. tfjs-core 4.22 returns dA and dB with the broadcast
// batch shape of the output, so a broadcast operand ([B, N, D] x [D, E], or [2,1,m,k] x [5,k,n]) gets a gradient of
// the wrong shape and tf.grad throws.
import {
  BatchMatMul, type GradConfig, matMul, type NamedAttrMap, reshape, type Tensor, util,
} from '@tensorflow/tfjs-core';

import {sumToShape} from './grad_util.js';

/** The batch dims of a rank >= 2 shape (all but the last two). */
function batchSize(shape: readonly number[]): number {
  return util.sizeFromShape(shape.slice(0, -2));
}

/**
 * dB when B has no batch (or a batch of 1) and A is not transposed: A's batch folds into its rows, so dB is one
 * GEMM over [P*m, k] and [P*m, n] instead of P GEMMs plus a sum over a [P, k, n] intermediate. This is the weight
 * gradient of a linear layer written as [B, N, D] x [D, E].
 */
function foldedWeightGrad(a: Tensor, dy: Tensor, transposeB: boolean): Tensor {
  const rows = util.sizeFromShape(a.shape.slice(0, -1));  // P*m, explicit: -1 cannot be inferred for empty tensors
  const a2 = reshape(a, [rows, a.shape[a.rank - 1]!]);      // [P*m, k]
  const dy2 = reshape(dy, [rows, dy.shape[dy.rank - 1]!]);  // [P*m, n]
  return transposeB ? matMul(dy2, a2, true, false) : matMul(a2, dy2, true, false);  // [n, k] or [k, n]
}

export const batchMatMulGradConfig: GradConfig = {
  kernelName: BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;  // [...batch, m, n], batch = broadcast(batchA, batchB)
    const [a, b] = saved as [Tensor, Tensor];
    const {transposeA, transposeB} = attrs as unknown as {transposeA: boolean; transposeB: boolean};
    // C = op(A) op(B) with op = transpose or not; each case's products have the output's (broadcast) batch shape.
    let da: () => Tensor, db: () => Tensor;
    if (!transposeA && !transposeB) {
      da = () => matMul(g, b, false, true);   // dC Bᵀ
      db = () => matMul(a, g, true, false);   // Aᵀ dC
    } else if (!transposeA && transposeB) {
      da = () => matMul(g, b, false, false);  // dC B
      db = () => matMul(g, a, true, false);   // dCᵀ A
    } else if (transposeA && !transposeB) {
      da = () => matMul(b, g, false, true);   // B dCᵀ
      db = () => matMul(a, g, false, false);  // A dC
    } else {
      da = () => matMul(b, g, true, true);    // Bᵀ dCᵀ
      db = () => matMul(g, a, true, true);    // dCᵀ Aᵀ
    }
    const foldB = !transposeA && a.rank > 2 && batchSize(b.shape) === 1;
    return {
      a: () => sumToShape(da(), a.shape),
      b: () => foldB ? reshape(foldedWeightGrad(a, g, transposeB), b.shape) : sumToShape(db(), b.shape),
    };
  },
};
