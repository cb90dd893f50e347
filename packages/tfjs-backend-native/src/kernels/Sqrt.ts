// Sqrt: the square root (native).
import {Sqrt} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const sqrtConfig: KernelSpec = unaryOp(Sqrt, ['float32']);
