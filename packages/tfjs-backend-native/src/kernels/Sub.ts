// Sub: a - b (int32 wraps) (broadcasting, native).
import {Sub} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const subConfig: KernelSpec = binaryOp(Sub, ['float32', 'int32']);
