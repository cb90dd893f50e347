// Shared by the conv kernels (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter): tfjs's Conv2DInfo turned into the
// native entries' geometry arguments.
import {backend_util, type Conv2DBackpropInputAttrs, type TensorInfo} from '@tensorflow/tfjs-core';

export type Shape4 = [number, number, number, number];

/** strides [sH, sW], dilations [dH, dW], pads [top, bottom, left, right]. */
export type NativeConvGeometry =
    [readonly [number, number], readonly [number, number], readonly [number, number, number, number]];

/**
 * The native geometry arguments for a tfjs Conv2DInfo: strides, dilations and pads [top, bottom, left, right].
 * The output size computeConv2DInfo returns is not always what the padding gives: dimRoundingMode can round it up
 * (the last window hangs over the edge and reads zeros, as in the cpu kernel) and numeric padding sizes the width
 * from the filter height and stride height (fewer windows than fit). So bottom/right are the values that yield exactly
 * this output size, possibly negative; top/left place the windows. Null when top/left are negative.
 */
export function nativeConvGeometry(info: backend_util.Conv2DInfo): NativeConvGeometry | null {
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

/** The attributes both conv2d gradient kernels have. */
export type ConvGradientAttrs = Pick<Conv2DBackpropInputAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>;

/**
 * The native geometry of a conv2d gradient kernel for the conv of x [B, H, W, inC] with filter [fH, fW, inC, outC]
 * whose output gradient is dy; `other` is the kernel's second input tensor (filter or x). Null when the cpu kernel
 * must run: a dtype other than float32, NCHW, a rank other than 4, negative top/left padding, or a dy that does not
 * have the conv's output shape (inconsistent input that tfjs's conv2dTranspose lets through; the cpu kernel reads the
 * part of dy the geometry names, and we reproduce that by running it). Dilation is 1, as in the cpu kernels (tfjs has
 * no gradient for dilated conv2d).
 */
export function convGradientGeometry(xShape: readonly number[], filterShape: readonly number[], dy: TensorInfo,
                                     other: TensorInfo, attrs: ConvGradientAttrs): NativeConvGeometry | null {
  const {strides, pad, dataFormat, dimRoundingMode} = attrs;
  if (dy.dtype !== 'float32' || other.dtype !== 'float32' || dataFormat === 'NCHW' || dy.shape.length !== 4 ||
      xShape.length !== 4 || filterShape.length !== 4) {
    return null;
  }
  const info = backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, strides, 1, pad,
                                              dimRoundingMode, false, 'channelsLast');
  const geometry = nativeConvGeometry(info);
  const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (!geometry || dy.shape.some((d, i) => d !== dyShape[i])) return null;
  return geometry;
}
