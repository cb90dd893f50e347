// BatchMatMul: out [...broadcast(batchA, batchB), M, N] = op(a) op(b) on the native GEMM (float32; int32 runs on the
// tfjs cpu kernel).
import {
  BatchMatMul,
  type BatchMatMulAttrs,
  broadcast_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

/**
 * The output shape of op(a) op(b), with tfjs's error for mismatched inner dimensions. Batch dimensions broadcast
 * NumPy-style (the tfjs cpu kernel indexes batches modulo their count instead, which agrees whenever each side's
 * batch is 1 or the full output batch).
 */
export function matMulOutShape(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): number[] {
  const ra = a.shape.length, rb = b.shape.length;
  const innerA = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const innerB = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const outerA = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const outerB = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  util.assert(innerA === innerB,
              () => `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
                    `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const batch = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return [...batch, outerA, outerB];
}

export const batchMatMulConfig: KernelSpec = {
  kernelName: BatchMatMul,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {a, b} = inputs as {a: TensorInfo; b: TensorInfo};
    const {transposeA, transposeB} = attrs as unknown as BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
      return be.runOnCpu(BatchMatMul, inputs, attrs);
    }
    const shape = matMulOutShape(a, b, transposeA, transposeB);
    const out = be.makeOutput(shape, 'float32');
    return be.compute(out, (o) => be.addon.BatchMatMul(be.handle(a), a.shape, be.handle(b), b.shape, transposeA,
                                                       transposeB, o, shape));
  },
};
