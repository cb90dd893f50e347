// The fused iBOT kernels on the GPU (issue 3, benchmarks): FusedAttention at ViT-S shapes (B 64, H 6, N 197, d 64) and
// IbotDistill over [64·2·196, 8192], forward, backward and both, with achieved GB/s against the measured device copy
// bandwidth, and the composites of stock ops for comparison. With --torch (the JSON of torch_fused.py) and --md it also
// writes the markdown table with the PyTorch ratios (benchmarks/gpu/extra.sh runs both). Runs on 'cuda' by default;
// `--backend native` with small shapes checks the script on a machine without a GPU:
//   tsx --conditions=source benchmarks/gpu/fused_gpu.ts --backend native --attn 2,6,197,64 --distill 392,2048
//
// Timing: as kernels_gpu.ts, each sample runs a case back to back until ~20 ms of work is queued, then synchronises the
// backend's stream (addon.synchronize(); on CPU backends the kernels have finished when the call returns); the median
// sample gives the per-run time.
//
// Minimum traffic (float32 = 4 bytes, bool = 1 byte), the bytes behind every GB/s figure:
//   attention, E = B·H·N·d, L = B·H·N:
//     forward          read q, k, v; write out, lse                          4·(4E + L)
//     backward kernel  read q, k, v, out, dO, lse; write dq, dk, dv          4·(8E + L)
//     forward+backward the sum                                               4·(12E + 2L)
//   FLOPs: forward 4·B·H·N²·d (q kᵀ and p v); backward 10·B·H·N²·d (q kᵀ recomputed, dv, dp, dq, dk).
//   ibotDistill, R rows, K columns, a fraction m of the rows in rowMask (m = 1 without one):
//     forward          read teacher (all rows: its column sums), student (masked rows), center, rowMask;
//                      write loss, teacherColSum                            4·(RK + mRK + 2K + R) + R
//     backward kernel  read student and teacher (masked rows), center, dLoss, rowMask; write dStudent (all rows)
//                                                                            4·(2mRK + RK + K + R) + R
//     forward+backward the sum
// The composites' rows show time only: their traffic is whatever their intermediate tensors cost.
import '@tensorflow/tfjs-backend-cpu';
import '@ibotjs/tfjs-backend-native';

