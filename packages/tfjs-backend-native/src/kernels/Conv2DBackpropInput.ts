// Conv2DBackpropInput: the gradient of Conv2D with respect to its input (dy . filter^T, then col2im), NHWC float32.
import {Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {convGradientGeometry} from './conv_utils.js';

export const conv2DBackpropInputConfig: KernelSpec = {
  kernelName: Conv2DBackpropInput,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {dy, filter} = inputs as {dy: TensorInfo; filter: TensorInfo};
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    const geometry = convGradientGeometry(a.inputShape, filter.shape, dy, filter, a);
    if (!geometry) return be.runOnCpu(Conv2DBackpropInput, inputs, attrs);
    const shape = [...a.inputShape];
    const dx = be.makeOutput(shape, 'float32');
    return be.compute(dx, (o) => be.addon.Conv2DBackpropInput(be.handle(dy), dy.shape, be.handle(filter),
                                                              filter.shape, ...geometry, o, shape));
  },
};
