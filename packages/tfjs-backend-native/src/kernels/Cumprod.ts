// Cumprod: running product along one axis (exclusive, reverse), rounded at every step like tfjs cpu; bool gives int32.
import {Cumprod} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {scanKernel} from './reduce_utils.js';

export const cumprodConfig: KernelSpec = scanKernel(Cumprod);
