// Mod: the remainder of a / b with the sign of b (broadcasting, native).
import {Mod} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const modConfig: KernelSpec = binaryOp(Mod, ['float32', 'int32']);
