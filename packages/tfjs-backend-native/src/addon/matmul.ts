// Typed mirror of the matmul family (native/src/binding/matmul.cc).
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

/** Fused epilogue activation codes, shared with native/src/kernels/matmul.h (enum Activation). */
export const ActivationCode = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  prelu: 5,
  sigmoid: 6,
  gelu: 7,  // exact erf GELU (not a tfjs activation; used by our fused ops)
} as const;
export type ActivationCode = (typeof ActivationCode)[keyof typeof ActivationCode];

export interface MatmulOps {
  /** out [...broadcast(batchA, batchB), M, N] = op(a) op(b); float32 only. */
  BatchMatMul(a: NativeHandle, aShape: Shape, b: NativeHandle, bShape: Shape, transposeA: boolean,
              transposeB: boolean, out: NativeHandle, outShape: Shape): void;
  /**
   * out = act(op(a) op(b) + bias). bias and prelu weights broadcast to out (a per-column bias is fused into the GEMM);
   * prelu weights are given exactly when activation is ActivationCode.prelu.
   */
  FusedMatMul(a: NativeHandle, aShape: Shape, b: NativeHandle, bShape: Shape, transposeA: boolean,
              transposeB: boolean, bias: NativeHandle | null, biasShape: Shape | null, activation: ActivationCode,
              prelu: NativeHandle | null, preluShape: Shape | null, leakyAlpha: number, out: NativeHandle,
              outShape: Shape): void;
}
