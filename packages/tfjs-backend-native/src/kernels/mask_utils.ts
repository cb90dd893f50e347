// Input checks shared by MaskApply and MaskApplyGrad. These fused kernels have no tfjs cpu twin to fall back to, so
// inputs they cannot take are an Error naming the kernel and the shapes.
import type {TensorInfo} from '@tensorflow/tfjs-core';

/** x [B, N, D] float32 (tokens or dy) and mask [B, N] bool. */
export function checkMaskRows(kernel: string, name: string, x: TensorInfo, mask: TensorInfo): void {
  const [bSize, n] = x.shape;
  if (x.dtype !== 'float32' || x.shape.length !== 3) {
    throw new Error(`${kernel}: ${name} must be float32 [B, N, D], got ${x.dtype}[${x.shape}]`);
  }
  if (mask.dtype !== 'bool' || mask.shape.length !== 2 || mask.shape[0] !== bSize || mask.shape[1] !== n) {
    throw new Error(
        `${kernel}: mask must be bool[${bSize},${n}] for ${name} [${x.shape}], got ${mask.dtype}[${mask.shape}]`);
  }
}
