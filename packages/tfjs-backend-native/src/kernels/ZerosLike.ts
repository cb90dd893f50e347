// ZerosLike: a tensor of x's shape and dtype filled with 0 (native for float32, int32 and bool).
import {ZerosLike} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {fillLikeOp} from './elementwise_utils.js';

export const zerosLikeConfig: KernelSpec = fillLikeOp(ZerosLike);
