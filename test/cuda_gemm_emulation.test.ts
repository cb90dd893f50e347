// Runs the CUDA GEMM kernels' own source on the CPU (native/test/cuda/gemm_emulate.cc: one std::thread per CUDA thread,
// mma.sync / cp.async / cvt.rna emulated from the PTX fragment layouts) against float64. This checks the tile, fragment,
// split-K and epilogue index math of the TF32 and SIMT kernels on a machine without a GPU; races and timing need the
// GPU run (benchmarks/gpu/run.sh).
import {execFileSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import test from 'ava';

const here = dirname(fileURLToPath(import.meta.url));

test('the CUDA GEMM kernels, emulated on the CPU, match float64 for every variant and transpose', (t) => {
  const out = execFileSync('bash', [join(here, '..', 'native', 'test', 'cuda', 'emulate.sh')],
                           {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
  const summary = out.match(/(\d+) checks, (\d+) failed/);
  t.truthy(summary, 'the emulator printed its summary');
  t.log(summary![0]);
  t.true(Number(summary![1]) > 100, 'it ran the full matrix of cases');
  t.is(Number(summary![2]), 0, out.split('\n').filter((l) => l.includes('FAIL')).join('\n'));
});
