// Mean: Mean over any axes (keepDims); always float32, divided once at the end (0 over an empty axis, like tfjs cpu).
import {Mean} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes, reduceKernel} from './reduce_utils.js';

export const meanConfig: KernelSpec = reduceKernel(Mean, (addon) => addon.Mean, {
  axisAttr: 'axis',
  dtypes: numericDtypes,
  outDtype: () => 'float32',
});
