// Exp: e^x (native).
import {Exp} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const expConfig: KernelSpec = unaryOp(Exp, ['float32']);
