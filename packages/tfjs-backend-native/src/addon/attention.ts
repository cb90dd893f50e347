// Typed mirror of the attention family (native/src/binding/attention.cc). Outputs are allocated by the caller and
// passed in; everything is float32 on one device, and no output may share a buffer with another argument.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

export interface AttentionOps {
  /**
   * out = softmax(q kᵀ · scale) v per (batch, head), lse[b, h, i] = log Σ_j exp(scale · q_i · k_j), and the
   * normalised probabilities when `probs` is given (null otherwise).
   * q, k, v, out [B, H, N, d]; lse [B, H, N]; probs [B, H, N, N].
   */
  FusedAttention(q: NativeHandle, qShape: Shape, k: NativeHandle, kShape: Shape, v: NativeHandle, vShape: Shape,
                 scale: number, out: NativeHandle, outShape: Shape, lse: NativeHandle, lseShape: Shape,
                 probs: NativeHandle | null, probsShape: Shape | null): void;
  /**
   * dq, dk, dv of FusedAttention given the upstream gradient dy of out, from the forward's out and lse (the
   * probabilities are recomputed). q, k, v, out, dy, dq, dk, dv [B, H, N, d]; lse [B, H, N].
   */
  FusedAttentionGrad(q: NativeHandle, qShape: Shape, k: NativeHandle, kShape: Shape, v: NativeHandle, vShape: Shape,
                     out: NativeHandle, outShape: Shape, lse: NativeHandle, lseShape: Shape, dy: NativeHandle,
                     dyShape: Shape, scale: number, dq: NativeHandle, dqShape: Shape, dk: NativeHandle,
                     dkShape: Shape, dv: NativeHandle, dvShape: Shape): void;
}
