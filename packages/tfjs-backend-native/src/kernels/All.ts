// All: All (logical and) of bool over any axes (keepDims).
import {All} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {reduceKernel} from './reduce_utils.js';

export const allConfig: KernelSpec = reduceKernel(All, (addon) => addon.All, {
  axisAttr: 'axis',
  dtypes: ['bool'],
  outDtype: () => 'bool',
});
