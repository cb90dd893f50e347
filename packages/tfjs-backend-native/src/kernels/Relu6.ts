// Relu6: min(max(0, x), 6), NaN kept (native).
import {Relu6} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const relu6Config: KernelSpec = unaryOp(Relu6, ['float32', 'int32']);
