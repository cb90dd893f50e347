// Erf: tfjs's erf approximation (Abramowitz-Stegun 7.1.26) (native).
import {Erf} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const erfConfig: KernelSpec = unaryOp(Erf, ['float32']);