import {readFileSync, writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {FusedAttention, FusedAttentionGrad, fusedAttention, IbotDistill, IbotDistillGrad, ibotDistill,
        type FusedImpl, missingKernels, withFusedImpl} from '@ibotjs/ops';
import {info, type NativeBackend, nativeAddon} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';

import {sampleMs} from './sample_ms.js';

const {values: args} = parseArgs({
  options: {
    backend: {type: 'string', default: 'cuda'},
    attn: {type: 'string', default: '64,6,197,64'},  // B,H,N,d
    distill: {type: 'string', default: `${64 * 2 * 196},8192`},  // R,K
    /** Fraction of rows in the distillation row mask for the masked rows (iBOT masks ~10–50 % of the patches). */
    'mask-ratio': {type: 'string', default: '0.3'},
    samples: {type: 'string', default: '7'},
    json: {type: 'string'},
    /** PyTorch's timings (torch_fused.py --json); missing or unreadable: the table shows dashes. */
    torch: {type: 'string'},
    md: {type: 'string'},
    /** First line(s) of the markdown file (run.sh's machine description). */
    machine: {type: 'string'},
  },
});

function ints(s: string, n: number, what: string): number[] {
  const xs = s.split(',').map(Number);
  if (xs.length !== n || !xs.every((x) => Number.isInteger(x) && x > 0)) {
    throw new Error(`--${what} wants ${n} positive integers separated by commas, got '${s}'`);
  }
  return xs;
}
const [B, H, N, D] = ints(args.attn!, 4, 'attn') as [number, number, number, number];
const [R, K] = ints(args.distill!, 2, 'distill') as [number, number];
const maskRatio = Number(args['mask-ratio']);
const samples = Number(args.samples);
const backendName = args.backend!;

const addon = nativeAddon();
await tf.setBackend(backendName);
await tf.ready();
if (tf.getBackend() !== backendName) {
  throw new Error(`backend '${backendName}' is not available` +
                  (backendName === 'cuda' ? `: ${info().cuda.reason}` : ''));
}
const backend = tf.backend() as unknown as NativeBackend;
const onCuda = backendName === 'cuda';

// Copy bandwidth: a device-to-device copy (host-to-host on 'native') counted as bytes read + bytes written; 1 GiB on
// the GPU, 64 MiB on the CPU (this check only proves the script works there).
const copyElems = onCuda ? 2 ** 28 : 2 ** 24;
const device = onCuda ? 1 : 0;
const src = addon.alloc(device, 0, copyElems), dst = addon.alloc(device, 0, copyElems);
const copyMs = sampleMs(() => addon.copy(src, dst), samples);
addon.free(src);
addon.free(dst);
const copyGBs = (2 * 4 * copyElems) / copyMs / 1e6;
console.log(`${backendName} copy: ${copyGBs.toFixed(0)} GB/s (read + write of ${4 * copyElems / 2 ** 20} MiB in ` +
            `${copyMs.toFixed(3)} ms)`);

/**
 * Uniform [-1, 1) values: a random block of at most ~4 M elements made in JS, tiled along the leading axis on the
 * device (the block's leading size divides shape[0]); generating 200 M values in JS would take most of the budget.
 */
function randomTiled(shape: number[], seed: number): tf.Tensor {
  const rest = shape.slice(1).reduce((a, b) => a * b, 1);
  let lead = shape[0]!;
  for (let d = 1; d <= shape[0]!; d++) {
    if (shape[0]! % d === 0 && d * rest <= 2 ** 22) lead = d;
    if (d * rest > 2 ** 22) break;
  }
  if (lead * rest > 2 ** 22) lead = shape[0]!;  // no divisor is small enough: one block
  return tf.tidy(() => tf.tile(tf.randomUniform([lead, ...shape.slice(1)], -1, 1, 'float32', seed),
                               [shape[0]! / lead, ...shape.slice(1).map(() => 1)]));
}

interface Row {
  name: string;
  impl: 'fused' | 'composite';
  ms: number | null;
  bytes: number | null;
  flops: number | null;
  gbs: number | null;
  tflops: number | null;
  /** Why there is no time, or which kernels fell back to tfjs cpu (the time is then not the backend's). */
  note: string;
}
const rows: Row[] = [];

/** Times one case and records its row; `kernels` must be registered for the fused rows. */
function bench(name: string, impl: 'fused' | 'composite', kernels: string[], run: () => tf.TensorContainer,
               bytes: number | null, flops: number | null): void {
  const missing = impl === 'fused' ? missingKernels(kernels, backendName) : [];
  const row: Row = {name, impl, ms: null, bytes: impl === 'fused' ? bytes : null, flops, gbs: null, tflops: null,
                    note: ''};
  if (missing.length > 0) {
    row.note = `kernel not registered: ${missing.join(', ')}`;
  } else {
    const fusedImpl: FusedImpl = impl === 'fused' ? 'kernel' : 'composite';
    try {
      backend.resetFallbacks();
      row.ms = sampleMs(() => tf.dispose(withFusedImpl(fusedImpl, run)), samples);
      const fell = Object.entries(backend.fallbacks());
      if (fell.length > 0) row.note = `cpu fallback: ${fell.map(([k, n]) => `${k} ×${n}`).join(', ')}`;
      if (row.bytes) row.gbs = row.bytes / row.ms / 1e6;
      if (flops) row.tflops = flops / row.ms / 1e9;
    } catch (e) {
      row.note = `error: ${(e as Error).message}`;
    }
  }
  rows.push(row);
  console.log(`  ${impl.padEnd(9)} ${name}: ` + (row.ms === null ? '—' : `${row.ms.toFixed(3)} ms`) +
              (row.gbs ? `, ${row.gbs.toFixed(0)} GB/s (${(100 * row.gbs / copyGBs).toFixed(0)} % of copy)` : '') +
              (row.tflops ? `, ${row.tflops.toFixed(2)} TFLOP/s` : '') + (row.note ? ` [${row.note}]` : ''));
}

// ---- attention [B, H, N, d] ----
{
  const shape = [B, H, N, D];
  const E = B * H * N * D, L = B * H * N, NN = B * H * N * N * D;
  const [q, k, v, dy] = [1, 2, 3, 4].map((s) => randomTiled(shape, s)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const scale = D ** -0.5;
  const attn = [FusedAttention, FusedAttentionGrad];
  const fwd = () => fusedAttention(q, k, v).out;
  const fwdBwd = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
                                                   fusedAttention(a, b, c).out)([q, k, v], dy));
  const tag = `attention [${shape}]`;
  bench(`${tag} fwd`, 'fused', attn, fwd, 4 * (4 * E + L), 4 * NN);
  // The backward kernel alone, on the forward's saved out and lse.
  let saved: tf.Tensor[] = [];
  if (missingKernels(attn, backendName).length === 0) {
    try {
      saved = tf.engine().runKernel(FusedAttention, {q, k, v}, {scale, returnProbs: false}) as tf.Tensor[];
    } catch {
      // The forward row above already recorded the error; the backward row records its own (no saved tensors).
    }
  }
  bench(`${tag} bwd (grad kernel)`, 'fused', attn,
        () => tf.engine().runKernel(FusedAttentionGrad, {q, k, v, out: saved[0]!, lse: saved[1]!, dy}, {scale}) as
            tf.Tensor[],
        4 * (8 * E + L), 10 * NN);
  bench(`${tag} fwd+bwd`, 'fused', attn, fwdBwd, 4 * (12 * E + 2 * L), 14 * NN);
  bench(`${tag} fwd`, 'composite', attn, fwd, null, 4 * NN);
  bench(`${tag} fwd+bwd`, 'composite', attn, fwdBwd, null, 14 * NN);
  tf.dispose([q, k, v, dy, ...saved]);
}

