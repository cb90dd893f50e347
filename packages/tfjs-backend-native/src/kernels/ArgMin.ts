// ArgMin: int32 index of the first min along one axis (tfjs cpu: NaNs after the first element never win).
import {ArgMin} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {argReduceKernel} from './reduce_utils.js';

export const argMinConfig: KernelSpec = argReduceKernel(ArgMin);
