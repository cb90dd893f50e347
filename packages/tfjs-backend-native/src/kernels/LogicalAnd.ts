// LogicalAnd: a && b on bool tensors (broadcasting, native).
import {LogicalAnd} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const logicalAndConfig: KernelSpec = binaryOp(LogicalAnd, ['bool'], {out: 'bool'});
