// Softplus: ln(1 + e^x) with tfjs's thresholds (native).
import {Softplus} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const softplusConfig: KernelSpec = unaryOp(Softplus, ['float32']);
