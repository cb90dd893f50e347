// Conv2D: NHWC convolution on the native im2col + GEMM (float32). NCHW and other dtypes run on the tfjs cpu kernel.
import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

import {nativeConvGeometry, type Shape4} from './conv_utils.js';

export const conv2DConfig: KernelSpec = {
  kernelName: Conv2D,
  kernelFunc: ({inputs, backend, attrs}) => {
    const be = backend as NativeBackend;
    const {x, filter} = inputs as {x: TensorInfo; filter: TensorInfo};
    const {strides, pad, dataFormat, dilations, dimRoundingMode} = attrs as unknown as Conv2DAttrs;
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW' || x.shape.length !== 4 ||
        filter.shape.length !== 4) {
      return be.runOnCpu(Conv2D, inputs, attrs);
    }
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad,
                                                dimRoundingMode, false, 'channelsLast');
    const geometry = nativeConvGeometry(info);
    if (!geometry) return be.runOnCpu(Conv2D, inputs, attrs);
    const out = be.makeOutput(info.outShape, 'float32');
    return be.compute(out, (o) => be.addon.Conv2D(be.handle(x), x.shape, be.handle(filter), filter.shape, ...geometry,
                                                  o, info.outShape));
  },
};
