// pnpm bench:fused — each fused op of @ibotjs/ops through its kernel on 'native' against its composite of stock tfjs
// ops on 'native', 'wasm' and 'cpu', side by side in one process, at ViT-S shapes with B images per crop (default 8):
// medians after warm-up and ratios. Writes benchmarks/results/fused-cpu.md. A fused kernel the backend does not
// register shows as "kernel not registered" (the composite rows still run). Options: --only <substring>,
// --backends native,wasm,cpu, --batch B, --quick (one warm-up and one timed run: checks the script, not a
// measurement), --out FILE.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import {writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

import {
  adamw, type AdamWState, blockMask, clipPerParam, createAdamWState, disposeAdamWState, ema, type FusedImpl,
  fusedAttention, ibotDistill, l2Normalize, layerNorm, linear, maskApply, missingKernels, weightNorm, withFusedImpl,
} from '@ibotjs/ops';
import * as K from '@ibotjs/ops';
import {type NativeBackend, nativeAddon} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';

import {defaultTiming, timeCase, type Timing, type TimingOptions, useBackend} from './lib/harness.js';
import {describeMachine} from './lib/machine.js';
import {measureBf16DotPeak, measureFmaPeak} from './lib/peak.js';

const {values: args} = parseArgs({
  options: {
    only: {type: 'string'}, backends: {type: 'string', default: 'native,wasm,cpu'}, batch: {type: 'string', default: '8'},
    quick: {type: 'boolean', default: false}, out: {type: 'string'},
  },
});
const backends = args.backends!.split(',');
const B = Number(args.batch);
if (!Number.isInteger(B) || B < 1) throw new Error(`--batch must be a positive integer, got ${args.batch}`);
const here = dirname(fileURLToPath(import.meta.url));

// ViT-S/16 (IBOT_SPEC §1, §2): D 384, 6 heads of 64, MLP 1536, 196 patches + CLS; 2 global crops, 10 local; K 8192.
const D = 384, HEADS = 6, HEAD_DIM = 64, TOKENS = 197, PATCHES = 196, MLP = 4 * D, K_OUT = 8192;

/** One benchmark row: setup makes the inputs on the active backend; run is the timed program. */
interface FusedCase {
  name: string;
  /** The kernels the fused path runs (forward and gradient). */
  kernels: string[];
  setup: () => {run: () => tf.TensorContainer; dispose: () => void};
}

const rand = (shape: number[], scale = 1, seed = 7) => tf.randomUniform(shape, -scale, scale, 'float32', seed);
/** [n] bool, true with probability p. */
const randMask = (shape: number[], p: number, seed = 11) => tf.tidy(() => tf.less(tf.randomUniform(shape, 0, 1,
                                                                                                   'float32', seed), p));

/** Gradients of f at xs with upstream gradient dy (the forward pass included), tidied. */
function fwdBwd(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): () => tf.Tensor[] {
  return () => tf.tidy(() => tf.grads(f)(xs, dy));
}

function simpleCase(name: string, kernels: string[], make: () => tf.Tensor[],
                    run: (xs: tf.Tensor[]) => () => tf.TensorContainer): FusedCase {
  return {
    name, kernels, setup: () => {
      const xs = make();
      return {run: run(xs), dispose: () => tf.dispose(xs)};
    },
  };
}

/** A ViT-S-like parameter list for the optimizer rows (backbone + shared head, 29.3 M parameters). */
function vitSParamShapes(): number[][] {
  const block = [[D], [D], [D, 3 * D], [3 * D], [D, D], [D], [D], [D], [D, MLP], [MLP], [MLP, D], [D]];
  return [
    [1, 1, D], [1, TOKENS, D], [1, D], [16, 16, 3, D], [D],
    ...Array.from({length: 12}, () => block).flat(),
    [D], [D],
    [D, 2048], [2048], [2048, 2048], [2048], [2048, 256], [256], [K_OUT, 256],
  ];
}

