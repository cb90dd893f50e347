// `ibot info`: the devices this machine offers (native CPU, CUDA GPUs, tfjs's wasm and cpu), what the native binary
// was built with, and the versions of everything involved; as text or --json.
import {existsSync, readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import {dirname, join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import {bestDevice, loadNative} from './device.js';

const require = createRequire(import.meta.url);

/** A package's version from its package.json, found by walking up from its entry (some packages do not export it). */
function versionOf(pkg: string): string {
  try {
    let dir = dirname(require.resolve(pkg));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const json = JSON.parse(readFileSync(file, 'utf8')) as {name?: string; version?: string};
        if (json.name === pkg && json.version) return json.version;
      }
      const up = dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'not installed';
  }
}

export interface InfoReport {
  versions: Record<string, string>;
  platform: {os: string; arch: string; cpu: string; cores: number; memoryGiB: number};
  native: {loaded: boolean; error: string | null; binary: string | null; cpuIsa: string | null; threads: number | null; napiVersion: number | null};
  cuda: {compiled: boolean; architectures: string; available: boolean; reason: string; driverVersion: number; runtimeVersion: number;
         devices: Array<{index: number; name: string; computeCapability: string; memoryBytes: number; multiprocessors: number}>};
  devices: Array<{name: string; available: boolean; note: string}>;
  defaultDevice: string | null;
}

/** A CUDA version number as major.minor (12040 → 12.4). */
const cudaVersion = (v: number) => (v > 0 ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none');

export async function collectInfo(): Promise<InfoReport> {
  const status = await loadNative();
  const info = status.info;
  const cuda = info?.cuda;
  let defaultDevice: string | null = null;
  try {
    defaultDevice = await bestDevice();
  } catch {
    // Reported through native.error.
  }
  return {
    versions: {
      ibotjs: (require('../package.json') as {version: string}).version,
      node: process.versions.node,
      napi: process.versions.napi ?? 'unknown',
      '@tensorflow/tfjs-core': tf.version_core,
      '@tensorflow/tfjs-backend-cpu': versionOf('@tensorflow/tfjs-backend-cpu'),
      '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
      sharp: versionOf('sharp'),
    },
    platform: {
      os: `${os.type()} ${os.release()}`, arch: process.arch, cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism(),
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    },
    native: {
      loaded: status.loaded, error: status.error, binary: info?.binary ?? null, cpuIsa: info ? `${info.cpu.isa} (best on this CPU: ${info.cpu.bestIsa})` : null,
      threads: info?.cpu.threads ?? null, napiVersion: info?.napiVersion ?? null,
    },
    cuda: {
      compiled: cuda?.compiled ?? false, architectures: cuda?.architectures ?? '', available: cuda?.available ?? false,
      reason: cuda?.reason ?? status.cudaReason, driverVersion: cuda?.driverVersion ?? 0, runtimeVersion: cuda?.runtimeVersion ?? 0,
      devices: (cuda?.devices ?? []).map((d) => ({...d})),
    },
    devices: [
      {name: 'cuda', available: status.cudaAvailable, note: status.cudaAvailable ? `${cuda!.devices.length} GPU(s)` : status.cudaReason},
      {name: 'native', available: status.loaded, note: status.loaded ? `CPU, ${info!.cpu.isa}, ${info!.cpu.threads} threads` : status.error ?? ''},
      {name: 'wasm', available: true, note: "tfjs's WebAssembly backend (SIMD, one thread in Node)"},
      {name: 'cpu', available: true, note: "tfjs's plain JavaScript backend (reference, slow)"},
    ],
    defaultDevice,
  };
}

export function formatInfo(r: InfoReport): string {
  const lines: string[] = [];
  lines.push('Devices (--device):');
  for (const d of r.devices) lines.push(`  ${d.name.padEnd(7)} ${d.available ? 'yes' : 'no '}  ${d.note}`);
  lines.push(`  default: ${r.defaultDevice ?? 'none (the native binary did not load: use --device wasm or cpu)'}`);
  lines.push('');
  lines.push('Native binary:');
  if (r.native.loaded) {
    lines.push(`  file: ${r.native.binary}`);
    lines.push(`  CPU kernels: ${r.native.cpuIsa}, ${r.native.threads} threads (IBOT_NUM_THREADS to change)`);
    lines.push(`  N-API version: ${r.native.napiVersion}`);
  } else {
    lines.push(`  not loaded: ${r.native.error}`);
  }
  lines.push(`  CUDA compiled in: ${r.cuda.compiled ? `yes (${r.cuda.architectures || 'no architecture list'})` : 'no'}`);
  lines.push(`  CUDA usable: ${r.cuda.available ? 'yes' : `no (${r.cuda.reason})`}`);
  if (r.cuda.compiled) lines.push(`  CUDA driver ${cudaVersion(r.cuda.driverVersion)}, runtime ${cudaVersion(r.cuda.runtimeVersion)}`);
  for (const d of r.cuda.devices) {
    lines.push(`  GPU ${d.index}: ${d.name}, compute capability ${d.computeCapability}, ${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${d.multiprocessors} SMs`);
  }
  lines.push('');
  lines.push('Machine:');
  lines.push(`  ${r.platform.os}, ${r.platform.arch}, ${r.platform.cpu}, ${r.platform.cores} cores, ${r.platform.memoryGiB} GiB`);
  lines.push('');
  lines.push('Versions:');
  for (const [k, v] of Object.entries(r.versions)) lines.push(`  ${k.padEnd(30)} ${v}`);
  return lines.join('\n') + '\n';
}
