// Selu: the scaled ELU with tfjs's constants (native).
import {Selu} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const seluConfig: KernelSpec = unaryOp(Selu, ['float32']);
