// Conv2DBackpropFilter: the gradient of Conv2D with respect to its filter (im2col(x)^T . dy), NHWC float32.
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {nativeConvGeometry} from './Conv2D.js';

type Shape4 = [number, number, number, number];

export const conv2DBackpropFilterConfig: KernelSpec = {
  kernelName: Conv2DBackpropFilter,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {x, dy} = inputs as {x: TensorInfo; dy: TensorInfo};
    const {strides, pad, dataFormat, dimRoundingMode, filterShape} = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || dataFormat === 'NCHW' || x.shape.length !== 4 ||
        dy.shape.length !== 4 || filterShape.length !== 4) {
      return be.runOnCpu(Conv2DBackpropFilter, inputs, attrs);
    }
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filterShape as Shape4, strides, 1, pad,
                                                dimRoundingMode, false, 'channelsLast');
    const geometry = nativeConvGeometry(info);
    // A dy that does not have the conv's output shape is inconsistent input (tfjs's conv2dTranspose lets it through);
    // the cpu kernel reads the part of it the geometry names, and we reproduce that by running it.
    const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    if (!geometry || dy.shape.some((d, i) => d !== dyShape[i])) return be.runOnCpu(Conv2DBackpropFilter, inputs, attrs);
    const shape = [...filterShape];
    const dw = be.makeOutput(shape, 'float32');
    return be.compute(dw, (o) => be.addon.Conv2DBackpropFilter(be.handle(x), x.shape, be.handle(dy), dy.shape,
                                                               ...geometry, o, shape));
  },
};
