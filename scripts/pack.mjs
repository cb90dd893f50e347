#!/usr/bin/env node
// Packs every published package with `pnpm pack` (which rewrites workspace:* dependencies to the exact version) into
// one directory and fails when a tarball is over its size limit.
//
//   node scripts/pack.mjs [--out DIR] [--native-binary FILE]      (pnpm pack:all; DIR defaults to dist-packages/)
//
// --native-binary ships FILE as @ibotjs/native's prebuild when native/prebuilds/ has none for this platform (the
// install test uses the binary CI has just built; it is removed again after packing).
import {spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gunzipSync} from 'node:zlib';

import {publicPackages, ROOT} from './workspace_packages.mjs';

const MiB = 2 ** 20;

/**
 * Size limits in MiB: `packed` is the .tgz that npm uploads (the registry's concern), `unpacked` what lands in the
 * user's node_modules. Why these numbers:
 * - @ibotjs/native carries the CUDA binary. The full-architecture prebuild (SASS for sm_75, 80, 86, 89, 90, 90a and
 *   compute_90 PTX, nvcc 13.0, stripped) measured 88.1 MiB: 17.0 MiB packed and 88.6 MiB unpacked as a tarball
 *   (2025-11-26, before the fused kernels). The limits leave 2.3x for the five fused-kernel families still to come,
 *   and keep the upload far below what the npm registry accepts: it documents no limit, but has rejected uploads of
 *   ~200 MB and more with E413 (npm/cli#4794: 229.9 MB; npm/documentation#1691: "above 200MB"), and npm's staff advise
 *   against packages much over ~120 MiB (npm/npm#12750). Past these limits, split the binary (e.g. one package per
 *   GPU generation) rather than raise them.
 * - @ibotjs/data ships the Fashion-MNIST test split (10k images, 4.2 MiB of gzipped IDX that gzip cannot shrink
 *   further) so the demo and the tests run offline: 6 MiB packed and 12 MiB unpacked leave room for its code, not for
 *   a second data set (those belong in a download step, not in a tarball).
 * - JavaScript packages: 2 MiB packed and 10 MiB unpacked, ~10x the backend today (0.15 / 1.1 MiB). Crossing them
 *   means something was packed by accident (a binary, test data, a bundle with inlined source maps).
 */
export const SIZE_LIMITS_MIB = {
  '@ibotjs/native': {packed: 40, unpacked: 200},
  '@ibotjs/data': {packed: 6, unpacked: 12},
  default: {packed: 2, unpacked: 10},
};

export function sizeLimitMiB(name) {
  return SIZE_LIMITS_MIB[name] ?? SIZE_LIMITS_MIB.default;
}

function prebuildFiles(platformDir) {
  return existsSync(platformDir) ? readdirSync(platformDir).filter((f) => f.endsWith('.node')) : [];
}

/**
 * Packs every public package into outDir. Returns one row per package: {name, version, file, bytes, unpackedBytes,
 * limitMiB, ok}
 * and, for @ibotjs/native, prebuilds (the binaries it carries).
 */
export function packAll({outDir = join(ROOT, 'dist-packages'), nativeBinary} = {}) {
  mkdirSync(outDir, {recursive: true});
  const rows = [];
  for (const p of publicPackages()) {
    let staged;
    let prebuilds;
    if (p.json.name === '@ibotjs/native') {
      const platformDir = join(p.path, 'prebuilds', `${process.platform}-${process.arch}`);
      if (nativeBinary && prebuildFiles(platformDir).length === 0) {
        mkdirSync(platformDir, {recursive: true});
        staged = join(platformDir, '@ibotjs+native.glibc.node');
        copyFileSync(nativeBinary, staged);
      }
      prebuilds = prebuildFiles(platformDir).map((f) => relative(ROOT, join(platformDir, f)));
    }
    try {
      const r = spawnSync('pnpm', ['pack', '--pack-destination', outDir, '--json'], {cwd: p.path, encoding: 'utf8'});
      if (r.status !== 0) throw new Error(`pnpm pack failed in ${p.dir}:\n${r.stdout}${r.stderr}`);
      const file = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).filename;
      const bytes = statSync(file).size;
      const unpackedBytes = gunzipSync(readFileSync(file)).length;  // the tar stream: contents plus 512-byte headers
      const limitMiB = sizeLimitMiB(p.json.name);
      rows.push({name: p.json.name, version: p.json.version, file, bytes, unpackedBytes, limitMiB,
                 ok: bytes <= limitMiB.packed * MiB && unpackedBytes <= limitMiB.unpacked * MiB, prebuilds});
    } finally {
      if (staged) rmSync(staged, {force: true});
    }
  }
  return rows;
}

export function formatRow(r) {
  const extra = r.prebuilds ? ` [prebuilds: ${r.prebuilds.join(', ') || 'NONE'}]` : '';
  return `${r.ok ? 'ok  ' : 'OVER'} ${r.name}@${r.version}: ${(r.bytes / MiB).toFixed(2)} MiB packed ` +
      `(limit ${r.limitMiB.packed}), ${(r.unpackedBytes / MiB).toFixed(2)} MiB unpacked (limit ${r.limitMiB.unpacked}) ` +
      `${r.file}${extra}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const arg = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const rows = packAll({outDir: arg('--out') && resolve(arg('--out')), nativeBinary: arg('--native-binary')});
  for (const r of rows) console.log(formatRow(r));
  const over = rows.filter((r) => !r.ok);
  if (over.length) {
    console.error(`pack: ${over.map((r) => r.name).join(', ')} over the size limit (scripts/pack.mjs SIZE_LIMITS_MIB)`);
    process.exit(1);
  }
  const native = rows.find((r) => r.name === '@ibotjs/native');
  if (native && native.prebuilds.length === 0) {
    console.warn('pack: @ibotjs/native carries no prebuilt binary (run `pnpm prebuild:native` first): users would ' +
                 'need a compiler to install it');
  }
}
