// LogicalOr: a || b on bool tensors (broadcasting, native).
import {LogicalOr} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const logicalOrConfig: KernelSpec = binaryOp(LogicalOr, ['bool'], {out: 'bool'});
