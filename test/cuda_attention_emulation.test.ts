// Runs the CUDA fused-attention kernels' own source on the CPU (native/test/cuda/attention_emulate.cc: one std::thread
// per CUDA thread, mma.sync / cvt.rna.tf32 / warp shuffles emulated) against float64: forward, probabilities, delta,
// dK/dV and dQ, TF32 and FP32 paths, every head-dimension template, partial tiles, odd and misaligned d. This checks
// tile, fragment and masking index math without a GPU; races and timing need the GPU run (benchmarks/gpu/run.sh).
import {execFileSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import test from 'ava';

const here = dirname(fileURLToPath(import.meta.url));

test('the CUDA attention kernels, emulated on the CPU, match float64 forward and backward', (t) => {
  const out = execFileSync('bash', [join(here, '..', 'native', 'test', 'cuda', 'attention_emulate.sh')],
                           {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
  const summary = out.match(/(\d+) checks, (\d+) failed/);
  t.truthy(summary, 'the emulator printed its summary');
  t.log(summary![0]);
  t.true(Number(summary![1]) >= 120, 'it ran the full matrix of cases');
  t.is(Number(summary![2]), 0, out.split('\n').filter((l) => l.includes('FAIL')).join('\n'));
});
