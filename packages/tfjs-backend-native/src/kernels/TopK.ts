// TopK: the k largest entries along the last axis and their int32 indices, sorted descending with ties by lower
// index. tfjs leaves the order open for sorted=false (its own tests accept any order); we return the sorted order.
import {type TensorInfo, TopK, type TopKAttrs} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes} from './reduce_utils.js';

export const topKConfig: KernelSpec = {
  kernelName: TopK,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const x = inputs['x'] as TensorInfo;
    const {k, sorted} = attrs as unknown as TopKAttrs;
    const rank = x.shape.length;
    const last = rank > 0 ? x.shape[rank - 1]! : 0;
    // The op rejects these before the kernel runs; a direct kernel call gets tfjs cpu's behaviour.
    if (rank === 0 || !Number.isInteger(k) || k < 0 || k > last || !numericDtypes.includes(x.dtype)) {
      return b.runOnCpu(TopK, inputs, attrs);
    }
    const shape = [...x.shape.slice(0, -1), k];
    const values = b.makeOutput(shape, x.dtype);
    try {
      const indices = b.makeOutput(shape, 'int32');
      b.compute(indices, (i) => b.addon.TopK(b.handle(x), x.shape, k, sorted ?? true, b.handle(values), shape, i, shape));
      return [values, indices];
    } catch (e) {
      b.disposeData(values.dataId, true);
      throw e;
    }
  },
};
