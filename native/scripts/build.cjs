#!/usr/bin/env node
// Builds the addon from source with cmake-js into native/build/Release/ibotjs_native.node. The install hook,
// `pnpm build:native` and the prebuild shim all come through here, so every build uses the same flags.
//
//   node scripts/build.cjs [--cpu] [--rebuild] [--out DIR]
//
// Environment: IBOT_CUDA=OFF (CPU only), IBOT_CUDA_ARCHITECTURES, IBOT_REQUIRE_CUDA=1 (read by CMakeLists.txt);
// IBOT_STATIC_RUNTIME=1 links libstdc++ and libgcc statically, as the prebuilds do (CI sets it so the binary its
// install test ships is built exactly like a release prebuild).
'use strict';
const {spawnSync} = require('node:child_process');
const path = require('node:path');

const NATIVE_DIR = path.resolve(__dirname, '..');

// A prebuild then needs glibc (2.34, see src/core/glibc_compat.cc) and libgcc_s from the user's machine, not a
// libstdc++ at least as new as the build machine's. libgcc stays shared: its static unwinder would need glibc 2.35
// (_dl_find_object), and libgcc_s.so.1 keeps a stable ABI on every glibc system. --exclude-libs keeps libstdc++'s
// symbols out of the addon's dynamic symbol table, so they cannot interpose on (or be interposed by) the libstdc++
// that Node itself loads.
const STATIC_RUNTIME_FLAGS = '-static-libstdc++ -Wl,--exclude-libs,ALL';

function envFlag(name) {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v.toUpperCase() !== 'OFF' && v.toLowerCase() !== 'false';
}

/**
 * The cmake-js runs (arguments after the cmake-js script) for one build: configure every time, because `cmake-js
 * compile` skips the configure step (and so ignores changed -D options) once a build directory exists; then build.
 */
function cmakeJsRuns({rebuild = false, out = 'build', cpuOnly = false, staticRuntime = envFlag('IBOT_STATIC_RUNTIME')} = {}) {
  const where = ['-d', NATIVE_DIR, '-O', out];
  // The linker flags are always passed (empty when off), so a build directory configured once with them does not keep
  // them. IBOT_CUDA is passed only to turn CUDA off: otherwise the directory keeps its setting (or $IBOT_CUDA decides).
  const configure = ['configure', ...where, ...(cpuOnly ? ['--CDIBOT_CUDA=OFF'] : []),
                     `--CDCMAKE_SHARED_LINKER_FLAGS=${staticRuntime ? STATIC_RUNTIME_FLAGS : ''}`];
  return [...(rebuild ? [['clean', ...where]] : []), configure, ['build', ...where]];
}

/** Runs cmake-js in the native package; returns the exit status of the first step that fails (0 when all pass). */
function build(options = {}) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  for (const args of cmakeJsRuns(options)) {
    const r = spawnSync(process.execPath, [cmakeJs, ...args], {cwd: NATIVE_DIR, stdio: 'inherit'});
    if (r.error) console.error(`@ibotjs/native: could not run cmake-js: ${r.error.message}`);
    if (r.status !== 0) return r.status ?? 1;
  }
  return 0;
}

module.exports = {NATIVE_DIR, STATIC_RUNTIME_FLAGS, cmakeJsRuns, build, envFlag};

if (require.main === module) {
  const argv = process.argv.slice(2);
  const outAt = argv.indexOf('--out');
  process.exit(build({
    cpuOnly: argv.includes('--cpu'),
    rebuild: argv.includes('--rebuild'),
    out: outAt >= 0 ? argv[outAt + 1] : 'build',
  }));
}
