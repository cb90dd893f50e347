// Sum: Sum over any axes (keepDims); float32 accumulates in double like tfjs cpu, int32/bool give int32.
import {Sum} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes, reduceKernel, upcastToInt} from './reduce_utils.js';

export const sumConfig: KernelSpec = reduceKernel(Sum, (addon) => addon.Sum, {
  axisAttr: 'axis',
  dtypes: numericDtypes,
  outDtype: upcastToInt,
});
