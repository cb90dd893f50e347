// Cos: cos x, in double as tfjs (native).
import {Cos} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const cosConfig: KernelSpec = unaryOp(Cos, ['float32']);
