// Tanh: the hyperbolic tangent (native).
import {Tanh} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const tanhConfig: KernelSpec = unaryOp(Tanh, ['float32']);
