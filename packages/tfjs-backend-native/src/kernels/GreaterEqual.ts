// GreaterEqual: a >= b (broadcasting, native).
import {GreaterEqual} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const greaterEqualConfig: KernelSpec = binaryOp(GreaterEqual, ['float32', 'int32', 'bool'], {out: 'bool'});
