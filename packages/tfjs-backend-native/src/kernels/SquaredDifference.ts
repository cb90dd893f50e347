// SquaredDifference: (a - b)^2, computed in double as tfjs does (broadcasting, native).
import {SquaredDifference} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const squaredDifferenceConfig: KernelSpec = binaryOp(SquaredDifference, ['float32', 'int32']);
