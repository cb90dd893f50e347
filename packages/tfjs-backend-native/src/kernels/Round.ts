// Round: banker's rounding, as tfjs (int32: unchanged) (native).
import {Round} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const roundConfig: KernelSpec = unaryOp(Round, ['float32', 'int32']);
