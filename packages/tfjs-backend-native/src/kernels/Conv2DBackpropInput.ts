// Conv2DBackpropInput: the gradient of Conv2D with respect to its input (dy . filter^T, then col2im), NHWC float32.
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {nativeConvGeometry} from './Conv2D.js';

type Shape4 = [number, number, number, number];

export const conv2DBackpropInputConfig: KernelSpec = {
  kernelName: Conv2DBackpropInput,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {dy, filter} = inputs as {dy: TensorInfo; filter: TensorInfo};
    const {inputShape, strides, pad, dataFormat, dimRoundingMode} = attrs as unknown as Conv2DBackpropInputAttrs;
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW' || dy.shape.length !== 4 ||
        filter.shape.length !== 4 || inputShape.length !== 4) {
      return be.runOnCpu(Conv2DBackpropInput, inputs, attrs);
    }
    // As the cpu kernel: the gradient kernels always have dilation 1 (tfjs has no gradient for dilated conv2d).
    const info = backend_util.computeConv2DInfo(inputShape as Shape4, filter.shape as Shape4, strides, 1, pad,
                                                dimRoundingMode, false, 'channelsLast');
    const geometry = nativeConvGeometry(info);
    // A dy that does not have the conv's output shape is inconsistent input (tfjs's conv2dTranspose lets it through);
    // the cpu kernel reads the part of it the geometry names, and we reproduce that by running it.
    const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    if (!geometry || dy.shape.some((d, i) => d !== dyShape[i])) return be.runOnCpu(Conv2DBackpropInput, inputs, attrs);
    const shape = [...inputShape];
    const dx = be.makeOutput(shape, 'float32');
    return be.compute(dx, (o) => be.addon.Conv2DBackpropInput(be.handle(dy), dy.shape, be.handle(filter),
                                                              filter.shape, ...geometry, o, shape));
  },
};
