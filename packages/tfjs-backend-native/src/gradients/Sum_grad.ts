// Sum's gradient as a reshape + broadcast of dy. tfjs-core 4.22 multiplies by ones(x.shape) made on the host, which on
// a native or GPU backend is an x-sized upload per backward pass.
import {cast, type GradConfig, type NamedAttrMap, Sum, type Tensor, util} from '@tensorflow/tfjs-core';

import {expandReduced} from './grad_util.js';

export const sumGradConfig: GradConfig = {
  kernelName: Sum,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const axes = util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
    const g = dy as Tensor;
    // float32 like tfjs's (its product with float32 ones upcasts an int dy); the engine requires float32 gradients.
    return {x: () => expandReduced(g.dtype === 'float32' ? g : cast(g, 'float32'), x.shape, axes)};
  },
};
