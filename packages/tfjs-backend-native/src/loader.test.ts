// The loader's failure messages: each kind of broken binary (missing, not a shared library, another architecture, too
// new a glibc, too old a Node-API) is named with its fix, every attempt is listed, and a good candidate after bad ones
// still loads.
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import test from 'ava';

import {diagnoseLoadFailure, readElfIdentity} from './load_diagnosis.js';
import {candidatePaths, loadAddon, loadBinary} from './loader.js';

const dir = mkdtempSync(join(tmpdir(), 'ibotjs-loader-'));

/** A file that starts like a shared library for another machine: ELF class, byte order, type ET_DYN, e_machine. */
function fakeElf(name: string, bits: 32 | 64, machine: number): string {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = bits === 64 ? 2 : 1;
  header[5] = 1;  // little-endian
  header[6] = 1;  // ELF version
  header.writeUInt16LE(3, 16);  // ET_DYN
  header.writeUInt16LE(machine, 18);
  const path = join(dir, name);
  writeFileSync(path, header);
  return path;
}

test('a missing binary is reported with the reinstall and build-from-source fixes', (t) => {
  const missing = join(dir, 'missing', 'ibotjs_native.node');
  const err = t.throws(() => loadBinary([{kind: 'prebuild', path: missing}]), {instanceOf: Error});
  t.regex(err!.message, /could not load its native binary \(this machine: linux-x64, glibc [\d.]+, Node\.js/);
  t.true(err!.message.includes(`prebuild ${missing}: not found`), err!.message);
  t.regex(err!.message, /reinstall the package/);
  t.regex(err!.message, /IBOT_BUILD_FROM_SOURCE=1 npm rebuild @ibotjs\/native/);
  t.regex(err!.message, /IBOT_NATIVE_BINARY/);
});

test('a file that is not a shared library is named as such', (t) => {
  const path = join(dir, 'lfs-pointer.node');
  writeFileSync(path, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n');
  const err = t.throws(() => loadBinary([{kind: 'prebuild', path}]), {instanceOf: Error});
  t.regex(err!.message, /lfs-pointer\.node: not a shared library \(no ELF header\)/);
  t.regex(err!.message, /reinstall the package/);
});

test('a binary for another architecture is named with both architectures', (t) => {
  const arm = fakeElf('arm64.node', 64, 0xb7);
  const x86 = fakeElf('ia32.node', 32, 0x03);
  t.deepEqual(readElfIdentity(arm), {bits: 64, arch: 'arm64'});
  const err = t.throws(() => loadBinary([{kind: 'prebuild', path: arm}, {kind: 'local build', path: x86}]),
                       {instanceOf: Error});
  t.regex(err!.message, /arm64\.node: built for arm64 \(64-bit\), but this Node\.js runs on x64/);
  t.regex(err!.message, /ia32\.node: built for ia32 \(32-bit\), but this Node\.js runs on x64/);
  t.regex(err!.message, /run Node\.js for x64/);
});

test('dynamic-loader messages about glibc, libstdc++, Node-API and libraries are classified', (t) => {
  // The path of a real x64 binary, so the ELF check passes and only the message decides.
  const real = loadAddon().path;
  const glibc = diagnoseLoadFailure(real, `${real}: /lib/x86_64-linux-gnu/libc.so.6: version \`GLIBC_2.99' not found ` +
                                              `(required by ${real})`);
  t.is(glibc.kind, 'glibc');
  t.is(glibc.needsGlibc, '2.99');
  t.regex(glibc.detail, /needs glibc 2\.99 or newer; this system has glibc [\d.]+/);
  t.is(diagnoseLoadFailure(real, `/lib/libstdc++.so.6: version \`GLIBCXX_3.4.32' not found`).kind, 'libstdc++');
  const napi = diagnoseLoadFailure(real, `${real}: undefined symbol: node_api_create_buffer_from_arraybuffer`);
  t.is(napi.kind, 'node-api');
  t.regex(napi.detail, /Node-API \d+\) lacks/);
  const lib = diagnoseLoadFailure(real, 'libcudart.so.13: cannot open shared object file: No such file or directory');
  t.is(lib.kind, 'missing-library');
  t.regex(lib.detail, /needs libcudart\.so\.13/);
  t.is(diagnoseLoadFailure(real, 'something else entirely').detail, 'something else entirely');
});

test('every attempt is listed and a good candidate after bad ones loads', (t) => {
  const real = loadAddon().path;
  const loaded = loadBinary([{kind: 'prebuild', path: join(dir, 'nope.node')}, {kind: 'local build', path: real}]);
  t.is(loaded.path, real);
  t.is(loaded.source, 'local build');
  t.is(typeof loaded.addon.info, 'function');
});

test('IBOT_NATIVE_BINARY replaces the search instead of adding to it', (t) => {
  const saved = process.env['IBOT_NATIVE_BINARY'];
  try {
    process.env['IBOT_NATIVE_BINARY'] = join(dir, 'mine.node');
    t.deepEqual(candidatePaths(), [{kind: 'IBOT_NATIVE_BINARY', path: join(dir, 'mine.node')}]);
    delete process.env['IBOT_NATIVE_BINARY'];
    const kinds = candidatePaths().map((c) => c.kind);
    t.is(kinds[0], 'local build');
    t.true(kinds.includes('prebuild'), 'the prebuild directory is searched too');
  } finally {
    if (saved === undefined) delete process.env['IBOT_NATIVE_BINARY'];
    else process.env['IBOT_NATIVE_BINARY'] = saved;
  }
});
