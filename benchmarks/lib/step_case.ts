// The pieces of a timed iBOT training step shared by benchmarks/step.ts (CPU backends) and benchmarks/gpu/step_gpu.ts
// ('cuda'): a preset with a schedule long enough for the timed steps, and fixed random crops made once.
import {presets, resolveTrainConfig, type IbotTrainConfig, type PresetName} from '@ibotjs/ibot';

/** The synthetic dataset's size in batches: one epoch of the schedule (the step indexes schedules by global step). */
export const STEPS_PER_EPOCH = 10;

/**
 * `preset` with `overrides`, on a synthetic dataset of STEPS_PER_EPOCH batches and a schedule of at least 10 epochs
 * (more when `steps`, the steps the caller will run, needs them); one warm-up epoch, no loader workers.
 */
export function benchConfig(overrides: Partial<IbotTrainConfig>, preset: PresetName, steps = 0): IbotTrainConfig {
  const base = presets[preset];
  const batchSize = overrides.batchSize ?? base.batchSize;
  const imgSize = overrides.imgSize ?? base.imgSize;
  return resolveTrainConfig({
    ...overrides, epochs: Math.max(10, Math.ceil(steps / STEPS_PER_EPOCH)), warmupEpochs: 1,
    warmupTeacherTempEpochs: 1, numWorkers: 0,
    normalize: base.inChans === 3 ? 'imagenet' : {mean: [0.5], std: [0.25]},
    data: {kind: 'synthetic', size: batchSize * STEPS_PER_EPOCH, height: imgSize, width: imgSize,
           channels: base.inChans === 3 ? 3 : 1},
  }, preset);
}

export type CropShape = [number, number, number, number];

/** Fixed crops in [-1, 1], crop-major as the loader delivers them: G × [B, S, S, C] then L × [B, s, s, C]. */
export function makeCrops(c: IbotTrainConfig): {crops: Float32Array[]; shapes: CropShape[]} {
  let seed = 1;
  const rand = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      a[i] = (seed / 2 ** 31) - 1;
    }
    return a;
  };
  const shapes: CropShape[] = [
    ...Array.from({length: c.globalCropsNumber}, (): CropShape => [c.batchSize, c.imgSize, c.imgSize, c.inChans]),
    ...Array.from({length: c.localCropsNumber}, (): CropShape => [c.batchSize, c.localCropSize, c.localCropSize, c.inChans]),
  ];
  return {crops: shapes.map((s) => rand(s[0] * s[1] * s[2] * s[3])), shapes};
}

/** The middle value (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
