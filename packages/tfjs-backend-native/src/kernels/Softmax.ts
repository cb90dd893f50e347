// Softmax: float32 softmax along the last axis (the only axis tfjs supports), one native pass per row.
import {Softmax, type SoftmaxAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const softmaxConfig: KernelSpec = {
  kernelName: Softmax,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const logits = inputs['logits'] as TensorInfo;
    const {dim} = attrs as unknown as SoftmaxAttrs;
    const rank = logits.shape.length;
    // Other dims, rank 0 and other dtypes: tfjs cpu throws or handles them; let it.
    if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1)) {
      return b.runOnCpu(Softmax, inputs, attrs);
    }
    const out = b.makeOutput(logits.shape, 'float32');
    return b.compute(out, (o) => b.addon.Softmax(b.handle(logits), logits.shape, dim, o, logits.shape));
  },
};
