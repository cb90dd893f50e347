// pnpm bench:step — images/s of one full iBOT training step (student forward and backward, loss, clipping, AdamW,
// teacher EMA, centres) for the fmnist-vit-tiny preset and a reduced ViT-S/16 step (2 global 96 px + 4 local 48 px
// crops, K = 8192, batch 8), on 'native', 'wasm' and 'cpu' side by side in one process, with the kernels that fell back
// to tfjs cpu during the timed steps. Writes benchmarks/results/step-cpu.md. The crops are fixed random images made
// once (the step is timed, not the data loader). Options: --backends native,wasm,cpu, --only <substring>,
// --fmnist-batch B (default 16: at the preset's 64 the step needs more than tfjs-wasm's 4 GiB heap), --quick (one
// warm-up and one timed step per cell, none on cpu: checks the script, not a measurement), --out FILE.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import {writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

import {registerWasmKernels} from '@ibotjs/cli';
import {syntheticDataset} from '@ibotjs/data';
import {IbotTrainer, type IbotTrainConfig} from '@ibotjs/ibot';
import type {NativeBackend} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';

import {useBackend} from './lib/harness.js';
import {describeMachine} from './lib/machine.js';
import {benchConfig, makeCrops, median} from './lib/step_case.js';

const {values: args} = parseArgs({
  options: {
    backends: {type: 'string', default: 'native,wasm,cpu'}, only: {type: 'string'}, quick: {type: 'boolean', default: false},
    'fmnist-batch': {type: 'string', default: '16'}, out: {type: 'string'},
  },
});
const backends = args.backends!.split(',');
registerWasmKernels(); // UnsortedSegmentSum (gather's gradient), which tfjs-wasm 4.22 lacks
const here = dirname(fileURLToPath(import.meta.url));
const fmnistBatch = Number(args['fmnist-batch']);
if (!Number.isInteger(fmnistBatch) || fmnistBatch < 1) throw new Error(`--fmnist-batch must be a positive integer, got ${args['fmnist-batch']}`);

interface StepCase {
  name: string;
  config: IbotTrainConfig;
}

const cases: StepCase[] = [
  {name: `fmnist-vit-tiny (2×28 + 4×12 px, K 1024, batch ${fmnistBatch})`, config: benchConfig({batchSize: fmnistBatch}, 'fmnist-vit-tiny')},
  {name: 'ViT-S/16 reduced (2×96 + 4×48 px, K 8192, batch 8)',
   config: benchConfig({imgSize: 96, localCropsNumber: 4, localCropSize: 48, batchSize: 8}, 'vit-s16-imagenet')},
].filter((c) => !args.only || c.name.includes(args.only));

/** Timed steps per backend: tfjs cpu runs these at ~1 GFLOP/s (minutes per step), so it gets a single timed step. */
const plan = (backend: string) => backend === 'cpu' ? {warmup: 0, min: 1, max: 1, budgetMs: 0} :
    args.quick ? {warmup: 1, min: 1, max: 1, budgetMs: 0} :
    backend === 'wasm' ? {warmup: 1, min: 2, max: 5, budgetMs: 20_000} : {warmup: 2, min: 5, max: 30, budgetMs: 10_000};

interface Cell {
  imagesPerSec: number;
  medianMs: number;
  steps: number;
  loss: number;
  fallbacks: Record<string, number> | null;
}
type Result = Cell | {error: string};

async function measure(c: StepCase, backend: string): Promise<Result> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  let trainer: IbotTrainer | null = null;
  try {
    const d = c.config.data as {size: number; height: number; width: number; channels: 1 | 3};
    trainer = await IbotTrainer.create(c.config, {dataset: syntheticDataset({...d, numClasses: 10})});
    const batch = makeCrops(c.config);
    const p = plan(backend);
    for (let i = 0; i < p.warmup; i++) trainer.step(batch);
    const native = backend === 'native' || backend === 'cuda' ? tf.backend() as unknown as NativeBackend : null;
    native?.resetFallbacks();
    const times: number[] = [];
    let spent = 0, loss = NaN;
    while (times.length < p.max && (times.length < p.min || spent < p.budgetMs)) {
      const t0 = performance.now();
      const log = trainer.step(batch);
      if (backend === 'cuda') (native as unknown as {addon: {synchronize(): void}}).addon?.synchronize?.();
      const dt = performance.now() - t0;
      times.push(dt);
      spent += dt;
      loss = log.loss;
    }
    const ms = median(times);
    return {imagesPerSec: (c.config.batchSize * 1000) / ms, medianMs: ms, steps: times.length, loss, fallbacks: native ? native.fallbacks() : null};
  } catch (e) {
    return {error: (e as Error).message.split('\n')[0]!};
  } finally {
    await trainer?.dispose();
    const leaked = tf.memory().numTensors - before;
    if (leaked > 0) console.log(`  (${backend}: ${leaked} tensors left after the trainer was disposed)`);
  }
}

