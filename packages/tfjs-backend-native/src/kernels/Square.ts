// Square: x * x (native).
import {Square} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const squareConfig: KernelSpec = unaryOp(Square, ['float32', 'int32']);
