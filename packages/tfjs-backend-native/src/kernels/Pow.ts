// Pow: Math.pow(a, b) in double (JS special cases: pow(1, NaN) and pow(±1, ±Inf) are NaN) (broadcasting, native).
import {Pow} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const powConfig: KernelSpec = binaryOp(Pow, ['float32', 'int32']);
