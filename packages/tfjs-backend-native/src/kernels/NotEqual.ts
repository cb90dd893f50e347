// NotEqual: a != b (broadcasting, native).
import {NotEqual} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const notEqualConfig: KernelSpec = binaryOp(NotEqual, ['float32', 'int32', 'bool'], {out: 'bool'});
