// Neg: -x (native).
import {Neg} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const negConfig: KernelSpec = unaryOp(Neg, ['float32', 'int32']);
