// Corrected or cheaper gradients for stock tfjs kernels (DESIGN §4), registered over tfjs-core 4.22's own.
//
// - BatchMatMul: 4.22 does not reduce broadcast batch dims (tf.grad throws on [B, N, D] x [D, E]).
// - Tile: 4.22 builds one slice + add per repetition; ours is one reshape + one sum, for any rank.
// - Sum, Mean: 4.22 multiplies by ones(x.shape) built on the host; ours reshape and broadcast dy.
//
// _FusedMatMul needs no entry here, and one would never run: tf.fused.matMul defines its gradient inline with
// customGrad, and the engine records kernels run inside a custom op's forward function on no tape (isTapeOn needs
// kernelDepth 0), so a gradient registered for '_FusedMatMul' is never looked up. That inline gradient has the same
// broadcast bug (tf.grad throws when a's and b's flattened batches differ, e.g. [B, N, D] x [D, E]) and can only be
// avoided by the caller: fold the batch into rows ([B*N, D] x [D, E]) before calling tf.fused.matMul.
import {type GradConfig, registerGradient} from '@tensorflow/tfjs-core';

import {batchMatMulGradConfig} from './BatchMatMul_grad.js';
import {meanGradConfig} from './Mean_grad.js';
import {sumGradConfig} from './Sum_grad.js';
import {tileGradConfig} from './Tile_grad.js';

export const gradientOverrides: readonly GradConfig[] = [
  batchMatMulGradConfig,
  tileGradConfig,
  sumGradConfig,
  meanGradConfig,
];

/**
 * Registers the overrides. tfjs-core's registry keeps the last registration per kernel name, so this runs when a
 * native backend is first created (after the application's imports, including a late register_all_gradients) and
 * again cheaply on each later creation.
 */
export function registerGradientOverrides(): void {
  for (const config of gradientOverrides) registerGradient(config);
}
