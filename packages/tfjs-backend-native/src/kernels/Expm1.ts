// Expm1: e^x - 1, accurate near 0 (native).
import {Expm1} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const expm1Config: KernelSpec = unaryOp(Expm1, ['float32']);
