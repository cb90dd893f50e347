#!/usr/bin/env node
// The install test: packs every published package (scripts/pack.mjs, with its size limits), installs the tarballs into
// an empty directory with a plain `npm install` whose PATH holds only node, npm and sh (no compiler, no cmake, no
// nvcc) and whose environment holds no IBOT_* build settings, then runs smoke.mjs there. It is the check that the
// README's install instructions for users are true. Ends with `install: N passed, N failed`.
//
// The binary shipped is native/prebuilds/<platform>-<arch>/*.node when there is one (a release), otherwise the build
// CI has just made (native/build/Release), so CUDA is compiled once per CI run.
import {spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync,
        writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {formatRow, packAll} from '../../scripts/pack.mjs';
import {ROOT} from '../../scripts/workspace_packages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let passed = 0, failed = 0;

function check(ok, name, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? ` (${detail})` : ''}`);
  return ok;
}

function finish(work) {
  if (work && failed === 0) rmSync(work, {recursive: true, force: true});
  else if (work) console.log(`install: kept ${work} for inspection`);
  console.log(`install: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return realpathSync(p);
  }
  return undefined;
}

const started = Date.now();
const platformDir = join(ROOT, 'native', 'prebuilds', `${process.platform}-${process.arch}`);
const prebuilt = existsSync(platformDir) && readdirSync(platformDir).some((f) => f.endsWith('.node'));
const localBuild = join(ROOT, 'native', 'build', 'Release', 'ibotjs_native.node');
if (!check(prebuilt || existsSync(localBuild), 'a native binary to ship exists',
           prebuilt ? platformDir : existsSync(localBuild) ? `${localBuild}, shipped as the prebuild` : 'build it first')) {
  finish();
}

const work = mkdtempSync(join(tmpdir(), 'ibotjs-install-'));
const tarballs = join(work, 'tarballs');
let rows;
try {
  rows = packAll({outDir: tarballs, nativeBinary: prebuilt ? undefined : localBuild});
} catch (e) {
  check(false, 'pnpm pack', e.message);
  finish(work);
}
for (const r of rows) check(r.ok, `${r.name} packs within its size limit`, formatRow(r));
const native = rows.find((r) => r.name === '@ibotjs/native');
check(native?.prebuilds.length > 0, '@ibotjs/native carries a prebuilt binary', native?.prebuilds.join(', '));

// A PATH with node, npm and sh only: npm runs install scripts through sh, and nothing else may be found.
const bin = join(work, 'bin');
mkdirSync(bin);
const tools = {node: process.execPath, npm: which('npm'), sh: '/bin/sh'};
for (const [name, target] of Object.entries(tools)) {
  if (target) symlinkSync(target, join(bin, name));
}
const env = {PATH: bin, HOME: process.env.HOME ?? work, TMPDIR: tmpdir(), LANG: 'C.UTF-8'};
const found = spawnSync('/bin/sh', ['-c', 'for c in cc gcc g++ c++ clang cmake make ninja nvcc; do command -v $c; done'],
                        {env, encoding: 'utf8'});
check(tools.npm && found.stdout.trim() === '', 'no compiler, cmake or nvcc is on the install PATH',
      found.stdout.trim().replace(/\n/g, ', '));

const app = join(work, 'app');
mkdirSync(app);
writeFileSync(join(app, 'package.json'), JSON.stringify({name: 'ibotjs-install-test', private: true, type: 'module'}));
copyFileSync(join(here, 'smoke.mjs'), join(app, 'smoke.mjs'));
const install = spawnSync(join(bin, 'npm'), [
  'install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts',
  ...rows.map((r) => r.file), '@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0',
], {cwd: app, env, encoding: 'utf8', timeout: 600_000});
const installLog = `${install.stdout ?? ''}${install.stderr ?? ''}`;
console.log(installLog.trim().split('\n').map((l) => `  npm | ${l}`).join('\n'));
check(install.status === 0, 'npm install of the tarballs succeeds with no compiler',
      install.error?.message ?? `exit ${install.status}`);
check(/@ibotjs\/native: using the prebuilt binary/.test(installLog), 'the install hook kept the prebuilt binary');
check(!existsSync(join(app, 'node_modules', '@ibotjs', 'native', 'build')), 'nothing was compiled at install');

const smoke = spawnSync(process.execPath, ['smoke.mjs'], {cwd: app, env, encoding: 'utf8', timeout: 300_000});
process.stdout.write((smoke.stdout ?? '').split('\n').map((l) => (l ? `  smoke | ${l}` : l)).join('\n'));
if (smoke.stderr) process.stdout.write(smoke.stderr.split('\n').map((l) => (l ? `  smoke! | ${l}` : l)).join('\n'));
const smokeOk = (smoke.stdout ?? '').match(/^ok - /gm)?.length ?? 0;
const smokeFailed = (smoke.stdout ?? '').match(/^not ok - /gm)?.length ?? 0;
passed += smokeOk;
failed += smokeFailed;
check(smoke.status === 0 && smokeOk > 0, 'the smoke script ran to the end', `exit ${smoke.status ?? smoke.signal}`);
console.log(`install: took ${Math.round((Date.now() - started) / 1000)} s`);
finish(work);
