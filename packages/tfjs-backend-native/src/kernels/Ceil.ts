// Ceil: round toward +Inf (int32: unchanged) (native).
import {Ceil} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const ceilConfig: KernelSpec = unaryOp(Ceil, ['float32', 'int32']);
