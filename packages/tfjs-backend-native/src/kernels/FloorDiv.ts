// FloorDiv: floor(a / b); the result is int32 also for float32 inputs, as in tfjs cpu (broadcasting, native).
import {FloorDiv} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const floorDivConfig: KernelSpec = binaryOp(FloorDiv, ['float32', 'int32'], {out: 'int32'});
