// The machine's measured FP32 FMA peak (benchmarks/peak/fma_peak.cc, compiled with g++ on first use and cached), for
// 256-bit and, where the CPU has it, 512-bit FMAs: CPUs differ in whether AVX-512 doubles the rate (Zen 5, Intel server
// cores) or not (Zen 4 double-pumps it), so the ceiling is whichever is higher.
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface FmaPeak {
  avx2: {perCore: number; allCores: number};
  avx512: {perCore: number; allCores: number} | null;
  /** The higher of the two all-cores figures: the machine's FP32 ceiling. */
  ceiling: number;
  threads: number;
  how: string;
}

function binary(): string {
  const src = join(here, '..', 'peak', 'fma_peak.cc');
  const bin = join(here, '..', '.cache', 'fma_peak');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(bin), {recursive: true});
    execFileSync('g++', ['-O3', '-mavx2', '-mfma', '-Wno-psabi', '-std=c++17', '-pthread', src, '-o', bin]);
  }
  return bin;
}

/** Best of `repeats` 0.2 s runs of fma_peak in `mode` on `threads` threads (GFLOP/s; 0 where the CPU lacks `mode`). */
function bestRate(mode: 'avx2' | 'avx512' | 'bf16', threads: number, repeats: number): number {
  const bin = binary();
  return Math.max(...Array.from({length: repeats},
                                () => Number(execFileSync(bin, [mode, String(threads), '0.2'], {encoding: 'utf8'}))));
}

/**
 * Best of `repeats` runs per setting: on a shared machine other tenants steal cycles in bursts, and the best run is
 * the closest to the hardware's ceiling (so efficiency figures computed against it err on the low side).
 */
export function measureFmaPeak(threads: number, repeats = 5): FmaPeak {
  const best = (isa: 'avx2' | 'avx512', n: number) => bestRate(isa, n, repeats);
  const avx2 = {perCore: best('avx2', 1), allCores: best('avx2', threads)};
  const wide = best('avx512', 1);
  const avx512 = wide > 0 ? {perCore: wide, allCores: best('avx512', threads)} : null;
  return {
    avx2,
    avx512,
    ceiling: Math.max(avx2.allCores, avx512?.allCores ?? 0),
    threads,
    how: `12 independent FMA chains per thread for 0.2 s with 256-bit and 512-bit vectors, best of ${repeats} runs; ` +
         `GFLOP/s = FMAs x lanes x 2 / s (benchmarks/peak/fma_peak.cc)`,
  };
}

/**
 * The all-threads rate of AVX-512 BF16 dot products (vdpbf16ps: bf16 inputs, FP32 accumulation; GFLOP/s counting
 * each product and its addition), best of `repeats` runs; null where the CPU lacks them. The ceiling a kernel would
 * have if its products took bf16 inputs, which is what a precision trade-off would buy on this machine.
 */
export function measureBf16DotPeak(threads: number, repeats = 5): {perCore: number; allCores: number} | null {
  const perCore = bestRate('bf16', 1, repeats);
  return perCore > 0 ? {perCore, allCores: bestRate('bf16', threads, repeats)} : null;
}

export function describePeak(p: FmaPeak): string {
  const f = (x: number) => x.toFixed(0);
  return `AVX2 ${f(p.avx2.perCore)} GFLOP/s per core, ${f(p.avx2.allCores)} on ${p.threads} threads` +
         (p.avx512 ? `; AVX-512 ${f(p.avx512.perCore)} per core, ${f(p.avx512.allCores)} on ${p.threads} threads` :
                     '; no AVX-512');
}

/** The higher of two measurements, setting by setting (benchmarks probe several times and keep the best). */
export function bestPeak(a: FmaPeak, b: FmaPeak): FmaPeak {
  const best = (x: {perCore: number; allCores: number}, y: {perCore: number; allCores: number}) =>
      ({perCore: Math.max(x.perCore, y.perCore), allCores: Math.max(x.allCores, y.allCores)});
  const avx512 = a.avx512 && b.avx512 ? best(a.avx512, b.avx512) : (a.avx512 ?? b.avx512);
  const avx2 = best(a.avx2, b.avx2);
  return {...a, avx2, avx512, ceiling: Math.max(avx2.allCores, avx512?.allCores ?? 0)};
}
