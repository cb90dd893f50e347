// Makes CUDA safe to turn on: before the addon touches the GPU driver in this process, a child process loads the same
// binary and initialises CUDA, so a broken or mismatched driver that crashes or hangs takes down the child, not the
// user's program. When the child fails, CUDA stays off in-process (addon.disableCuda) with the reason in info().
//
// The probe costs a Node start plus CUDA initialisation (0.3-0.6 s without a GPU on a loaded 2-core machine; CUDA
// initialisation adds more, most on multi-GPU machines), so it runs only when it can matter: the binary has CUDA
// kernels, CUDA is not disabled, and an NVIDIA driver is present (/proc/driver/nvidia/version, or libcuda.so.1 in the
// library path). With no driver found CUDA is turned off without a probe and without loading libcuda at all;
// IBOT_CUDA_PROBE=always probes anyway (a driver in an unusual place), IBOT_CUDA_PROBE=off trusts the driver and
// initialises CUDA in-process untested. Nothing is cached across processes: a driver can be installed or upgraded
// between runs.
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

import type {NativeAddon, NativeInfo} from './addon/index.js';

export interface CudaDecision {
  /**
   * 'skipped': no child process was needed (see reason); 'passed': the child initialised CUDA, so it is used here;
   * 'unavailable': the child found no usable GPU; 'failed': the child crashed, hung or printed nothing usable.
   */
  probe: 'skipped' | 'passed' | 'unavailable' | 'failed';
  reason: string;
  /** Wall time of the child process, 0 when skipped. */
  ms: number;
}

export interface DriverSearch {
  found: boolean;
  /** Where the driver was found, or the places that were searched. */
  where: string;
}

const DEFAULT_TIMEOUT_MS = 20_000;
// Printed before the JSON so that anything else the child writes (a driver's warning) cannot be mistaken for it.
const MARK = '@@ibotjs-cuda-probe@@';
const PROBE_SCRIPT =
    `const info = require(process.argv[1]).info();\nprocess.stdout.write('\\n${MARK}' + JSON.stringify(info.cuda) + '\\n');`;

const DRIVER_PROC_FILE = '/proc/driver/nvidia/version';
// Where distributions, the NVIDIA container toolkit, WSL2 and NixOS put libcuda.so.1.
const DRIVER_LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu',
  '/lib64', '/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/lib/wsl/lib', '/run/opengl-driver/lib',
];

function envOn(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}

/** The directories named in /etc/ld.so.conf.d/*.conf (the dynamic loader's extra search path). */
function ldSoConfDirs(): string[] {
  const dirs: string[] = [];
  try {
    for (const f of readdirSync('/etc/ld.so.conf.d')) {
      if (!f.endsWith('.conf')) continue;
      for (const line of readFileSync(join('/etc/ld.so.conf.d', f), 'utf8').split('\n')) {
        const d = line.replace(/#.*/, '').trim();
        if (d.startsWith('/')) dirs.push(d);
      }
    }
  } catch {
    // No such directory: nothing to add.
  }
  return dirs;
}

/** Looks for an NVIDIA driver with file-system checks only (no dlopen, no ldconfig). */
export function findNvidiaDriver(
    procFile = DRIVER_PROC_FILE,
    libDirs = [...new Set([...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), ...ldSoConfDirs(),
                           ...DRIVER_LIB_DIRS])]): DriverSearch {
  if (existsSync(procFile)) return {found: true, where: procFile};
  for (const dir of libDirs) {
    const lib = join(dir, 'libcuda.so.1');
    if (existsSync(lib)) return {found: true, where: lib};
  }
  return {found: false, where: `${procFile} is absent and libcuda.so.1 is in none of ${libDirs.join(', ')}`};
}

export type ProbeResult = {ok: true; cuda: NativeInfo['cuda']; ms: number} | {ok: false; failure: string; ms: number};

/**
 * Loads `binaryPath` in a child Node process and returns its info().cuda. `script` replaces the child's program
 * (tests use it to simulate a crash or a hang); it gets the binary's path as process.argv[1].
 */
export function probeInChild(binaryPath: string, timeoutMs: number, script = PROBE_SCRIPT): ProbeResult {
  const env = {...process.env};
  delete env['NODE_OPTIONS'];  // the probe needs no preloaded modules, and a loader there would only slow it down
  const started = Date.now();
  const r = spawnSync(process.execPath, ['-e', script, binaryPath], {
    encoding: 'utf8', env, timeout: timeoutMs, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
  });
  const ms = Date.now() - started;
  const line = r.stdout?.split('\n').find((l) => l.startsWith(MARK));
  if (line) {
    try {
      return {ok: true, cuda: JSON.parse(line.slice(MARK.length)) as NativeInfo['cuda'], ms};
    } catch {
      // Falls through to the failure below.
    }
  }
  const stderr = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  const tail = stderr ? `: ${stderr}` : '';
  let failure: string;
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    failure = `did not finish within ${timeoutMs} ms (a hung driver?)`;
  } else if (r.error) {
    failure = `could not be started (${r.error.message})`;
  } else if (r.signal) {
    failure = `crashed with ${r.signal}${tail}`;
  } else if (r.status !== 0) {
    failure = `exited with code ${r.status}${tail}`;
  } else {
    failure = `printed no result${tail}`;
  }
  return {ok: false, failure, ms};
}

function driverText(version: number): string {
  return version > 0 ? ` (the driver supports CUDA ${Math.floor(version / 1000)}.${(version % 1000) / 10})` : '';
}

/**
 * Decides, before the addon first touches CUDA, whether it may: probes in a child process when that can matter and
 * turns CUDA off in this process when the probe did not succeed.
 */
export function prepareCuda(addon: NativeAddon, binaryPath: string): CudaDecision {
  const skipped = (reason: string): CudaDecision => ({probe: 'skipped', reason, ms: 0});
  if (envOn(process.env['IBOT_DISABLE_CUDA'])) return skipped('IBOT_DISABLE_CUDA is set');
  if (!addon.buildInfo().cudaCompiled) return skipped('the binary was built without CUDA');
  const mode = (process.env['IBOT_CUDA_PROBE'] ?? 'auto').toLowerCase();
  if (mode === 'off') return skipped('IBOT_CUDA_PROBE=off: CUDA is initialised in this process untested');
  if (mode !== 'always') {
    const driver = findNvidiaDriver();
    if (!driver.found) {
      const reason = `no NVIDIA driver found (${driver.where})`;
      addon.disableCuda(reason);
      return skipped(reason);
    }
  }
  const timeoutMs = Number(process.env['IBOT_CUDA_PROBE_TIMEOUT_MS'] ?? DEFAULT_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const r = probeInChild(binaryPath, timeoutMs);
  if (r.ok && r.cuda.available) return {probe: 'passed', reason: '', ms: r.ms};
  if (r.ok) {
    const reason = `${r.cuda.reason}${driverText(r.cuda.driverVersion)}`;
    addon.disableCuda(reason);
    return {probe: 'unavailable', reason, ms: r.ms};
  }
  const reason = `CUDA was turned off because the test that initialises it in a child process ${r.failure}. ` +
      'Check the NVIDIA driver with `nvidia-smi` (CUDA 13 needs driver 580 or newer); set IBOT_DISABLE_CUDA=1 to ' +
      'skip CUDA, or IBOT_CUDA_PROBE_TIMEOUT_MS to wait longer';
  addon.disableCuda(reason);
  return {probe: 'failed', reason, ms: r.ms};
}
