// pnpm bench:kernels — stock tfjs kernels on 'native' vs tfjs's 'wasm' and 'cpu' backends, side by side in one
// process: medians after warm-up, ratios, GFLOP/s against the FMA peak measured in the same run. Writes
// benchmarks/results/kernels-cpu.md. Options: --only <substring> to run a subset, --backends native,wasm,cpu.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import {writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

import {nativeAddon} from '@ibotjs/tfjs-backend-native';
import {timeCase, type Timing, useBackend} from './lib/harness.js';
import {loadKernelCases} from './lib/kernel_cases.js';
import {describeMachine} from './lib/machine.js';
import {bestPeak, describePeak, measureFmaPeak} from './lib/peak.js';

const {values: args} = parseArgs({
  options: {only: {type: 'string'}, backends: {type: 'string', default: 'native,wasm,cpu'}, out: {type: 'string'}},
});
const backends = args.backends!.split(',');
const here = dirname(fileURLToPath(import.meta.url));

const cases = loadKernelCases(args.only);

const threads = nativeAddon().info().cpu.threads;
const peakBefore = measureFmaPeak(threads);
console.log(describeMachine());
console.log(`FP32 FMA peak before the kernels: ${describePeak(peakBefore)}\n`);

const results = new Map<string, Map<string, Timing>>();
let peakDuring = peakBefore;
for (const backend of backends) {
  await useBackend(backend);
  for (const c of cases) {
    // The peak is probed again next to every native GEMM, so a burst of load from other tenants of a shared machine
    // cannot make the ceiling look lower than the hardware's (the best probe wins).
    if (backend === 'native' && c.flops) peakDuring = bestPeak(peakDuring, measureFmaPeak(threads, 3));
    // tfjs cpu takes ~1 GFLOP/s: one timed run after one warm-up is all the large GEMMs can afford.
    const slow = backend === 'cpu' && (c.flops ?? 0) > 1e9;
    const t = timeCase(c, () => {}, undefined, slow ? {warmup: 1, minIters: 1, budgetMs: 0} : {});
    if (!results.has(c.name)) results.set(c.name, new Map());
    results.get(c.name)!.set(backend, t);
    console.log(`  ${backend.padEnd(6)} ${c.name}: ${t.medianMs.toFixed(2)} ms (median of ${t.iters})`);
  }
}

const peak = bestPeak(peakDuring, measureFmaPeak(threads));
console.log(`\nFP32 FMA peak: ${describePeak(peak)} (${peak.how}; probed before, between and after the kernels, ` +
            'best of all probes)');

const fmt = (ms?: number) => (ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));
const ratio = (a?: number, b?: number) => (a && b ? `${(b / a).toFixed(1)}×` : '—');
const header = ['kernel', ...backends.map((b) => `${b} ms`), 'native vs wasm', 'native vs cpu', 'native GFLOP/s',
                '% of FMA peak'];
const rows = cases.map((c) => {
  const r = results.get(c.name)!;
  const n = r.get('native')?.medianMs;
  const gflops = c.flops && n ? c.flops / n / 1e6 : undefined;
  return [c.name, ...backends.map((b) => fmt(r.get(b)?.medianMs)), ratio(n, r.get('wasm')?.medianMs),
          ratio(n, r.get('cpu')?.medianMs), gflops ? gflops.toFixed(0) : '—',
          gflops ? `${(100 * gflops / peak.ceiling).toFixed(0)} %` : '—'];
});
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(`\n${table}`);

const md = `# Stock kernels on the CPU: native vs tfjs wasm and cpu

Produced by \`pnpm bench:kernels\` (benchmarks/kernels.ts): each kernel through the same tfjs op on each backend in one
process, inputs made on that backend, ${2} warm-up runs, then the median of repeated runs (at least 3, up to a 2 s budget;
tfjs cpu's large GEMMs get one warm-up and one timed run). Ratios are time(other) / time(native).

Machine:
\`\`\`
${describeMachine()}
\`\`\`

FP32 FMA peak measured in the same run: **${describePeak(peak)}** — ${peak.how}; probed before the kernels, next to
every native GEMM and after them, best of all probes. "% of FMA peak" divides native
GFLOP/s by the higher all-threads figure (${peak.ceiling.toFixed(0)} GFLOP/s).

${table}
`;
const out = args.out ?? join(here, 'results', 'kernels-cpu.md');
writeFileSync(out, md);
console.log(`\nwritten to ${out}`);
