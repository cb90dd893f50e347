// LeakyRelu: x where x >= 0, alpha * x below (native for float32).
import {LeakyRelu, type LeakyReluAttrs} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const leakyReluConfig: KernelSpec =
    unaryOp(LeakyRelu, ['float32'], 'same', (attrs) => [(attrs as unknown as LeakyReluAttrs).alpha]);
