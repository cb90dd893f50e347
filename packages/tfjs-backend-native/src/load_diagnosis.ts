// Explains why a native binary did not load: reads the file's ELF header (architecture, 32/64-bit) and the dynamic
// loader's message (missing glibc or libstdc++ symbol versions, missing Node-API functions, missing libraries), so the
// loader's error can name the cause and the fix instead of repeating dlopen's text.
import {closeSync, openSync, readSync} from 'node:fs';

/** The causes the loader knows a fix for. */
export type LoadFailureKind = 'not-found' | 'not-elf' | 'architecture' | 'glibc' | 'libstdc++' | 'node-api' |
    'missing-library' | 'other';

export interface LoadFailure {
  kind: LoadFailureKind;
  /** One line: what is wrong with this file here. */
  detail: string;
  /** For 'glibc': the glibc version the binary needs. */
  needsGlibc?: string;
}

// e_machine values (System V ABI) for the architectures Node runs on, named as process.arch names them.
const ELF_MACHINES: Record<number, string> = {
  0x03: 'ia32', 0x08: 'mips', 0x14: 'ppc', 0x15: 'ppc64', 0x16: 's390x', 0x28: 'arm', 0x3e: 'x64', 0xb7: 'arm64',
  0xf3: 'riscv64', 0x102: 'loong64',
};

export interface ElfIdentity {
  bits: 32 | 64;
  arch: string;
}

/** The architecture an ELF file was built for; 'not-elf' for anything else; undefined when it cannot be read. */
export function readElfIdentity(path: string): ElfIdentity | 'not-elf' | undefined {
  const header = Buffer.alloc(20);
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (n < 20 || header.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
  const bits = header[4] === 2 ? 64 : 32;
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  return {bits, arch: ELF_MACHINES[machine] ?? `ELF machine 0x${machine.toString(16)}`};
}

let glibcVersion: {value: string | undefined} | undefined;

/** The running glibc version ('2.36'), or undefined on a libc without one (musl). Slow (a diagnostic report): only
 *  the failure path asks. */
export function runtimeGlibc(): string | undefined {
  if (!glibcVersion) {
    const report = process.report?.getReport() as {header?: {glibcVersionRuntime?: string}} | undefined;
    glibcVersion = {value: report?.header?.glibcVersionRuntime};
  }
  return glibcVersion.value;
}

/** Classifies one failed load of `path`, whose require() threw `message`. */
export function diagnoseLoadFailure(path: string, message: string): LoadFailure {
  const first = message.split('\n')[0]!.replace(`${path}: `, '');
  const elf = readElfIdentity(path);
  if (elf === 'not-elf') {
    return {kind: 'not-elf', detail: 'not a shared library (no ELF header): the file is damaged or incomplete'};
  }
  if (elf && (elf.arch !== process.arch || elf.bits !== 64)) {
    return {
      kind: 'architecture',
      detail: `built for ${elf.arch} (${elf.bits}-bit), but this Node.js runs on ${process.arch}`,
    };
  }
  const glibc = /GLIBC_(\d+\.\d+(?:\.\d+)?)' not found/.exec(first);
  if (glibc) {
    const have = runtimeGlibc();
    return {
      kind: 'glibc',
      needsGlibc: glibc[1]!,
      detail: `needs glibc ${glibc[1]} or newer; this system has ${have ? `glibc ${have}` : 'no glibc (musl?)'}`,
    };
  }
  const cxx = /((?:GLIBCXX|CXXABI)_[\d.]+)' not found/.exec(first);
  if (cxx) return {kind: 'libstdc++', detail: `needs a newer libstdc++ than this system has (${cxx[1]} is missing)`};
  const napi = /undefined symbol: (napi_\w+|node_api_\w+)/.exec(first);
  if (napi) {
    return {
      kind: 'node-api',
      detail: `uses ${napi[1]}, which this Node.js (${process.versions.node}, Node-API ${process.versions.napi}) lacks`,
    };
  }
  const lib = /^(\S+\.so[\w.]*): cannot open shared object file/.exec(first);
  if (lib && !path.endsWith(lib[1]!)) {
    return {kind: 'missing-library', detail: `needs ${lib[1]}, which is not installed (${first})`};
  }
  return {kind: 'other', detail: first};
}