function optimizerCase(name: string, kernels: string[],
                       step: (params: tf.Variable[], grads: tf.Tensor[], state: AdamWState) => tf.TensorContainer):
    FusedCase {
  return {
    name, kernels, setup: () => {
      const shapes = vitSParamShapes();
      const params = shapes.map((s, i) => tf.tidy(() => tf.variable(rand(s, 0.02, i + 1))));
      const grads = shapes.map((s, i) => rand(s, 1e-3, 1000 + i));
      const state = createAdamWState(params);
      return {
        run: () => step(params, grads, state),
        dispose: () => {
          tf.dispose([...params, ...grads]);
          disposeAdamWState(state);
        },
      };
    },
  };
}

const rows = 2 * B * PATCHES, maskedRows = Math.round(0.3 * rows);
const cases: FusedCase[] = [
  simpleCase(`fusedAttention [${B}, ${HEADS}, ${TOKENS}, ${HEAD_DIM}] fwd+bwd`, [K.FusedAttention, K.FusedAttentionGrad],
             () => [0, 1, 2, 3].map((i) => rand([B, HEADS, TOKENS, HEAD_DIM], 1, i + 1)),
             ([q, k, v, dy]) => fwdBwd((a, b, c) => fusedAttention(a!, b!, c!).out, [q!, k!, v!], dy!)),
  simpleCase(`layerNorm [${B}·${TOKENS}, ${D}] fwd+bwd`, [K.LayerNormFused, K.LayerNormFusedGrad],
             () => [rand([B * TOKENS, D], 2, 1), rand([D], 1, 2), rand([D], 1, 3), rand([B * TOKENS, D], 1, 4)],
             ([x, g, b, dy]) => fwdBwd((a, c, e) => layerNorm(a!, c!, e!), [x!, g!, b!], dy!)),
  simpleCase(`linear+GELU [${B}·${TOKENS}, ${D}]×[${D}, ${MLP}] fwd+bwd`, [K.LinearBiasGelu, K.GeluGrad],
             () => [rand([B * TOKENS, D], 1, 1), rand([D, MLP], 0.05, 2), rand([MLP], 0.1, 3),
                    rand([B * TOKENS, MLP], 1, 4)],
             ([x, w, b, dy]) => fwdBwd((a, c, e) => linear(a!, c!, e!, {activation: 'gelu'}), [x!, w!, b!], dy!)),
  simpleCase(`ibotDistill patches [2·${B}·${PATCHES}, ${K_OUT}], ~30 % rows masked, fwd+bwd`,
             [K.IbotDistill, K.IbotDistillGrad],
             () => [rand([rows, K_OUT], 1, 1), rand([rows, K_OUT], 1, 2), rand([K_OUT], 0.1, 3),
                    randMask([rows], maskedRows / rows), tf.ones([rows])],
             ([s, t, c, mask, dy]) => fwdBwd(
                 (a) => ibotDistill(a!, t!, c!, {studentTemp: 0.1, teacherTemp: 0.07, rowMask: mask!}).loss, [s!], dy!)),
  simpleCase(`ibotDistill CLS [2·${B}·12, ${K_OUT}] fwd+bwd`, [K.IbotDistill, K.IbotDistillGrad],
             () => [rand([2 * B * 12, K_OUT], 1, 1), rand([2 * B * 12, K_OUT], 1, 2), rand([K_OUT], 0.1, 3),
                    tf.ones([2 * B * 12])],
             ([s, t, c, dy]) => fwdBwd((a) => ibotDistill(a!, t!, c!, {teacherTemp: 0.07}).loss, [s!], dy!)),
  simpleCase(`maskApply [2·${B}, ${PATCHES}, ${D}] fwd+bwd`, [K.MaskApply, K.MaskApplyGrad],
             () => [rand([2 * B, PATCHES, D], 1, 1), randMask([2 * B, PATCHES], 0.3), rand([D], 0.02, 2),
                    rand([2 * B, PATCHES, D], 1, 3)],
             ([x, m, tk, dy]) => fwdBwd((a, c) => maskApply(a!, m!, c!), [x!, tk!], dy!)),
  simpleCase(`l2Normalize [2·${B}·${TOKENS}, 256] fwd+bwd`, [K.L2Normalize, K.L2NormalizeGrad],
             () => [rand([2 * B * TOKENS, 256], 1, 1), rand([2 * B * TOKENS, 256], 1, 2)],
             ([x, dy]) => fwdBwd((a) => l2Normalize(a!), [x!], dy!)),
  simpleCase(`weightNorm [${K_OUT}, 256] fwd+bwd`, [K.WeightNorm, K.WeightNormGrad],
             () => [rand([K_OUT, 256], 0.0625, 1), tf.ones([K_OUT, 1]), rand([K_OUT, 256], 1, 2)],
             ([v, g, dy]) => fwdBwd((a, b) => weightNorm(a!, b!), [v!, g!], dy!)),
  simpleCase(`blockMask 2·${B} crops of 14×14, ratio 0 or U(0.1, 0.5)`, [K.BlockMask], () => [],
             () => () => blockMask({batch: 2 * B, gridH: 14, gridW: 14, ratio: [0, 0.3], ratioVar: [0, 0.2], seed: 1,
                                    step: 2})),
  optimizerCase('adamw, ViT-S + head (29.3 M parameters, 169 tensors), one step', [K.AdamW],
                (params, grads, state) => adamw(params, grads, state, {lr: 1e-3, weightDecay: 0.04})),
  optimizerCase('ema, ViT-S + head, one update', [K.Ema], (params, grads) => ema(params, grads, 0.996)),
  optimizerCase('clipPerParam, ViT-S + head', [K.ClipPerParam], (_params, grads) => {
    const r = clipPerParam(grads, 3);
    return [...r.grads, r.norms];
  }),
].filter((c) => !args.only || c.name.includes(args.only));

