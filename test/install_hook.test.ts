// @ibotjs/native's install hook (native/scripts/install.cjs) as npm runs it in a user's node_modules: it keeps a
// prebuild that loads and compiles nothing; it builds from source only when no prebuild loads, and when that build
// cannot run (no cmake on the PATH) it fails with the reasons and the build requirements.
import {spawnSync} from 'node:child_process';
import {copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';

import test from 'ava';

import {loadAddon} from '../packages/tfjs-backend-native/src/loader.js';
import {ROOT} from '../scripts/workspace_packages.mjs';

/** A copy of the package's shipped scripts outside the repository (so the hook does not take the in-repo path). */
function installedPackage(prebuild: (path: string) => void): string {
  const pkg = join(mkdtempSync(join(tmpdir(), 'ibotjs-hook-')), 'node_modules', '@ibotjs', 'native');
  mkdirSync(join(pkg, 'prebuilds', 'linux-x64'), {recursive: true});
  for (const f of ['package.json', 'index.cjs', 'CMakeLists.txt', 'scripts/build.cjs', 'scripts/install.cjs']) {
    mkdirSync(dirname(join(pkg, f)), {recursive: true});
    copyFileSync(join(ROOT, 'native', f), join(pkg, f));
  }
  cpSync(join(ROOT, 'native', 'src'), join(pkg, 'src'), {recursive: true});
  // Its dependencies (cmake-js for the build from source), as npm would have installed them next to it.
  symlinkSync(join(ROOT, 'native', 'node_modules'), join(pkg, 'node_modules'));
  prebuild(join(pkg, 'prebuilds', 'linux-x64', '@ibotjs+native.glibc.node'));
  return pkg;
}

/** Runs the hook like npm does, with a PATH that holds node only: no cmake, no compiler. */
function runHook(pkg: string) {
  const bin = join(dirname(pkg), '..', '.bin-node-only');
  mkdirSync(bin, {recursive: true});
  if (!existsSync(join(bin, 'node'))) symlinkSync(process.execPath, join(bin, 'node'));
  const env: NodeJS.ProcessEnv = {PATH: bin, HOME: tmpdir()};
  return spawnSync(process.execPath, ['scripts/install.cjs'], {cwd: pkg, env, encoding: 'utf8', timeout: 120_000});
}

test('a prebuild that loads is kept and nothing is compiled', (t) => {
  const pkg = installedPackage((path) => copyFileSync(loadAddon().path, path));
  const r = runHook(pkg);
  t.is(r.status, 0, `${r.stdout}${r.stderr}`);
  t.regex(r.stdout, /using the prebuilt binary prebuilds\/linux-x64\/@ibotjs\+native\.glibc\.node/);
  t.false(existsSync(join(pkg, 'build')), 'no build directory was made');
});

test('when no prebuild loads it builds from source, and says what is missing when it cannot', (t) => {
  // A shared library for arm64: present, but not loadable on x64.
  const pkg = installedPackage((path) => {
    const header = Buffer.alloc(64);
    header.writeUInt32BE(0x7f454c46, 0);
    header[4] = 2;
    header[5] = 1;
    header[6] = 1;
    header.writeUInt16LE(3, 16);
    header.writeUInt16LE(0xb7, 18);
    writeFileSync(path, header);
  });
  const r = runHook(pkg);
  const out = `${r.stdout}${r.stderr}`;
  t.not(r.status, 0, out);
  t.regex(out, /no prebuilt binary loads on linux-x64/);
  t.regex(out, /prebuilds\/linux-x64\/@ibotjs\+native\.glibc\.node: /);
  t.regex(out, /building from source instead: this needs cmake >= 3\.18/);
  t.regex(out, /the build from source failed \(see above\)\. Install cmake >= 3\.18 and g\+\+ >= 9/);
});
