// ArgMax: int32 index of the first max along one axis (tfjs cpu: NaNs after the first element never win).
import {ArgMax} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {argReduceKernel} from './reduce_utils.js';

export const argMaxConfig: KernelSpec = argReduceKernel(ArgMax);
