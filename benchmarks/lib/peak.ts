// The machine's measured FP32 FMA peak (benchmarks/peak/fma_peak.cc, compiled with g++ on first use and cached).
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface FmaPeak {
  perCoreGflops: number;
  allCoresGflops: number;
  threads: number;
  how: string;
}

/** Best of `repeats` runs with 1 thread and with `threads` threads (the machine may be shared: the best is the ceiling). */
export function measureFmaPeak(threads: number, repeats = 3): FmaPeak {
  const cacheDir = join(here, '..', '.cache');
  const bin = join(cacheDir, 'fma_peak');
  if (!existsSync(bin)) {
    mkdirSync(cacheDir, {recursive: true});
    execFileSync('g++', ['-O2', '-mavx2', '-mfma', '-std=c++17', '-pthread', join(here, '..', 'peak', 'fma_peak.cc'),
                         '-o', bin]);
  }
  const best = (n: number) =>
      Math.max(...Array.from({length: repeats}, () => Number(execFileSync(bin, [String(n), '0.4'], {encoding: 'utf8'}))));
  const perCore = best(1);
  const all = best(threads);
  return {
    perCoreGflops: perCore,
    allCoresGflops: all,
    threads,
    how: `12 independent 256-bit FMA chains per thread for 0.4 s, best of ${repeats} runs; ` +
         `GFLOP/s = FMAs x 8 lanes x 2 / s (benchmarks/peak/fma_peak.cc)`,
  };
}
