// Equal: a == b (NaN is unequal to everything) (broadcasting, native).
import {Equal} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const equalConfig: KernelSpec = binaryOp(Equal, ['float32', 'int32', 'bool'], {out: 'bool'});
