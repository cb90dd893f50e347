// Mean's gradient as dy / count, reshaped and broadcast to x's shape. tfjs-core 4.22 multiplies by ones(x.shape) made
// on the host and then divides the x-sized result; here the division runs on the small dy.
import {
  backend_util, cast, div, type GradConfig, Mean, type NamedAttrMap, type Tensor, util,
} from '@tensorflow/tfjs-core';

import {expandReduced} from './grad_util.js';

export const meanGradConfig: GradConfig = {
  kernelName: Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const axes = util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const count = util.sizeFromShape(reduceShape);
    const g = dy as Tensor;
    return {x: () => expandReduced(div(g.dtype === 'float32' ? g : cast(g, 'float32'), count), x.shape, axes)};
  },
};
