// _FusedMatMul: act(op(a) op(b) + bias) with the bias and activation applied in the native GEMM's epilogue (a bias
// of one value per column rides in the GEMM's write-back; other bias shapes and prelu weights are one broadcast pass
// after it, still native).
import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  backend_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import {ActivationCode} from '../addon/matmul.js';
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {matMulOutShape} from './BatchMatMul.js';

/** Whether `t` broadcasts to `shape` without growing it (tfjs would then return a larger result: left to cpu). */
function broadcastsInto(t: TensorInfo, shape: number[]): boolean {
  try {
    return util.arraysEqual(backend_util.assertAndGetBroadcastShape(t.shape, shape), shape);
  } catch {
    return false;
  }
}

export const _fusedMatMulConfig: KernelSpec = {
  kernelName: _FusedMatMul,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {a, b, bias, preluActivationWeights: prelu} =
        inputs as {a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo};
    const {transposeA, transposeB, activation, leakyreluAlpha} = attrs as unknown as _FusedMatMulAttrs;
    const code = (ActivationCode as Record<string, number>)[activation] as ActivationCode | undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2 ||
        code === undefined || code === ActivationCode.gelu) {
      return be.runOnCpu(_FusedMatMul, inputs, attrs);
    }
    const shape = matMulOutShape(a, b, transposeA, transposeB);
    // Rare shapes go to the cpu kernel: a bias or prelu weights that would enlarge the output, int32 operands, and
    // prelu without weights (which cpu rejects with its own error).
    const usePrelu = code === ActivationCode.prelu;
    if ((bias != null && (bias.dtype !== 'float32' || !broadcastsInto(bias, shape))) ||
        (usePrelu && (prelu == null || prelu.dtype !== 'float32' || !broadcastsInto(prelu, shape)))) {
      return be.runOnCpu(_FusedMatMul, inputs, attrs);
    }
    // tfjs cpu multiplies by the attribute as given (NaN when a caller leaves it out); the op always sets it.
    const alpha = code === ActivationCode.leakyrelu ? (leakyreluAlpha ?? NaN) : 0;
    const out = be.makeOutput(shape, 'float32');
    return be.compute(out, (o) => be.addon.FusedMatMul(
        be.handle(a), a.shape, be.handle(b), b.shape, transposeA, transposeB, bias ? be.handle(bias) : null,
        bias ? bias.shape : null, code, usePrelu ? be.handle(prelu!) : null, usePrelu ? prelu!.shape : null, alpha, o,
        shape));
  },
};
