// Conv2DBackpropFilter: the gradient of Conv2D with respect to its filter (im2col(x)^T . dy), NHWC float32.
import {Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {convGradientGeometry} from './conv_utils.js';

export const conv2DBackpropFilterConfig: KernelSpec = {
  kernelName: Conv2DBackpropFilter,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {x, dy} = inputs as {x: TensorInfo; dy: TensorInfo};
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    const geometry = convGradientGeometry(x.shape, a.filterShape, dy, x, a);
    if (!geometry) return be.runOnCpu(Conv2DBackpropFilter, inputs, attrs);
    const shape = [...a.filterShape];
    const dw = be.makeOutput(shape, 'float32');
    return be.compute(dw, (o) => be.addon.Conv2DBackpropFilter(be.handle(x), x.shape, be.handle(dy), dy.shape,
                                                               ...geometry, o, shape));
  },
};
