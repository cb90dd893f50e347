// Add: a + b (int32 wraps) (broadcasting, native).
import {Add} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const addConfig: KernelSpec = binaryOp(Add, ['float32', 'int32']);
