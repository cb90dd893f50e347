// Any: Any (logical or) of bool over any axes (keepDims).
import {Any} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {reduceKernel} from './reduce_utils.js';

export const anyConfig: KernelSpec = reduceKernel(Any, (addon) => addon.Any, {
  axisAttr: 'axis',
  dtypes: ['bool'],
  outDtype: () => 'bool',
});
