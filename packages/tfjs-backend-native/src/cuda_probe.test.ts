// The CUDA probe: the driver search, the child process and its failure paths (hang, crash, error exit, no output),
// and the end-to-end promise: when the probe fails (a hang, or a driver library that crashes the process that loads
// it), the backend still comes up as 'native' with the reason in info().
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import test from 'ava';

import {findNvidiaDriver, probeInChild} from './cuda_probe.js';
import {loadAddon} from './loader.js';

const dir = mkdtempSync(join(tmpdir(), 'ibotjs-probe-'));
const binary = loadAddon().path;

test('the driver search finds libcuda.so.1 in a listed directory or the /proc entry, and lists where it looked', (t) => {
  const empty = join(dir, 'empty');
  const withLib = join(dir, 'lib');
  mkdirSync(empty);
  mkdirSync(withLib);
  writeFileSync(join(withLib, 'libcuda.so.1'), '');
  const none = findNvidiaDriver(join(dir, 'no-proc'), [empty]);
  t.false(none.found);
  t.true(none.where.includes(empty) && none.where.includes('no-proc'), none.where);
  t.deepEqual(findNvidiaDriver(join(dir, 'no-proc'), [empty, withLib]),
              {found: true, where: join(withLib, 'libcuda.so.1')});
  writeFileSync(join(dir, 'version'), 'NVRM version: 580.65.06\n');
  t.true(findNvidiaDriver(join(dir, 'version'), []).found);
});

test('the child process reports the same CUDA build facts as this process', (t) => {
  const r = probeInChild(binary, 60_000);
  if (!r.ok) return t.fail(r.failure);
  t.is(r.cuda.compiled, loadAddon().addon.buildInfo().cudaCompiled);
  t.is(typeof r.cuda.reason, 'string');
  t.true(r.ms > 0);
});

test('a probe that hangs is killed at the timeout', (t) => {
  const r = probeInChild(binary, 300, 'setInterval(() => {}, 1000);');
  t.false(r.ok);
  if (!r.ok) t.regex(r.failure, /did not finish within 300 ms/);
  t.true(r.ms < 30_000, `returned after ${r.ms} ms`);
});

test('a probe that crashes, fails or prints nothing is reported as such', (t) => {
  const crash = probeInChild(binary, 60_000, "process.kill(process.pid, 'SIGSEGV');");
  t.false(crash.ok);
  if (!crash.ok) t.regex(crash.failure, /crashed with SIGSEGV/);
  const exit = probeInChild(binary, 60_000, "console.error('cuInit failed'); process.exit(3);");
  if (!exit.ok) t.regex(exit.failure, /exited with code 3: cuInit failed/);
  else t.fail('an exit code of 3 was taken for success');
  const silent = probeInChild(binary, 60_000, "console.log('hello');");
  if (!silent.ok) t.regex(silent.failure, /printed no result/);
  else t.fail('output without the result line was taken for success');
});

test('when the probe fails the backend still comes up as native, with the reason in info()', (t) => {
  // A fresh process: CUDA's state is per process and is settled at the first load. IBOT_CUDA_PROBE=always probes
  // even without a driver, and a 1 ms timeout makes the probe fail.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const script = `
    import * as tf from '@tensorflow/tfjs-core';
    import {info} from '@ibotjs/tfjs-backend-native';
    await tf.setBackend('native');
    const y = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync();
    console.log(JSON.stringify({backend: tf.getBackend(), y, backends: info().backends, cuda: info().cuda,
                                  probe: info().cudaProbe}));`;
  const r = spawnSync(process.execPath, ['--import=tsx', '--conditions=source', '--input-type=module', '-e', script], {
    cwd: root, encoding: 'utf8',
    env: {...process.env, IBOT_CUDA_PROBE: 'always', IBOT_CUDA_PROBE_TIMEOUT_MS: '1', IBOT_DISABLE_CUDA: ''},
  });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.is(out.backend, 'native');
  t.deepEqual(out.y, [4, 6]);
  t.deepEqual(out.backends, ['native']);
  t.false(out.cuda.available);
  if (out.cuda.compiled) {
    t.regex(out.cuda.reason, /child process did not finish within 1 ms/);
    t.is(out.cuda.driverVersion, 0, 'the driver was never loaded in-process');
    t.is(out.probe.probe, 'failed');
  } else {
    t.log('CPU-only binary: the probe is skipped, nothing to turn off');
    t.is(out.probe.probe, 'skipped');
    t.regex(out.probe.reason, /built without CUDA/);
    t.regex(out.cuda.reason, /built without CUDA/);
  }
});

test('a driver library that crashes its process kills only the probe; the backend comes up as native', (t) => {
  // A stand-in libcuda.so.1 that aborts when loaded, found first through LD_LIBRARY_PATH: the driver search sees it,
  // so the probe runs, and the CUDA runtime's dlopen in the child aborts it. Loading it in-process would kill the
  // program (exit 134), which is what the probe is for.
  const fake = join(dir, 'broken-driver');
  mkdirSync(fake);
  writeFileSync(join(fake, 'fake.c'), '#include <stdlib.h>\n__attribute__((constructor)) static void broken(void) { abort(); }\n');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', join(fake, 'libcuda.so.1'), join(fake, 'fake.c')],
                       {encoding: 'utf8'});
  t.is(cc.status, 0, `cc (a C compiler is part of the build toolchain) failed: ${cc.stderr ?? cc.error?.message}`);
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const script = `
    import * as tf from '@tensorflow/tfjs-core';
    import {info} from '@ibotjs/tfjs-backend-native';
    await tf.setBackend('native');
    const y = tf.mul(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync();
    console.log(JSON.stringify({backend: tf.getBackend(), y, info: info()}));`;
  const r = spawnSync(process.execPath, ['--import=tsx', '--conditions=source', '--input-type=module', '-e', script], {
    cwd: root, encoding: 'utf8',
    env: {...process.env, LD_LIBRARY_PATH: fake, IBOT_NATIVE_BINARY: binary, IBOT_CUDA_PROBE: '', IBOT_DISABLE_CUDA: ''},
  });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.is(out.backend, 'native');
  t.deepEqual(out.y, [3, 8]);
  t.deepEqual(out.info.backends, ['native']);
  t.false(out.info.cuda.available);
  if (out.info.cuda.compiled) {
    t.is(out.info.cudaProbe.probe, 'failed');
    t.regex(out.info.cuda.reason, /child process crashed with SIGABRT/);
    t.is(out.info.cuda.driverVersion, 0, 'the broken driver was never loaded in-process');
  } else {
    t.log('CPU-only binary: no CUDA runtime to load the driver, the probe is skipped');
    t.is(out.info.cudaProbe.probe, 'skipped');
  }
});
