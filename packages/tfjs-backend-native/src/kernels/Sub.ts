// Sub: broadcasting elementwise Sub on the native addon.
import {Sub} from '@tensorflow/tfjs-core';

import {binaryKernel, type KernelSpec} from '../kernel_utils.js';

export const subConfig: KernelSpec = binaryKernel(Sub, (addon) => addon.Sub, ['float32', 'int32']);
