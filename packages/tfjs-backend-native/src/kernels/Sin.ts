// Sin: sin x, in double as tfjs (native).
import {Sin} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const sinConfig: KernelSpec = unaryOp(Sin, ['float32']);
