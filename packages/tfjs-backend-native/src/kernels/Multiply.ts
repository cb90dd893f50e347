// Multiply: broadcasting elementwise Multiply on the native addon.
import {Multiply} from '@tensorflow/tfjs-core';

import {binaryKernel, type KernelSpec} from '../kernel_utils.js';

export const multiplyConfig: KernelSpec = binaryKernel(Multiply, (addon) => addon.Multiply, ['float32', 'int32']);
