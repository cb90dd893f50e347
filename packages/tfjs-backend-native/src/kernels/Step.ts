// Step: 1 where x > 0, alpha elsewhere, NaN kept (native for float32).
import {Step, type StepAttrs} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {unaryOp} from './elementwise_utils.js';

export const stepConfig: KernelSpec =
    unaryOp(Step, ['float32'], 'same', (attrs) => [(attrs as unknown as StepAttrs).alpha]);
