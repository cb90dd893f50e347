// Minimum: Math.min(a, b): NaN wins, -0 beats +0 (broadcasting, native).
import {Minimum} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const minimumConfig: KernelSpec = binaryOp(Minimum, ['float32', 'int32']);
