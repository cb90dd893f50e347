// Multiply: a * b (int32 as JS: the double product, wrapped) (broadcasting, native).
import {Multiply} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const multiplyConfig: KernelSpec = binaryOp(Multiply, ['float32', 'int32']);