console.log(describeMachine());
console.log(args.quick ? '--quick: one warm-up and one timed step per cell (not a measurement)\n' : '');

const results = new Map<string, Map<string, Result>>();
for (const c of cases) {
  const row = new Map<string, Result>();
  results.set(c.name, row);
  for (const b of backends) {
    const r = await measure(c, b);
    row.set(b, r);
    console.log(`  ${b.padEnd(7)} ${c.name}: ` + ('error' in r ? `error: ${r.error}` :
        `${r.imagesPerSec.toFixed(2)} img/s (median ${r.medianMs.toFixed(0)} ms over ${r.steps} steps, loss ${r.loss.toFixed(3)})` +
        (r.fallbacks && Object.keys(r.fallbacks).length ? `, fallbacks ${JSON.stringify(r.fallbacks)}` : '')));
  }
}

const ips = (r: Result | undefined) => (r && !('error' in r) ? r.imagesPerSec : undefined);
const cell = (r: Result | undefined) => (!r ? '—' : 'error' in r ? 'error' : `${r.imagesPerSec.toFixed(2)} (${r.medianMs.toFixed(0)} ms)`);
const others = backends.filter((b) => b !== 'native');
const header = ['step', ...backends.map((b) => `${b} img/s (ms/step)`), ...(backends.includes('native') ? others.map((b) => `native / ${b}`) : []),
                ...(backends.includes('native') ? ['fallbacks on native'] : [])];
const rows = cases.map((c) => {
  const r = results.get(c.name)!;
  const n = ips(r.get('native'));
  const ratios = backends.includes('native') ? others.map((b) => {
    const o = ips(r.get(b));
    return n && o ? `${(n / o).toFixed(1)}×` : '—';
  }) : [];
  const nat = r.get('native');
  const fb = backends.includes('native') ? [!nat || 'error' in nat ? '—' :
      Object.keys(nat.fallbacks ?? {}).length === 0 ? '0' : Object.entries(nat.fallbacks!).map(([k, v]) => `${k} ×${v}`).join(', ')] : [];
  return [c.name, ...backends.map((b) => cell(r.get(b))), ...ratios, ...fb];
});
const table = [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
console.log(`\n${table}`);

const errors = cases.flatMap((c) => [...results.get(c.name)!].flatMap(([b, r]) => ('error' in r ? [`- ${c.name} on ${b}: ${r.error}`] : [])));
const command = `pnpm bench:step${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const md = `# One iBOT training step on the CPU: native vs tfjs wasm and cpu

Produced by \`${command}\` (benchmarks/step.ts): \`IbotTrainer.step\` — student forward and backward, teacher forward,
iBOT loss, per-parameter clipping, AdamW, teacher EMA and centre updates — on each backend in one process, with the same
fixed random crops (data loading is not timed). Images/s = batch size / median step time.
${args.quick ? '**--quick: one warm-up and one timed step per cell (tfjs cpu: one step, no warm-up). These numbers check that the ' +
    'script runs; they are not a measurement.**' :
    'Timing: native 2 warm-up steps then the median of 5–30 steps (10 s budget); wasm 1 warm-up then 2–5 steps (20 s); ' +
    'tfjs cpu one step without warm-up (it takes minutes).'}
"fallbacks on native" lists the kernels that ran on tfjs cpu through a copy during the timed steps (the target is 0).
The fmnist-vit-tiny row runs at batch ${fmnistBatch} (\`--fmnist-batch\`; the preset trains at 64, whose step needs more than the
4 GiB heap of tfjs-wasm). tfjs-wasm 4.22 lacks UnsortedSegmentSum (the gradient of gather); @ibotjs/cli registers a JS
kernel for it (registerWasmKernels), as \`ibot train --device wasm\` does.

Machine:
\`\`\`
${describeMachine()}
\`\`\`

${table}
${errors.length ? `\nErrors:\n${errors.join('\n')}\n` : ''}`;
const out = args.out ?? join(here, 'results', 'step-cpu.md');
writeFileSync(out, md);
console.log(`\nwritten to ${out}`);
