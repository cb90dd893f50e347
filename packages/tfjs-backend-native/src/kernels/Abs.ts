// Abs: |x| (native).
import {Abs} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const absConfig: KernelSpec = unaryOp(Abs, ['float32', 'int32']);
