// Cumsum: running sum along one axis (exclusive, reverse), rounded at every step like tfjs cpu; bool gives int32.
import {Cumsum} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {scanKernel} from './reduce_utils.js';

export const cumsumConfig: KernelSpec = scanKernel(Cumsum);
