#!/usr/bin/env node
// The package's install hook: keep the prebuilt binary when it loads here, and build from source only when none does
// (so `npm install` needs no compiler on linux-x64 with glibc). In the ibotjs repository it always builds, as developers
// expect `pnpm install` to compile their changes.
//
// IBOT_BUILD_FROM_SOURCE=1 (or npm's --build-from-source) skips the prebuild.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const {binaryCandidates} = require('../index.cjs');
const {NATIVE_DIR, build, envFlag} = require('./build.cjs');

const log = (m) => console.log(`@ibotjs/native: ${m}`);

function inRepository() {
  return fs.existsSync(path.join(NATIVE_DIR, '..', 'pnpm-workspace.yaml'));
}

/** The first prebuild that loads in this process, or the reasons none did. Loading does not initialise CUDA. */
function loadablePrebuild() {
  const failures = [];
  for (const c of binaryCandidates().filter((c) => c.kind === 'prebuild')) {
    if (!fs.existsSync(c.path)) {
      failures.push(`${path.relative(NATIVE_DIR, c.path)}: not found`);
      continue;
    }
    try {
      require(c.path);
      return {path: c.path, failures};
    } catch (e) {
      failures.push(`${path.relative(NATIVE_DIR, c.path)}: ${String(e.message).split('\n')[0]}`);
    }
  }
  return {path: undefined, failures};
}

function main() {
  if (inRepository()) return build();
  if (envFlag('IBOT_BUILD_FROM_SOURCE') || envFlag('npm_config_build_from_source')) {
    log('building from source (IBOT_BUILD_FROM_SOURCE / --build-from-source)');
  } else {
    const found = loadablePrebuild();
    if (found.path) {
      log(`using the prebuilt binary ${path.relative(NATIVE_DIR, found.path)}`);
      return 0;
    }
    log(`no prebuilt binary loads on ${process.platform}-${process.arch} (Node ${process.versions.node}, ` +
        `Node-API ${process.versions.napi}):\n${found.failures.map((f) => `  - ${f}`).join('\n')}\n` +
        'building from source instead: this needs cmake >= 3.18, ninja or make and a C++17 compiler ' +
        '(and nvcc 13 for the CUDA kernels; IBOT_CUDA=OFF builds the CPU side alone)');
  }
  const status = build();
  if (status !== 0) {
    console.error('@ibotjs/native: the build from source failed (see above). Install cmake >= 3.18 and g++ >= 9 ' +
                  '(e.g. `apt-get install cmake g++`), or set IBOT_CUDA=OFF if the CUDA part fails, then run ' +
                  '`npm rebuild @ibotjs/native --foreground-scripts`.');
  }
  return status;
}

process.exit(main());
