// Reshape: aliases the input buffer under the new shape (one -1 dimension is inferred, as in tfjs).
import {Reshape, type ReshapeAttrs, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const reshapeConfig: KernelSpec = {
  kernelName: Reshape,
  anyDtype: true,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs['x'] as TensorInfo;
    const {shape} = attrs as unknown as ReshapeAttrs;
    const size = util.sizeFromShape(x.shape);
    const newShape = util.inferFromImplicitShape(shape, size);
    const newSize = util.sizeFromShape(newShape);
    util.assert(size === newSize,
                () => `Reshape: cannot reshape a tensor of shape [${x.shape}] (${size} elements) into [${shape}] ` +
                      `(${newSize} elements)`);
    return (backend as NativeBackend).alias(x, newShape);
  },
};
