// Prod: Prod over any axes (keepDims); left-to-right double product like tfjs cpu, bool gives int32.
import {Prod} from '@tensorflow/tfjs-core';

import type {KernelSpec} from '../kernel_utils.js';
import {numericDtypes, reduceKernel, upcastToInt} from './reduce_utils.js';

export const prodConfig: KernelSpec = reduceKernel(Prod, (addon) => addon.Prod, {
  axisAttr: 'axis',
  dtypes: numericDtypes,
  outDtype: upcastToInt,
});
