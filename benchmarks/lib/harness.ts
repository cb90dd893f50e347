// Side-by-side timing of tfjs programs on several backends in one process: inputs made on each backend, warm-up, then
// the median of repeated runs. CPU-side backends finish their kernels before returning; for 'cuda' the stream is
// synchronised after every run so the time covers the kernels.
import * as tf from '@tensorflow/tfjs-core';

export interface BenchInput {
  shape: number[];
  dtype?: 'float32' | 'int32';
}

export interface BenchCase {
  /** Row label, e.g. 'BatchMatMul 512x512x512'. */
  name: string;
  inputs: BenchInput[];
  run: (...xs: tf.Tensor[]) => tf.TensorContainer;
  /** Floating-point operations of one run, for GFLOP/s. */
  flops?: number;
  /** Bytes one run must move at least (inputs read + outputs written), for GB/s. */
  bytes?: number;
}

export interface TimingOptions {
  /** Stop repeating once this much time was spent (after at least minIters runs). */
  budgetMs: number;
  minIters: number;
  maxIters: number;
  warmup: number;
}

export const defaultTiming: TimingOptions = {budgetMs: 2000, minIters: 3, maxIters: 30, warmup: 2};

export interface Timing {
  medianMs: number;
  iters: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function makeInputs(inputs: BenchInput[]): tf.Tensor[] {
  return inputs.map((i) => (i.dtype === 'int32' ? tf.randomUniformInt(i.shape, 0, 10) :
                                                   tf.randomUniform(i.shape, -1, 1, 'float32', 7)));
}

/** Times `c` on the current backend. `sync` waits for queued device work (a no-op on CPU backends). */
export function timeCase(c: BenchCase, sync: () => void, opts: TimingOptions = defaultTiming,
                         iterOverride?: Partial<TimingOptions>): Timing {
  const o = {...opts, ...iterOverride};
  const xs = makeInputs(c.inputs);
  try {
    for (let i = 0; i < o.warmup; i++) {
      tf.dispose(c.run(...xs));
      sync();
    }
    const times: number[] = [];
    let spent = 0;
    while (times.length < o.maxIters && (times.length < o.minIters || spent < o.budgetMs)) {
      const t0 = performance.now();
      const out = c.run(...xs);
      sync();
      const dt = performance.now() - t0;
      tf.dispose(out);
      times.push(dt);
      spent += dt;
    }
    return {medianMs: median(times), iters: times.length};
  } finally {
    tf.dispose(xs);
  }
}

/** Switches to `name` (initialising it if needed) and confirms the switch. */
export async function useBackend(name: string): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend '${name}' is not available`);
  // tfjs cpu prints an advert for tfjs-node on its first write; it is noise in a benchmark table.
  const b = tf.backend() as unknown as {firstUse?: boolean};
  if (b.firstUse) b.firstUse = false;
}
