// OnesLike: a tensor of x's shape and dtype filled with 1 (native for float32, int32 and bool).
import {OnesLike} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {fillLikeOp} from './elementwise_utils.js';

export const onesLikeConfig: KernelSpec = fillLikeOp(OnesLike);
