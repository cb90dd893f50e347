// Finds and loads the native binary, then lets CUDA in only after a child-process test (cuda_probe.ts).
// Tries $IBOT_NATIVE_BINARY alone when it is set; otherwise a build from source (native/build/Release), then the prebuilt
// binary for this platform (@ibotjs/native's binaryCandidates()). A build from source comes first because it only
// exists when someone made it on purpose: the install hook builds only when no prebuild loads, and a developer's build
// is newer than any prebuild. Every failure is collected and explained (load_diagnosis.ts) in one Error with the fixes.
import {existsSync} from 'node:fs';
import {createRequire} from 'node:module';
import {resolve} from 'node:path';

import type * as NativePackage from '@ibotjs/native';

import type {NativeAddon} from './addon/index.js';
import {type CudaDecision, prepareCuda} from './cuda_probe.js';
import {diagnoseLoadFailure, type LoadFailure, runtimeGlibc} from './load_diagnosis.js';

const require = createRequire(import.meta.url);

/**
 * @ibotjs/native's index.cjs, required at run time rather than imported: it finds the binary relative to its own
 * directory, so bundles of this package (the conformance runner, the GPU kit) must not inline it. Undefined when the
 * package is not installed (the GPU kit has no node_modules and sets IBOT_NATIVE_BINARY).
 */
function nativePackage(): typeof NativePackage | undefined {
  try {
    return require('@ibotjs/native') as typeof NativePackage;
  } catch {
    return undefined;
  }
}

export type BinarySource = 'IBOT_NATIVE_BINARY' | 'local build' | 'prebuild';

export interface BinaryCandidate {
  kind: BinarySource;
  path: string;
}

export interface LoadedAddon {
  addon: NativeAddon;
  /** The file the addon was loaded from. */
  path: string;
  source: BinarySource;
  /** What was done about CUDA before the addon first touched it. */
  cuda: CudaDecision;
}

/** The binaries to try, in order. */
export function candidatePaths(): BinaryCandidate[] {
  const fromEnv = process.env['IBOT_NATIVE_BINARY'];
  if (fromEnv) return [{kind: 'IBOT_NATIVE_BINARY', path: resolve(fromEnv)}];
  return nativePackage()?.binaryCandidates() ?? [];
}

interface Attempt {
  candidate: BinaryCandidate;
  failure: LoadFailure;
}

function fixes(attempts: Attempt[]): string[] {
  const kinds = new Set(attempts.map((a) => a.failure.kind));
  const platform = `${process.platform}-${process.arch}`;
  const native = nativePackage();
  const prebuiltPlatforms = native?.PREBUILT_PLATFORMS ?? ['linux-x64'];
  const out: string[] = [];
  const fromSource = 'build from source: install cmake >= 3.18 and a C++17 compiler (g++ >= 9; nvcc 13 for the CUDA ' +
      'kernels, or IBOT_CUDA=OFF for the CPU side alone), then run ' +
      '`IBOT_BUILD_FROM_SOURCE=1 npm rebuild @ibotjs/native --foreground-scripts` ' +
      '(in the ibotjs repository: `pnpm build:native`)';
  if (!native) {
    out.push('install @ibotjs/native (a dependency of this package: `npm install @ibotjs/tfjs-backend-native`)');
  }
  if (!prebuiltPlatforms.includes(platform)) {
    out.push(`prebuilt binaries exist for ${prebuiltPlatforms.join(', ')} (glibc) only; on ${platform} ${fromSource}`);
  } else {
    const glibc = attempts.find((a) => a.failure.kind === 'glibc')?.failure.needsGlibc;
    if (glibc) out.push(`use a Linux with glibc ${glibc} or newer (e.g. Debian 12, Ubuntu 22.04, RHEL 9), or ${fromSource}`);
    if (kinds.has('architecture')) {
      out.push(`run Node.js for x64 (this one is ${process.arch}), or reinstall on the machine that runs the program`);
    }
    if (kinds.has('node-api')) {
      out.push(`use Node.js 20 or newer (the addon needs Node-API ${native?.NAPI_VERSION ?? 8})`);
    }
    const prebuildMissing = attempts.some(
        (a) => a.candidate.kind === 'prebuild' && (a.failure.kind === 'not-found' || a.failure.kind === 'not-elf'));
    if (prebuildMissing) {
      out.push('reinstall the package (`rm -rf node_modules/@ibotjs && npm install`): the prebuilt binary ships ' +
               'inside @ibotjs/native, nothing is downloaded at install time');
    }
    if (!glibc) out.push(fromSource);
  }
  out.push('or point IBOT_NATIVE_BINARY at an ibotjs_native.node you built');
  return out;
}

function failureMessage(attempts: Attempt[]): string {
  const glibc = process.platform === 'linux' ? `, ${runtimeGlibc() ? `glibc ${runtimeGlibc()}` : 'no glibc (musl?)'}` : '';
  return `@ibotjs/tfjs-backend-native could not load its native binary (this machine: ${process.platform}-` +
      `${process.arch}${glibc}, Node.js ${process.versions.node}, Node-API ${process.versions.napi}).\nTried:\n` +
      (attempts.length ? attempts.map((a) => `  - ${a.candidate.kind} ${a.candidate.path}: ${a.failure.detail}`).join('\n')
                       : '  - nothing: @ibotjs/native is not installed and IBOT_NATIVE_BINARY is not set') +
      '\nTo fix it:\n' + fixes(attempts).map((f) => `  - ${f}`).join('\n');
}

/** Loads the first candidate that loads; throws one Error that lists every attempt, why it failed and the fixes. */
export function loadBinary(candidates: BinaryCandidate[]): {addon: NativeAddon; path: string; source: BinarySource} {
  const attempts: Attempt[] = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate.path)) {
      attempts.push({candidate, failure: {kind: 'not-found', detail: 'not found'}});
      continue;
    }
    try {
      return {addon: require(candidate.path) as NativeAddon, path: candidate.path, source: candidate.kind};
    } catch (e) {
      attempts.push({candidate, failure: diagnoseLoadFailure(candidate.path, String((e as Error).message))});
    }
  }
  throw new Error(failureMessage(attempts));
}

let loaded: LoadedAddon | undefined;

/** Loads the addon once per process and settles CUDA (see cuda_probe.ts). Throws an Error explaining every failure. */
export function loadAddon(): LoadedAddon {
  if (loaded) return loaded;
  const {addon, path, source} = loadBinary(candidatePaths());
  loaded = {addon, path, source, cuda: prepareCuda(addon, path)};
  return loaded;
}
