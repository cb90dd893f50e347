// Sigmoid: 1 / (1 + e^-x) (native).
import {Sigmoid} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const sigmoidConfig: KernelSpec = unaryOp(Sigmoid, ['float32']);
