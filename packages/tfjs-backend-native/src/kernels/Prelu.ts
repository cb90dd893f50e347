// Prelu: x where x >= 0, alpha * x below, alpha broadcasting against x (native for float32).
import {Prelu} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const preluConfig: KernelSpec = binaryOp(Prelu, ['float32'], {inputs: ['x', 'alpha']});
