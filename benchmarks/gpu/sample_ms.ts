// GPU timing shared by the GPU benchmarks (kernels_gpu.ts, fused_gpu.ts): runs are queued asynchronously on the
// device, so a sample is many runs between two synchronisations, sized to ~20 ms so launch overhead and timer
// resolution do not dominate.
import {nativeAddon} from '@ibotjs/tfjs-backend-native';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Per-run milliseconds of `run` (which disposes what it makes): the median of `samples` samples of ~20 ms each. */
export function sampleMs(run: () => void, samples = 9): number {
  const addon = nativeAddon();
  run();
  addon.synchronize();
  let t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 20 || reps < 3) {  // calibrate how many runs make a ~20 ms sample
    run();
    reps++;
    if (reps % 4 === 0) addon.synchronize();
  }
  addon.synchronize();
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    addon.synchronize();
    per.push((performance.now() - t0) / reps);
  }
  return median(per);
}
