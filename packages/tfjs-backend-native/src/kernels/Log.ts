// Log: the natural logarithm (native).
import {Log} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const logConfig: KernelSpec = unaryOp(Log, ['float32']);
