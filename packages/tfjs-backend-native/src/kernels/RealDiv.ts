// RealDiv: broadcasting elementwise RealDiv on the native addon.
import {RealDiv} from '@tensorflow/tfjs-core';

import {binaryKernel, type KernelSpec} from '../kernel_utils.js';

export const realDivConfig: KernelSpec = binaryKernel(RealDiv, (addon) => addon.RealDiv, ['float32']);
