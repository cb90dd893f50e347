// Less: a < b (broadcasting, native).
import {Less} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const lessConfig: KernelSpec = binaryOp(Less, ['float32', 'int32', 'bool'], {out: 'bool'});
