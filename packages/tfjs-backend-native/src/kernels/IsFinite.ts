// IsFinite: x is neither NaN nor infinite (native).
import {IsFinite} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const isFiniteConfig: KernelSpec = unaryOp(IsFinite, ['float32', 'int32', 'bool'], 'bool');
