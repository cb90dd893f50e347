// Typed mirror of the optim family (native/src/binding/optim.cc): multi-tensor AdamW, teacher EMA and per-parameter
// gradient clipping, each one native call over all parameters. Lists are arrays of [handle, shape] pairs; outputs are
// fresh buffers allocated by the caller, item i shaped like the first list's item i; all float32 on one device.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];
export type TensorList = ReadonlyArray<readonly [NativeHandle, Shape]>;

export interface OptimOps {
  /**
   * One PyTorch AdamW step per parameter i with its own lr[i] >= 0, weightDecay[i] >= 0 and step[i] (an integer >= 1,
   * the count including this step); beta1, beta2 in [0, 1), eps >= 0.
   */
  AdamW(params: TensorList, grads: TensorList, ms: TensorList, vs: TensorList, outParams: TensorList,
        outMs: TensorList, outVs: TensorList, lr: readonly number[], weightDecay: readonly number[],
        step: readonly number[], beta1: number, beta2: number, eps: number): void;
  /** outs[i] = momentum teachers[i] + (1 - momentum) students[i], momentum in [0, 1]. */
  Ema(teachers: TensorList, students: TensorList, outs: TensorList, momentum: number): void;
  /**
   * norms (float32 [n]) = ‖grads[i]‖₂; outs[i] = grads[i] · maxNorm / (norm + 1e-6) where that factor is below 1,
   * else grads[i] unchanged. maxNorm >= 0.
   */
  ClipPerParam(grads: TensorList, outs: TensorList, norms: NativeHandle, normsShape: Shape, maxNorm: number): void;
}
