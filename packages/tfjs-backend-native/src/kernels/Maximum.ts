// Maximum: Math.max(a, b): NaN wins, +0 beats -0 (broadcasting, native).
import {Maximum} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const maximumConfig: KernelSpec = binaryOp(Maximum, ['float32', 'int32']);
