// IsNan: x is NaN (native).
import {IsNan} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const isNanConfig: KernelSpec = unaryOp(IsNan, ['float32', 'int32', 'bool'], 'bool');