/** One cell: a timing, or why there is none. */
type Cell = Timing | {missing: string[]} | {error: string};

const quickTiming: Partial<TimingOptions> = {warmup: 1, minIters: 1, maxIters: 1, budgetMs: 0};
/** tfjs cpu runs the large rows at ~1 GFLOP/s: one warm-up, then timed runs until 5 s are spent (at most 3). */
const cpuTiming: Partial<TimingOptions> = {warmup: 1, minIters: 1, maxIters: 3, budgetMs: 5000};

function measure(c: FusedCase, backend: string, impl: FusedImpl): Cell {
  if (impl === 'kernel') {
    const missing = missingKernels(c.kernels, backend);
    if (missing.length > 0) return {missing};
  }
  let state: ReturnType<FusedCase['setup']> | undefined;
  try {
    state = c.setup();
    const run = state.run;
    const override = args.quick ? quickTiming : backend === 'cpu' ? cpuTiming : {};
    return timeCase({name: c.name, inputs: [], run: () => withFusedImpl(impl, run)}, () => {}, defaultTiming,
                    override);
  } catch (e) {
    return {error: (e as Error).message};
  } finally {
    state?.dispose();
  }
}

console.log(describeMachine());
console.log(`batch B = ${B}${args.quick ? ' (--quick: one timed run per cell, not a measurement)' : ''}\n`);

// results[case][column]: columns are 'fused native' and 'composite <backend>'.
const results = new Map<string, Map<string, Cell>>(cases.map((c) => [c.name, new Map()]));
const fallbacks = new Map<string, Record<string, number>>();
const fmtCell = (cell: Cell | undefined) => !cell ? '—' :
    'missing' in cell ? 'kernel not registered' : 'error' in cell ? 'error' :
    cell.medianMs >= 100 ? cell.medianMs.toFixed(0) : cell.medianMs.toFixed(2);

