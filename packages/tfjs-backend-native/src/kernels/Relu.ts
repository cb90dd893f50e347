// Relu: max(0, x), NaN kept (native).
import {Relu} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const reluConfig: KernelSpec = unaryOp(Relu, ['float32', 'int32']);
