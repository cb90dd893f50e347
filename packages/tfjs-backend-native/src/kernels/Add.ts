// Add: broadcasting elementwise Add on the native addon.
import {Add} from '@tensorflow/tfjs-core';

import {binaryKernel, type KernelSpec} from '../kernel_utils.js';

export const addConfig: KernelSpec = binaryKernel(Add, (addon) => addon.Add, ['float32', 'int32']);