// ---- ibotDistill [R, K] ----
{
  const student = randomTiled([R, K], 5), teacher = randomTiled([R, K], 6);
  const center = tf.randomUniform([K], -0.1, 0.1, 'float32', 7);
  const dLoss = tf.ones([R]);
  const all = tf.ones([R], 'bool');
  // A random row mask with exactly round(m·R) rows (the byte counts use that m).
  const masked = Math.round(maskRatio * R);
  const mask = tf.tidy(() => {
    const order = tf.util.createShuffledIndices(R);
    const m = new Uint8Array(R);
    for (let i = 0; i < masked; i++) m[order[i]!] = 1;
    return tf.tensor1d(Array.from(m), 'bool');
  });
  const m = masked / R;
  const temps = {studentTemp: 0.1, teacherTemp: 0.07};
  const distill = [IbotDistill, IbotDistillGrad];
  const RK = R * K;
  const fwdBytes = (f: number) => 4 * (RK + f * RK + 2 * K + R) + R;
  const bwdBytes = (f: number) => 4 * (2 * f * RK + RK + K + R) + R;
  const fwd = (rowMask: tf.Tensor | null) => () => {
    const r = ibotDistill(student, teacher, center, {...temps, rowMask});
    return [r.loss, r.teacherColSum];
  };
  const fwdBwd = (rowMask: tf.Tensor | null) => () => tf.tidy(() => tf.grads(
      (s: tf.Tensor) => ibotDistill(s, teacher, center, {...temps, rowMask}).loss)([student], dLoss));
  const grad = (rowMask: tf.Tensor) => () => tf.engine().runKernel(
      IbotDistillGrad, {student, teacher, center, dLoss, rowMask}, temps as unknown as tf.NamedAttrMap) as tf.Tensor;
  const tag = `ibotDistill [${R}, ${K}]`, tagM = `ibotDistill [${R}, ${K}], ${(100 * m).toFixed(0)} % rows masked`;
  bench(`${tag} fwd`, 'fused', distill, fwd(null), fwdBytes(1), null);
  bench(`${tag} bwd (grad kernel)`, 'fused', distill, grad(all), bwdBytes(1), null);
  bench(`${tag} fwd+bwd`, 'fused', distill, fwdBwd(null), fwdBytes(1) + bwdBytes(1), null);
  bench(`${tagM} fwd`, 'fused', distill, fwd(mask), fwdBytes(m), null);
  bench(`${tagM} bwd (grad kernel)`, 'fused', distill, grad(mask), bwdBytes(m), null);
  bench(`${tag} fwd`, 'composite', distill, fwd(null), null, null);
  bench(`${tag} fwd+bwd`, 'composite', distill, fwdBwd(null), null, null);
  tf.dispose([student, teacher, center, dLoss, all, mask]);
}

