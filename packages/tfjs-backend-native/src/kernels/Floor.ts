// Floor: round toward -Inf (int32: unchanged) (native).
import {Floor} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const floorConfig: KernelSpec = unaryOp(Floor, ['float32', 'int32']);
