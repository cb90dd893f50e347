// EluGrad: the gradient of Elu from (dy, y = elu(x)): dy where y >= 0, else dy * (y + 1) (native for float32).
import {EluGrad} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {binaryOp} from './elementwise_utils.js';

export const eluGradConfig: KernelSpec = binaryOp(EluGrad, ['float32'], {inputs: ['dy', 'y'], sameShape: true});