for (const backend of backends) {
  await useBackend(backend);
  const native = backend === 'native' ? tf.backend() as unknown as NativeBackend : null;
  for (const c of cases) {
    for (const impl of (backend === 'native' ? ['kernel', 'composite'] : ['composite']) as FusedImpl[]) {
      native?.resetFallbacks();
      const cell = measure(c, backend, impl);
      const column = `${impl === 'kernel' ? 'fused' : 'composite'} ${backend}`;
      results.get(c.name)!.set(column, cell);
      const fell = native ? native.fallbacks() : {};
      if (Object.keys(fell).length > 0) fallbacks.set(`${c.name} (${column})`, fell);
      const detail = 'missing' in cell ? ` (${cell.missing.join(', ')})` : 'error' in cell ? `: ${cell.error}` :
          ` ms (median of ${cell.iters})`;
      console.log(`  ${column.padEnd(18)} ${c.name}: ${fmtCell(cell)}${detail}`);
    }
  }
}

const ms = (cell: Cell | undefined) => (cell && 'medianMs' in cell ? cell.medianMs : undefined);
const ratio = (fused?: number, other?: number) => (fused && other ? `${(other / fused).toFixed(1)}×` : '—');
const columns = [...(backends.includes('native') ? ['fused native'] : []), ...backends.map((b) => `composite ${b}`)];
const header = ['op', ...columns.map((c) => `${c} ms`),
                ...backends.map((b) => (b === 'native' ? 'fused vs composite (native)' : `fused native vs ${b}`))];
const tableRows = cases.map((c) => {
  const r = results.get(c.name)!;
  const fused = ms(r.get('fused native'));
  return [c.name, ...columns.map((col) => fmtCell(r.get(col))),
          ...backends.map((b) => ratio(fused, ms(r.get(`composite ${b}`))))];
});
const table = [header, header.map(() => '---'), ...tableRows].map((row) => `| ${row.join(' | ')} |`).join('\n');
console.log(`\n${table}`);

// Issue 3's targets for this machine: the speed-up of the fused kernel over a composite, by row and column.
const targets: Array<{row: string; column: string; min: number}> = [
  {row: 'fusedAttention', column: 'composite native', min: 3},
  {row: 'fusedAttention', column: 'composite wasm', min: 10},
  {row: 'ibotDistill patches', column: 'composite native', min: 3},
];
const targetLines = targets.flatMap(({row, column, min}) => {
  const c = cases.find((x) => x.name.startsWith(row));
  if (!c || !backends.includes(column.split(' ')[1]!)) return [];
  const r = results.get(c.name)!;
  const fused = ms(r.get('fused native')), other = ms(r.get(column));
  const verdict = fused && other ? `${(other / fused).toFixed(1)}× (${other / fused >= min ? 'met' : 'NOT met'})` :
                                   'not measured';
  return [`- ${c.name}: fused native vs ${column} ≥ ${min}×: ${verdict}`];
});
if (targetLines.length) {
  console.log(`\nTargets (issue 3)${args.quick ? ', from --quick timings' : ''}:\n${targetLines.join('\n')}`);
}

