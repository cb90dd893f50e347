// Max: Max over any axes (keepDims; the attribute is reductionIndices); NaN propagates.
import {Max} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes, reduceKernel} from './reduce_utils.js';

export const maxConfig: KernelSpec = reduceKernel(Max, (addon) => addon.Max, {
  axisAttr: 'reductionIndices',
  dtypes: numericDtypes,
  outDtype: (d) => d,
});
