// RealDiv: a / b (int32 inputs: the quotient truncated, as the tfjs cpu kernel stores it) (broadcasting, native).
import {RealDiv} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const realDivConfig: KernelSpec = binaryOp(RealDiv, ['float32', 'int32']);
