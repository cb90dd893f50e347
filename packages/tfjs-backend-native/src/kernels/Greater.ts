// Greater: a > b (broadcasting, native).
import {Greater} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const greaterConfig: KernelSpec = binaryOp(Greater, ['float32', 'int32', 'bool'], {out: 'bool'});
