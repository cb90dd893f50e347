// Reciprocal: 1 / x (native).
import {Reciprocal} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const reciprocalConfig: KernelSpec = unaryOp(Reciprocal, ['float32']);
