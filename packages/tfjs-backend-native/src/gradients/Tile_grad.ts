// Tile's gradient as one reshape and one sum. tfjs-core 4.22 builds one slice + add per repetition (r0*r1*... pairs
// of kernels, and only up to rank 4); broadcastTo runs Tile, so every broadcast in a model pays for that.
import {cast, type GradConfig, type NamedAttrMap, reshape, sum, type Tensor, Tile} from '@tensorflow/tfjs-core';

/**
 * tile(x, reps)[..., r_i*d_i + j_i, ...] = x[..., j_i, ...], so dy reshaped to [r0, d0, r1, d1, ...] and summed over
 * the r axes is dx. Axes with r = 1 are not split, and neighbouring axes of the same kind (summed or kept) are merged,
 * so the reshape has the lowest rank that expresses the sum: [B, N, 3*D] with reps [1, 1, 3] becomes [B*N, 3, D].
 */
export function tileGrad(dy: Tensor, xShape: readonly number[], reps: readonly number[]): Tensor {
  const dims: number[] = [];
  const summed: boolean[] = [];
  const push = (size: number, isRep: boolean) => {
    if (dims.length > 0 && summed[summed.length - 1] === isRep) dims[dims.length - 1]! *= size;
    else {
      dims.push(size);
      summed.push(isRep);
    }
  };
  xShape.forEach((d, i) => {
    if (reps[i] !== 1) push(reps[i]!, true);
    push(d, false);
  });
  const axes = summed.flatMap((s, i) => (s ? [i] : []));
  if (axes.length === 0) return reshape(dy, xShape as number[]);
  return reshape(sum(reshape(dy, dims), axes), xShape as number[]);
}

export const tileGradConfig: GradConfig = {
  kernelName: Tile,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const {reps} = attrs as unknown as {reps: number[]};
    const g = dy as Tensor;
    // Gradients are float32 (the engine checks); dy is float32 unless a caller seeded an int one.
    return {x: () => tileGrad(g.dtype === 'float32' ? g : cast(g, 'float32'), x.shape, reps)};
  },
};
