// FusedAttention: softmax(q kᵀ · scale) v per (batch, head) in one native call that never builds the N x N score
// matrix, plus the log-sum-exp of each score row for FusedAttentionGrad, and the probabilities when asked for
// (attention maps). Contract: packages/ops/src/kernel_names.ts. float32 only; there is no cpu kernel to fall back to.
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeHandle} from '../addon/index.js';
import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

// Spelled as in @ibotjs/ops (kernel_names.ts), which this package may not import.
export const FusedAttention = 'FusedAttention';
export interface FusedAttentionAttrs {
  scale: number;
  returnProbs: boolean;
}

/** Throws a clear Error unless every named input is a float32 tensor of rank 4 (the binding checks the rest). */
export function checkAttentionInputs(kernel: string, inputs: Record<string, TensorInfo | undefined>,
                                     names: readonly string[]): void {
  for (const name of names) {
    const t = inputs[name];
    if (t == null) throw new Error(`${kernel}: input '${name}' is missing`);
    if (t.dtype !== 'float32') {
      throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}[${t.shape}] (fused kernels are float32 only)`);
    }
  }
  const q = inputs['q']!;
  if (q.shape.length !== 4) throw new Error(`${kernel}: q must have rank 4 [B, H, N, d], got shape [${q.shape}]`);
}

/** Allocates `shapes` as float32 outputs and runs `fill` on their handles; frees them all if it throws. */
export function computeOutputs(b: NativeBackend, shapes: number[][],
                               fill: (handles: NativeHandle[]) => void): TensorInfo[] {
  const outs: TensorInfo[] = [];
  try {
    for (const s of shapes) outs.push(b.makeOutput(s, 'float32'));
    fill(outs.map((o) => b.handle(o)));
  } catch (e) {
    for (const o of outs) b.disposeData(o.dataId, true);
    throw e;
  }
  return outs;
}

export const fusedAttentionConfig: KernelSpec = {
  kernelName: FusedAttention,
  anyDtype: true,  // non-float32 inputs get our error, not a missing-cpu-kernel one
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    checkAttentionInputs(FusedAttention, inputs as Record<string, TensorInfo>, ['q', 'k', 'v']);
    const {q, k, v} = inputs as {q: TensorInfo; k: TensorInfo; v: TensorInfo};
    const {scale, returnProbs} = attrs as unknown as FusedAttentionAttrs;
    const [B, H, N] = q.shape as [number, number, number, number];
    const shapes = [q.shape.slice(), [B, H, N]];
    if (returnProbs) shapes.push([B, H, N, N]);
    return computeOutputs(b, shapes, ([out, lse, probs]) => b.addon.FusedAttention(
        b.handle(q), q.shape, b.handle(k), k.shape, b.handle(v), v.shape, scale, out!, shapes[0]!, lse!, shapes[1]!,
        probs ?? null, returnProbs ? shapes[2]! : null));
  },
};
