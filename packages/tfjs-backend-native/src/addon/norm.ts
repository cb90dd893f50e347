// Typed mirror of the norm family (native/src/binding/norm.cc): the fused kernels LayerNormFused(+Grad),
// LinearBiasGelu, GeluGrad, L2Normalize(+Grad) and WeightNorm(+Grad) of packages/ops/src/kernel_names.ts. Everything
// is float32 on one device; outputs are allocated by the caller, passed in, and must not share a buffer with any other
// argument. "rows" are all leading dimensions of x.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

export interface NormOps {
  /** x [..., D], gamma [D], beta [D]; y [..., D], mean and rstd [...]. eps: finite, >= 0. */
  LayerNormFused(x: NativeHandle, xShape: Shape, gamma: NativeHandle, gammaShape: Shape, beta: NativeHandle,
                 betaShape: Shape, eps: number, y: NativeHandle, yShape: Shape, mean: NativeHandle, meanShape: Shape,
                 rstd: NativeHandle, rstdShape: Shape): void;
  /** dy, x [..., D], gamma [D], mean and rstd [...]; dx [..., D], dgamma and dbeta [D] (summed over all rows). */
  LayerNormFusedGrad(dy: NativeHandle, dyShape: Shape, x: NativeHandle, xShape: Shape, gamma: NativeHandle,
                     gammaShape: Shape, mean: NativeHandle, meanShape: Shape, rstd: NativeHandle, rstdShape: Shape,
                     dx: NativeHandle, dxShape: Shape, dgamma: NativeHandle, dgammaShape: Shape,
                     dbeta: NativeHandle, dbetaShape: Shape): void;
  /** x [M, K], w [K, N], b [N]; y = GELU(z) and z = x w + b, both [M, N]. */
  LinearBiasGelu(x: NativeHandle, xShape: Shape, w: NativeHandle, wShape: Shape, b: NativeHandle, bShape: Shape,
                 y: NativeHandle, yShape: Shape, z: NativeHandle, zShape: Shape): void;
  /** dz = dy · GELU'(z); all three of one shape. */
  GeluGrad(dy: NativeHandle, dyShape: Shape, z: NativeHandle, zShape: Shape, dz: NativeHandle, dzShape: Shape): void;
  /** x [..., D]; y [..., D] = x / max(‖x‖, eps), norm [...] = ‖x‖ (before the clamp). */
  L2Normalize(x: NativeHandle, xShape: Shape, eps: number, y: NativeHandle, yShape: Shape, norm: NativeHandle,
              normShape: Shape): void;
  /** dy, y [..., D], norm [...]; dx [..., D]. */
  L2NormalizeGrad(dy: NativeHandle, dyShape: Shape, y: NativeHandle, yShape: Shape, norm: NativeHandle,
                  normShape: Shape, eps: number, dx: NativeHandle, dxShape: Shape): void;
  /** v [K, C], g [K, 1]; w [K, C] = g · v / ‖v‖ per row, vNorm [K]. */
  WeightNorm(v: NativeHandle, vShape: Shape, g: NativeHandle, gShape: Shape, w: NativeHandle, wShape: Shape,
             vNorm: NativeHandle, vNormShape: Shape): void;
  /** dw, v [K, C], g [K, 1], vNorm [K]; dv [K, C], dg [K, 1]. */
  WeightNormGrad(dw: NativeHandle, dwShape: Shape, v: NativeHandle, vShape: Shape, g: NativeHandle, gShape: Shape,
                 vNorm: NativeHandle, vNormShape: Shape, dv: NativeHandle, dvShape: Shape, dg: NativeHandle,
                 dgShape: Shape): void;
}
