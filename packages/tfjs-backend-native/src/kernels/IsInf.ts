// IsInf: x is +Inf or -Inf (native).
import {IsInf} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const isInfConfig: KernelSpec = unaryOp(IsInf, ['float32', 'int32', 'bool'], 'bool');
