// Reverse: a native strided copy with negative strides. tfjs's cpu kernel flips once per listed axis, so an axis listed
// twice is not reversed; no reversed axis of size > 1 is an alias.
import {Reverse, type ReverseAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {MAX_COPY_RANK} from './layout_util.js';

export const reverseConfig: KernelSpec = {
  kernelName: Reverse,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {dims} = attrs as unknown as ReverseAttrs;
    if (x.shape.length === 0) return b.alias(x);
    const flips = new Set<number>();
    for (const d of util.parseAxisParam(dims, x.shape)) {
      if (flips.has(d)) flips.delete(d);
      else flips.add(d);
    }
    const axes = [...flips].filter((d) => x.shape[d]! > 1);
    if (axes.length === 0) return b.alias(x);
    if (x.shape.length > MAX_COPY_RANK) return b.runOnCpu(Reverse, inputs, attrs);
    const out = b.makeOutput(x.shape, x.dtype);
    return b.compute(out, (o) => b.addon.Reverse(b.handle(x), x.shape, axes, o, x.shape));
  },
};
