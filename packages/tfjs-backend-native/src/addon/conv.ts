// Typed mirror of the conv family (native/src/binding/conv.cc). NHWC float32 images, HWIO filters; the geometry is
// strides [strideHeight, strideWidth], dilations [dilationHeight, dilationWidth] and pads [top, bottom, left, right]
// from tfjs's computeConv2DInfo (bottom/right possibly negative: see kernels/Conv2D.ts), and the native side checks
// all three shapes against it.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];
type Pair = readonly [number, number];
type Pads = readonly [number, number, number, number];

export interface ConvOps {
  /** out [B, outH, outW, outC] = conv(x [B, H, W, inC], filter [fH, fW, inC, outC]). */
  Conv2D(x: NativeHandle, xShape: Shape, filter: NativeHandle, filterShape: Shape, strides: Pair, dilations: Pair,
         pads: Pads, out: NativeHandle, outShape: Shape): void;
  /** dx [B, H, W, inC] from dy [B, outH, outW, outC] and filter [fH, fW, inC, outC]. */
  Conv2DBackpropInput(dy: NativeHandle, dyShape: Shape, filter: NativeHandle, filterShape: Shape, strides: Pair,
                      dilations: Pair, pads: Pads, dx: NativeHandle, dxShape: Shape): void;
  /** dfilter [fH, fW, inC, outC] from x [B, H, W, inC] and dy [B, outH, outW, outC]. */
  Conv2DBackpropFilter(x: NativeHandle, xShape: Shape, dy: NativeHandle, dyShape: Shape, strides: Pair,
                       dilations: Pair, pads: Pads, dfilter: NativeHandle, dfilterShape: Shape): void;
}
