// The paper-recipe iBOT training step on the GPU (issue 4): IbotTrainer.step on 'cuda' for the vit-s16-imagenet preset
// (ViT-S/16, 2 global 224 px + 10 local 96 px crops with block masks on the globals, K = 8192 shared head, batch 64):
// student forward and backward, teacher forward, loss, per-parameter clipping, AdamW, teacher EMA and centres, on fixed
// random crops made once in host memory (the loader is not timed; the upload of the crops is part of the step, as in
// training). Warm-up steps, then each timed step is one step followed by a synchronisation of the device stream;
// images/s = batch / median step time. Kernels that fell back to tfjs cpu during the timed steps are counted (the
// target is 0). With --torch (the JSON of torch_step.py) and --md it writes the table with PyTorch's figures.
// Checks itself on a machine without a GPU at a tiny size:
//   tsx --conditions=source benchmarks/gpu/step_gpu.ts --backend native --batch 2 --global-size 32 --local-size 16 \
//       --out-dim 256 --steps 2 --warmup 1
import '@tensorflow/tfjs-backend-cpu';
import '@ibotjs/tfjs-backend-native';

import {readFileSync, writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {syntheticDataset} from '@ibotjs/data';
import {IbotTrainer, type StepLog} from '@ibotjs/ibot';
import {info, type NativeBackend, nativeAddon} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';

import {benchConfig, makeCrops, median} from '../lib/step_case.js';

const {values: args} = parseArgs({
  options: {
    backend: {type: 'string', default: 'cuda'},
    batch: {type: 'string', default: '64'},
    'global-size': {type: 'string', default: '224'},
    'local-size': {type: 'string', default: '96'},
    'local-crops': {type: 'string', default: '10'},
    'out-dim': {type: 'string', default: '8192'},
    steps: {type: 'string', default: '10'},
    warmup: {type: 'string', default: '3'},
    json: {type: 'string'},
    /** PyTorch's result (torch_step.py --json); missing or unreadable: its columns show dashes. */
    torch: {type: 'string'},
    md: {type: 'string'},
    /** First line(s) of the markdown file (run.sh's machine description). */
    machine: {type: 'string'},
  },
});

function int(name: keyof typeof args, min: number): number {
  const s = args[name] as string, v = Number(s);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got '${s}'`);
  return v;
}
const batch = int('batch', 1), globalSize = int('global-size', 16), localSize = int('local-size', 16);
const localCrops = int('local-crops', 0), outDim = int('out-dim', 1), steps = int('steps', 1), warmup = int('warmup', 0);
for (const [flag, v] of [['global-size', globalSize], ['local-size', localSize]] as const) {
  if (v % 16 !== 0) throw new Error(`--${flag} must be a multiple of the patch size 16, got ${v}`);
}
const backendName = args.backend!;

const unavailable = () =>
    new Error(`backend '${backendName}' is not available` + (backendName === 'cuda' ? `: ${info().cuda.reason}` : ''));
if (tf.findBackendFactory(backendName) === null) throw unavailable();  // 'cuda' registers only where a GPU works
await tf.setBackend(backendName);
await tf.ready();
if (tf.getBackend() !== backendName) throw unavailable();
const backend = tf.backend() as unknown as NativeBackend;
const addon = nativeAddon();

// The recipe with only the sizes changed. freezeLastLayer 0: every timed step updates every parameter (the recipe
// skips the last layer during epoch 0 only, which would make the step cheaper than a typical one).
const config = benchConfig({batchSize: batch, imgSize: globalSize, localCropSize: localSize, localCropsNumber: localCrops,
                            outDim, patchOutDim: outDim, freezeLastLayer: 0}, 'vit-s16-imagenet', warmup + steps);
const d = config.data as {size: number; height: number; width: number; channels: 1 | 3};
const trainer = await IbotTrainer.create(config, {dataset: syntheticDataset({...d, numClasses: 10})});
const crops = makeCrops(config);
const recipe = `ViT-S/16, ${config.globalCropsNumber}×${globalSize} + ${localCrops}×${localSize} px, K ${outDim}, batch ${batch}`;
console.log(`step on '${backendName}': ${recipe}; ${warmup} warm-up + ${steps} timed steps`);

/** One step and a wait for the device stream (on CPU backends the kernels have finished when step returns). */
function timedStep(): {ms: number; log: StepLog} {
  const t0 = performance.now();
  const log = trainer.step(crops);
  addon.synchronize();
  return {ms: performance.now() - t0, log};
}

let first: StepLog | null = null;
for (let i = 0; i < warmup; i++) {
  const {ms, log} = timedStep();
  first ??= log;
  console.log(`  warm-up ${i}: ${ms.toFixed(1)} ms, loss ${log.loss.toFixed(4)}`);
}
backend.resetFallbacks();
const times: number[] = [], losses: number[] = [], masked: number[] = [];
for (let i = 0; i < steps; i++) {
  const {ms, log} = timedStep();
  first ??= log;
  times.push(ms);
  losses.push(log.loss);
  masked.push(log.maskedPatches);
  console.log(`  step ${i}: ${ms.toFixed(1)} ms, loss ${log.loss.toFixed(4)} (cls ${log.cls.toFixed(4)}, ` +
              `patch ${log.patch.toFixed(4)}), ${log.maskedPatches} masked patches`);
}
// Step 0 of a fresh model: the same loose bounds as torch_step.py (reasoned there): CLS in [ln K - 2, ln K + 1], the
// patch term in [0, ln K + 1].
const lnK = Math.log(outDim);
const step0Ok = first!.cls >= lnK - 2 && first!.cls <= lnK + 1 && first!.patch >= 0 && first!.patch <= lnK + 1;
console.log(`step-0 loss check: cls ${first!.cls.toFixed(4)} in [${(lnK - 2).toFixed(3)}, ${(lnK + 1).toFixed(3)}], ` +
            `patch ${first!.patch.toFixed(4)} in [0, ${(lnK + 1).toFixed(3)}] (ln K = ${lnK.toFixed(3)}): ` +
            (step0Ok ? 'ok' : 'FAILED'));
const fallbacks = backend.fallbacks();
const deviceBytes = Number(backend.memory().nativeDeviceBytes ?? 0);
await trainer.dispose();

const medianMs = median(times);
const result = {
  backend: backendName, recipe, batch, globalSize, localSize, localCrops, outDim, warmup, steps,
  medianMs, minMs: Math.min(...times), maxMs: Math.max(...times), imagesPerSec: (batch * 1000) / medianMs, times,
  losses, maskedPatchesMean: masked.reduce((a, b) => a + b, 0) / masked.length,
  fallbacks, fallbackCount: Object.values(fallbacks).reduce((a, b) => a + b, 0),
  // The addon reports live bytes, not a peak: this is what the trainer held after the last step (weights, AdamW
  // moments, cached buffers), not the step's high-water mark.
  deviceBytesAfterSteps: deviceBytes, peakBytes: null, step0Ok, tf32: info().cuda.tf32, devices: info().cuda.devices,
};
const fb = result.fallbackCount === 0 ? '0' : Object.entries(fallbacks).map(([k, n]) => `${k} ×${n}`).join(', ');
const row = `| ours (${backendName}) | ${recipe} | ${result.imagesPerSec.toFixed(1)} | ${medianMs.toFixed(1)} | ` +
            `${result.minMs.toFixed(1)}–${result.maxMs.toFixed(1)} | ${fb} |`;
console.log(`\n${row}`);
if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2));
if (args.md) writeFileSync(args.md, markdown());
if (!step0Ok) process.exitCode = 1;

/** Ours and PyTorch's step side by side (PyTorch's from --torch). */
function markdown(): string {
  type TorchResult = {torch: string; device: string; imagesPerSec: number; medianMs: number; minMs: number; maxMs: number;
                      peakBytes: number | null; attention: string; recipe: string;
                      maskedPatchesMean: number; allTokens: boolean; step0Ok: boolean};
  let torch: TorchResult | null = null;
  try {
    if (args.torch) torch = JSON.parse(readFileSync(args.torch, 'utf8')) as TorchResult;
  } catch {
    // PyTorch did not run: its cells show dashes.
  }
  const card = info().cuda.devices.map((x) => x.name).join(', ') || '(no GPU: native CPU backend)';
  const gib = (b: number | null | undefined) => (b ? `${(b / 2 ** 30).toFixed(1)} GiB` : '—');
  const ratio = torch ? `${(result.imagesPerSec / torch.imagesPerSec).toFixed(2)}×` : '—';
  return `${args.machine ?? ''}

# One paper-recipe iBOT training step on '${backendName}' (benchmarks/gpu/step_gpu.ts, torch_step.py)

${recipe}: student forward and backward on all crops (masks on the globals), teacher forward, iBOT loss,
per-parameter clipping (3.0), AdamW (two groups), teacher EMA, centres; fixed random crops in host memory, uploaded
every step; ${warmup} warm-up then ${steps} timed steps, each followed by a device synchronisation. Images/s = batch /
median step time; "ours / PyTorch" above 1 means ours is faster. Ours is IbotTrainer.step (block masks); PyTorch is
the same step written from IBOT_SPEC.md (torch_step.py: fp32, TF32 allowed, attention by ${torch?.attention ?? '—'},
random masks with the recipe's ratio per image, ${
    torch?.allTokens ? 'the head on every token as the official code' : 'the same work avoidance as ours'}).
Ours reports live device memory only (no peak).

| card | ours img/s (median ms, range) | PyTorch img/s (median ms, range) | ours / PyTorch | cpu fallbacks (ours) | PyTorch peak memory |
| --- | --- | --- | --- | --- | --- |
| ${card} | ${result.imagesPerSec.toFixed(1)} (${medianMs.toFixed(1)}, ${result.minMs.toFixed(1)}–${result.maxMs.toFixed(1)}) | ${
    torch ? `${torch.imagesPerSec.toFixed(1)} (${torch.medianMs.toFixed(1)}, ${torch.minMs.toFixed(1)}–${torch.maxMs.toFixed(1)})` : '—'} | ${
    ratio} | ${fb} | ${gib(torch?.peakBytes)} |

PyTorch: ${torch ? `${torch.torch} on ${torch.device}` : 'not run'}. Ours: live device bytes after the timed steps ${
    gib(deviceBytes)}. Mean masked patches per step: ours ${result.maskedPatchesMean.toFixed(0)}, PyTorch ${
    torch ? torch.maskedPatchesMean.toFixed(0) : '—'}. Step-0 loss in the expected range: ours ${step0Ok ? 'yes' : 'NO'}, ` +
    `PyTorch ${torch ? (torch.step0Ok ? 'yes' : 'NO') : '—'}.
`;
}