const i = info();
const result = {
  backend: backendName, tf32: i.cuda.tf32, devices: i.cuda.devices, copyGBs, attention: [B, H, N, D],
  distill: [R, K], maskRatio, rows,
};
if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2));
if (args.md) writeFileSync(args.md, markdown());

/** The results table, with PyTorch's time for the same case name where torch_fused.py measured it. */
function markdown(): string {
  let torch: {torch?: string; device?: string; sdpa?: string; rows: Array<{name: string; ms: number}>} = {rows: []};
  try {
    if (args.torch) torch = JSON.parse(readFileSync(args.torch, 'utf8'));
  } catch {
    // PyTorch did not run: its columns show dashes.
  }
  const torchMs = new Map(torch.rows.map((r) => [r.name, r.ms]));
  const composite = new Map(rows.filter((r) => r.impl === 'composite').map((r) => [r.name, r.ms]));
  const f = (x: number | null | undefined, digits: number) => (x == null ? '—' : x.toFixed(digits));
  const ratio = (other: number | null | undefined, ours: number | null) =>
      (other && ours ? `${(other / ours).toFixed(2)}×` : '—');
  const lines = [
    '| case | fused ms | GB/s (min. traffic) | % of copy BW | TFLOP/s | PyTorch ms | PyTorch / fused | composite ms | ' +
        'composite / fused | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows.filter((x) => x.impl === 'fused')) {
    const t = torchMs.get(r.name), c = composite.get(r.name);
    lines.push(`| ${r.name} | ${f(r.ms, 3)} | ${f(r.gbs, 0)} | ${r.gbs ? `${(100 * r.gbs / copyGBs).toFixed(0)} %` : '—'} | ` +
               `${f(r.tflops, 1)} | ${f(t, 3)} | ${ratio(t, r.ms)} | ${f(c, 3)} | ${ratio(c, r.ms)} | ${r.note} |`);
  }
  const compositeNotes = rows.filter((r) => r.impl === 'composite' && r.note).map((r) => `- composite ${r.name}: ${r.note}`);
  return `${args.machine ?? ''}

# Fused kernels on '${backendName}' (benchmarks/gpu/fused_gpu.ts, torch_fused.py)

Device copy bandwidth (read + write, ${4 * copyElems / 2 ** 20} MiB): ${copyGBs.toFixed(0)} GB/s.${
    onCuda ? ` TF32 on 'cuda': ${i.cuda.tf32 ? 'allowed' : 'off'}.` : ''} PyTorch: ${torch.torch ?? 'not run'}${torch.device ? ` on ${torch.device}` : ''}` +
`${torch.sdpa ? `, SDPA backend ${torch.sdpa}` : ''} (fp32 inputs, TF32 allowed).
Targets (issue 3): attention fwd+bwd ≥ 60 % of copy bandwidth; ibotDistill ≥ 70 %. GB/s counts the minimum traffic
(inputs read once, outputs written once; formulas in fused_gpu.ts's header); "PyTorch / fused" and "composite / fused"
above 1 mean the fused kernel is faster. Composite = the same op from stock tfjs ops on '${backendName}'; PyTorch =
scaled_dot_product_attention and plain softmax/log_softmax for the distillation cross-entropy.

${lines.join('\n')}
${compositeNotes.length ? `\n${compositeNotes.join('\n')}\n` : ''}`;
}
