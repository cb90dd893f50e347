// Identity: aliases the input buffer (buffers are immutable, so no copy is needed).
import {Identity, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

export const identityConfig: KernelSpec = {
  kernelName: Identity,
  anyDtype: true,
  kernelFunc: ({inputs, backend}) => (backend as NativeBackend).alias(inputs['x'] as TensorInfo),
};
