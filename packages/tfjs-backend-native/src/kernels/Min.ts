// Min: Min over any axes (keepDims); NaN propagates.
import {Min} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes, reduceKernel} from './reduce_utils.js';

export const minConfig: KernelSpec = reduceKernel(Min, (addon) => addon.Min, {
  axisAttr: 'axis',
  dtypes: numericDtypes,
  outDtype: (d) => d,
});
