// LogicalNot: !x (NaN counts as false, as in JS) (native).
import {LogicalNot} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const logicalNotConfig: KernelSpec = unaryOp(LogicalNot, ['float32', 'int32', 'bool'], 'bool');
