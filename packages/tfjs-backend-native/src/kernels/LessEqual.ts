// LessEqual: a <= b (broadcasting, native).
import {LessEqual} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const lessEqualConfig: KernelSpec = binaryOp(LessEqual, ['float32', 'int32', 'bool'], {out: 'bool'});
