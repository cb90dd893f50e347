// Log1p: ln(1 + x), accurate near 0 (native).
import {Log1p} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const log1pConfig: KernelSpec = unaryOp(Log1p, ['float32']);
