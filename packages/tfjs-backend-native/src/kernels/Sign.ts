// Sign: -1, 0 or 1 (NaN gives 0) (native).
import {Sign} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const signConfig: KernelSpec = unaryOp(Sign, ['float32', 'int32']);
