// Elu: x for x >= 0, e^x - 1 below (native).
import {Elu} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const eluConfig: KernelSpec = unaryOp(Elu, ['float32']);
