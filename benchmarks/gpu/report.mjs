// Merges the cuda and PyTorch kernel timings (JSON from kernels_gpu.ts and torch_kernels.py) into one markdown table.
import {readFileSync, writeFileSync} from 'node:fs';

const [cudaPath, torchPath, outPath, header] = process.argv.slice(2);
const cuda = JSON.parse(readFileSync(cudaPath, 'utf8'));
let torch = {rows: []};
try {
  torch = JSON.parse(readFileSync(torchPath, 'utf8'));
} catch {
  // PyTorch did not run: the table shows dashes in its columns.
}
const byName = new Map(torch.rows.map((r) => [r.name, r.ms]));
const lines = ['| kernel | cuda ms | PyTorch ms | PyTorch / cuda | cuda TFLOP/s | cuda GB/s | % of copy BW |',
               '| --- | --- | --- | --- | --- | --- | --- |'];
for (const r of cuda.rows) {
  const t = byName.get(r.name);
  lines.push(`| ${r.name} | ${r.ms.toFixed(3)} | ${t ? t.toFixed(3) : '—'} | ${t ? (t / r.ms).toFixed(2) + '×' : '—'} | ` +
             `${r.tflops ? r.tflops.toFixed(1) : '—'} | ${r.gbs ? r.gbs.toFixed(0) : '—'} | ` +
             `${r.gbs ? ((100 * r.gbs) / cuda.copyGBs).toFixed(0) + ' %' : '—'} |`);
}
const md = `${header ?? ''}\n\nDevice copy bandwidth (read + write, 1 GiB): ${cuda.copyGBs.toFixed(0)} GB/s. ` +
           `PyTorch ${torch.torch ?? 'not run'} on ${torch.device ?? '—'}.\n\n${lines.join('\n')}\n`;
writeFileSync(outPath, md);
console.log(md);
