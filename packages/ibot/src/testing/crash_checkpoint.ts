// The deterministic checkpoint number k of the crash-safety test (shared by the writer child and the checking parent).
import type {Checkpoint} from '../checkpoint/store.js';
import type {FloatTensor} from '../checkpoint/safetensors.js';

/** Value j of tensor `salt` in checkpoint k: exact in float32 for k < 16000. */
export function crashValue(k: number, salt: number, j: number): number {
  return k * 1000 + ((j * 7 + salt) % 1000);
}

function filled(k: number, salt: number, shape: number[]): FloatTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let j = 0; j < n; j++) data[j] = crashValue(k, salt, j);
  return {shape, data};
}

/** About 4·floats·4 bytes in all, spread over the three tensor files. */
export function crashCheckpoint(k: number, floats: number): Checkpoint {
  return {
    student: {'backbone.w': filled(k, 1, [floats / 4, 4]), 'head.b': filled(k, 2, [5])},
    teacher: {'backbone.w': filled(k, 3, [floats / 4, 4]), 'head.b': filled(k, 4, [5])},
    tensors: {'optimizer.exp_avg.backbone.w': filled(k, 5, [floats]), 'optimizer.exp_avg_sq.backbone.w': filled(k, 6, [floats])},
    state: {epoch: Math.floor(k / 10), step: k, rng: {seed: 7, counter: k}, lossLogPosition: 3 * k},
  };
}
