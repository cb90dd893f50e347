// Rsqrt: 1 / sqrt(x), in double as tfjs (native).
import {Rsqrt} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const rsqrtConfig: KernelSpec = unaryOp(Rsqrt, ['float32']);
