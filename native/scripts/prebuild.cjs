#!/usr/bin/env node
// Makes the release binary: prebuildify (through cmake-js-shim.cjs) builds the addon with CUDA for every supported GPU
// architecture and the static C++ runtime, strips it and writes prebuilds/<platform>-<arch>/@ibotjs+native.glibc.node.
// Then checks what it made: CUDA compiled in for the expected architectures, no libstdc++ dependency, and the newest
// glibc symbol version it needs (the README's platform line).
//
//   node scripts/prebuild.cjs [--clean]      (root: pnpm prebuild:native)
//
// The build directory is build-prebuild/ (incremental; --clean starts over), so a developer's build/ is left alone.
'use strict';
const {execFileSync, spawnSync} = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const {NATIVE_DIR, envFlag} = require('./build.cjs');

const STAGING = path.join(NATIVE_DIR, 'build-prebuild');
// The oldest glibc the prebuild supports (the README's platform line): the static CUDA runtime's pthread symbols
// moved into libc in 2.34.
const MAX_GLIBC = '2.34';
const cpuOnly = process.env.IBOT_CUDA !== undefined && !envFlag('IBOT_CUDA');

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

if (process.argv.includes('--clean')) fs.rmSync(STAGING, {recursive: true, force: true});
fs.mkdirSync(STAGING, {recursive: true});
const platformDir = path.join(NATIVE_DIR, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(platformDir, {recursive: true, force: true});

const started = Date.now();
const prebuildify = path.join(path.dirname(require.resolve('prebuildify/package.json')), 'bin.js');
const r = spawnSync(process.execPath, [
  prebuildify, '--napi', '--strip', '--tag-libc', '--name', '@ibotjs/native', '--cwd', STAGING, '--out', NATIVE_DIR,
  '--node-gyp', path.join(__dirname, 'cmake-js-shim.cjs'),
], {cwd: NATIVE_DIR, stdio: 'inherit', env: {...process.env, IBOT_REQUIRE_CUDA: cpuOnly ? '0' : '1'}});
if (r.status !== 0) fail(`prebuildify failed (exit ${r.status ?? r.signal})`);

const files = fs.readdirSync(platformDir).filter((f) => f.endsWith('.node'));
if (files.length !== 1) fail(`expected one binary in ${platformDir}, found ${files.length}`);
const binary = path.join(platformDir, files[0]);

// Load it in a child process: buildInfo() reports what was compiled in without touching the GPU driver.
const build = JSON.parse(execFileSync(process.execPath, [
  '-e', 'process.stdout.write(JSON.stringify(require(process.argv[1]).buildInfo()))', binary,
], {encoding: 'utf8'}));
if (!cpuOnly && !build.cudaCompiled) fail(`${binary} has no CUDA kernels (was nvcc found?)`);
const DEFAULT_ARCHS = '75-real,80-real,86-real,89-real,90-real,90a-real,90-virtual';  // CMakeLists.txt's default
if (!cpuOnly && build.cudaArchitectures !== DEFAULT_ARCHS) {
  const message = `CUDA architectures ${build.cudaArchitectures}, not the release set ${DEFAULT_ARCHS}`;
  if (!process.env.IBOT_CUDA_ARCHITECTURES) fail(message);
  console.warn(`prebuild: ${message} (IBOT_CUDA_ARCHITECTURES is set): not for release`);
}

// Shared-library requirements, when binutils is installed (it is wherever g++ is).
let needed = [], glibc = 'unknown';
try {
  const dyn = execFileSync('readelf', ['-d', '-W', binary], {encoding: 'utf8'});
  needed = [...dyn.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
  const versions = execFileSync('readelf', ['-V', '-W', binary], {encoding: 'utf8'});
  const glibcs = [...versions.matchAll(/Name: GLIBC_([\d.]+)/g)].map((m) => m[1]);
  glibc = glibcs.sort((a, b) => a.localeCompare(b, undefined, {numeric: true})).at(-1) ?? 'none';
} catch (e) {
  console.warn(`prebuild: readelf unavailable, dependency check skipped (${e.message.split('\n')[0]})`);
}
if (needed.some((n) => /libstdc\+\+/.test(n))) fail(`${binary} links ${needed.join(', ')}: expected a static libstdc++`);
// The README promises this floor; a newer symbol (e.g. from a toolchain upgrade) would break it silently.
if (glibc !== 'unknown' && glibc.localeCompare(MAX_GLIBC, undefined, {numeric: true}) > 0) {
  fail(`${binary} needs GLIBC_${glibc}, newer than the promised ${MAX_GLIBC} (see src/core/glibc_compat.cc)`);
}

const mb = (fs.statSync(binary).size / 2 ** 20).toFixed(1);
console.log(`prebuild: ${path.relative(NATIVE_DIR, binary)} ${mb} MiB in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`prebuild: CUDA ${build.cudaCompiled ? build.cudaArchitectures : 'not compiled'}; Node-API ${build.napiVersion}`);
console.log(`prebuild: needs ${needed.join(', ') || '(readelf unavailable)'}; newest glibc symbol GLIBC_${glibc}`);