// What the attention target can reach on this machine at all: the fused kernel's products (2 forward, 5 backward: S is
// recomputed because P is never stored) at the measured peak, against the composite's measured time. Peaks are
// probed after the timings, best of 5, so the bound errs on the generous side.
function attentionCeiling(): string | null {
  const c = cases.find((x) => x.name.startsWith('fusedAttention'));
  const composite = c && ms(results.get(c.name)!.get('composite native'));
  const fused = c && ms(results.get(c.name)!.get('fused native'));
  if (!composite || !fused || args.quick) return null;
  const threads = nativeAddon().info().cpu.threads;
  const fp32 = measureFmaPeak(threads).ceiling, bf16 = measureBf16DotPeak(threads)?.allCores;
  const gflop = 7 * 2 * TOKENS * TOKENS * HEAD_DIM * B * HEADS / 1e9;
  const bound = (gflops: number) => {
    const floorMs = gflop / gflops * 1e3;
    return `${floorMs.toFixed(2)} ms, at most ${(composite / floorMs).toFixed(1)}× the composite`;
  };
  return `Ceiling of the fusedAttention target: its 7 products are ${gflop.toFixed(2)} GFLOP per fwd+bwd (2 forward, ` +
      `5 backward with S recomputed; the composite does 6 but stores N×N). At this run's FP32 FMA peak ` +
      `(${fp32.toFixed(0)} GFLOP/s on ${threads} threads) that alone is ${bound(fp32)} (measured: ${
      fused.toFixed(2)} ms, ${(composite / fused).toFixed(1)}×)` + (bf16 ? `; with bf16-input products (vdpbf16ps, ` +
      `${bf16.toFixed(0)} GFLOP/s) it would be ${bound(bf16)}, before the softmax and the bf16 conversions.` :
      '; this CPU has no bf16 dot products.');
}
const ceilingLine = attentionCeiling();
if (ceilingLine) console.log(`\n${ceilingLine}`);

const missingAll = [...new Set(cases.flatMap((c) => {
  const cell = results.get(c.name)!.get('fused native');
  return cell && 'missing' in cell ? cell.missing : [];
}))];
const errors = cases.flatMap((c) => [...results.get(c.name)!].flatMap(([col, cell]) =>
  'error' in cell ? [`- ${c.name} (${col}): ${cell.error}`] : []));
const fellBack = [...fallbacks].map(([k, v]) => `- ${k}: ${Object.entries(v).map(([n, x]) => `${n} ×${x}`).join(', ')}`);
const command = `pnpm bench:fused${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

const md = `# Fused ops on the CPU: fused kernels vs stock-op composites

Produced by \`${command}\` (benchmarks/fused.ts): each op of @ibotjs/ops forced onto its fused kernel ('fused') or its
composite of stock tfjs ops ('composite'), in one process, inputs made on each backend. ViT-S shapes with B = ${B}
images per crop; "fwd+bwd" rows time the forward pass and the gradients of every differentiable input (tf.grads with a
random upstream gradient). ${args.quick ? '**--quick: one warm-up and one timed run per cell. These numbers check ' +
    'that the script runs; they are not a measurement.**' : `Timing: ${defaultTiming.warmup} warm-up runs, then the ` +
    'median of repeated runs (at least 3, up to a 2 s budget); tfjs cpu gets one warm-up and up to 3 timed runs within 5 s.'}
Ratios are time(composite) / time(fused native): the speed-up of the fused kernel over the composite on the same backend
('native') and over tfjs's own backends ('wasm', 'cpu', which have no fused kernels).

Machine:
\`\`\`
${describeMachine()}
\`\`\`

${table}
${targetLines.length ? `\nTargets (issue 3)${args.quick ? ', from the --quick timings above (not a measurement)' : ''}:\n${
    targetLines.join('\n')}\n` : ''}${ceilingLine ? `\n${ceilingLine}\n` : ''}${missingAll.length ? `\nKernels not registered on 'native' when this ran (the fused rows stay empty until the kernel branches are ` +
    `merged; rerun \`pnpm bench:fused\` then): ${missingAll.join(', ')}.\n` : ''}${errors.length ? `\nErrors:\n${errors.join('\n')}\n` : ''}${
    fellBack.length ? `\nStock kernels that fell back to tfjs cpu on 'native' (counts over the whole cell):\n${fellBack.join('\n')}\n` :
    '\nNo cpu fallbacks on \'native\'.\n'}`;
const out = args.out ?? join(here, 'results', 'fused-cpu.md');
writeFileSync(out, md);
console.log(`\nwritten to ${out}`);
