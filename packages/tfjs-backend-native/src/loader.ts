// Finds and loads the native binary. Tries, in order: $IBOT_NATIVE_BINARY, the package's prebuilt binary, a local
// build (native/build/Release). Collects every failure and throws one message that says what was tried and how to fix it.
import {existsSync, readdirSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

import type {NativeAddon} from './addon/index.js';

const require = createRequire(import.meta.url);

export interface LoadedAddon {
  addon: NativeAddon;
  /** The file the addon was loaded from. */
  path: string;
}

function candidatePaths(): string[] {
  const paths: string[] = [];
  const fromEnv = process.env['IBOT_NATIVE_BINARY'];
  if (fromEnv) paths.push(fromEnv);
  let nativeDir: string | undefined;
  try {
    nativeDir = dirname(require.resolve('@ibotjs/native/package.json'));
  } catch {
    // Not installed as a package: fall through to the paths we can still try.
  }
  if (nativeDir) {
    const prebuildDir = join(nativeDir, 'prebuilds', `${process.platform}-${process.arch}`);
    if (existsSync(prebuildDir)) {
      for (const f of readdirSync(prebuildDir)) if (f.endsWith('.node')) paths.push(join(prebuildDir, f));
    }
    paths.push(join(nativeDir, 'build', 'Release', 'ibotjs_native.node'));
  }
  return paths;
}

let loaded: LoadedAddon | undefined;

/** Loads the addon once per process. Throws an Error listing every attempt and the likely fixes. */
export function loadAddon(): LoadedAddon {
  if (loaded) return loaded;
  const failures: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      failures.push(`${path}: not found`);
      continue;
    }
    try {
      loaded = {addon: require(path) as NativeAddon, path};
      return loaded;
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
      `@ibotjs/tfjs-backend-native could not load its native binary (platform ${process.platform}-${process.arch}, ` +
      `Node ${process.versions.node}, N-API ${process.versions.napi}).\nTried:\n` +
      (failures.length ? failures.map((f) => `  - ${f}`).join('\n') : '  - nothing: @ibotjs/native is not installed') +
      '\nPossible fixes:\n' +
      '  - reinstall so the prebuilt binary is fetched from npm (prebuilds exist for linux-x64, glibc, Node-API 8+);\n' +
      '  - build from source: install cmake and a C++17 compiler (and nvcc for CUDA), then run ' +
      '`npm rebuild @ibotjs/native` (or `pnpm --filter @ibotjs/native run build` in the repository);\n' +
      '  - point IBOT_NATIVE_BINARY at a .node file you built yourself.');
}
