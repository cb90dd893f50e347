// Conv2D: NHWC convolution on the native im2col + GEMM (float32). NCHW and other dtypes run on the tfjs cpu kernel.
import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

type Shape4 = [number, number, number, number];

/**
 * The native geometry arguments for a tfjs Conv2DInfo: strides, dilations and pads [top, bottom, left, right].
 * The output size computeConv2DInfo returns is not always what the padding gives: dimRoundingMode can round it up
 * (the last window hangs over the edge and reads zeros, as in the cpu kernel) and numeric padding sizes the width
 * from the filter height and stride height (fewer windows than fit). So bottom/right are the values that yield exactly
 * this output size, possibly negative; top/left place the windows. Null when top/left are negative.
 */
export function nativeConvGeometry(info: backend_util.Conv2DInfo):
    [readonly [number, number], readonly [number, number], readonly [number, number, number, number]] | null {
  const p = info.padInfo;
  if (p.top < 0 || p.left < 0) return null;
  const end = (out: number, stride: number, effective: number, size: number, lo: number, hi: number) =>
      out > 0 ? (out - 1) * stride + effective - size - lo : hi;
  const bottom = end(info.outHeight, info.strideHeight, info.effectiveFilterHeight, info.inHeight, p.top, p.bottom);
  const right = end(info.outWidth, info.strideWidth, info.effectiveFilterWidth, info.inWidth, p.left, p.right);
  return [
    [info.strideHeight, info.strideWidth],
    [info.dilationHeight, info.dilationWidth],
    [p.top, bottom, p.left, right],
  ];
}

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
