// Atan2: Math.atan2(a, b) in double (broadcasting, native).
import {Atan2} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const atan2Config: KernelSpec = binaryOp(Atan2, ['float32', 'int32']);
