// The stock-kernel cases of benchmarks/kernel_cases.json on the 'cuda' backend: each sample runs a case back to back
// until ~20 ms of work is queued, then synchronises; the median sample gives the per-run time. Also measures the
// device-to-device copy bandwidth, the ceiling for memory-bound kernels. Writes JSON for report.mjs.
import '@tensorflow/tfjs-backend-cpu';
import '@ibotjs/tfjs-backend-native';

import {writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {info, nativeAddon} from '@ibotjs/tfjs-backend-native';
import * as tf from '@tensorflow/tfjs-core';

import {loadKernelCases} from '../lib/kernel_cases.js';
import {sampleMs} from './sample_ms.js';

const {values: args} = parseArgs({options: {json: {type: 'string'}, only: {type: 'string'}}});
const addon = nativeAddon();
await tf.setBackend('cuda');
if (tf.getBackend() !== 'cuda') throw new Error(`the cuda backend is not available: ${info().cuda.reason}`);

const copyElems = 2 ** 28;
const src = addon.alloc(1, 0, copyElems), dst = addon.alloc(1, 0, copyElems);
const copyMs = sampleMs(() => addon.copy(src, dst));
addon.free(src);
addon.free(dst);
const copyGBs = (2 * 4 * copyElems) / copyMs / 1e6;
console.log(`device copy: ${copyGBs.toFixed(0)} GB/s (read + write of 1 GiB in ${copyMs.toFixed(2)} ms)`);

const rows = [];
for (const c of loadKernelCases(args.only)) {
  const xs = c.inputs.map((i) => tf.randomUniform(i.shape, -1, 1));
  const ms = sampleMs(() => tf.dispose(c.run(...xs)));
  tf.dispose(xs);
  const row = {name: c.name, ms, tflops: c.flops ? c.flops / ms / 1e9 : null, gbs: c.bytes ? c.bytes / ms / 1e6 : null};
  rows.push(row);
  console.log(`  cuda ${c.name}: ${ms.toFixed(3)} ms` + (row.tflops ? `, ${row.tflops.toFixed(1)} TFLOP/s` : '') +
              (row.gbs ? `, ${row.gbs.toFixed(0)} GB/s` : ''));
}
if (args.json) writeFileSync(args.json, JSON.stringify({info: info(), copyGBs, rows}, null, 2));
