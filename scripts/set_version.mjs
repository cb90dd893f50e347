#!/usr/bin/env node
// Sets one version on every published package, so they move together (`pnpm version:set 0.2.0`). Dependencies between
// them are `workspace:*`, which `pnpm pack` / `pnpm publish` rewrite to this exact version. test/packaging.test.ts
// fails when the versions differ.
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {publicPackages} from './workspace_packages.mjs';

const version = process.argv[2];
if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error('usage: pnpm version:set <major.minor.patch[-prerelease]>');
  process.exit(1);
}
for (const p of publicPackages()) {
  const file = join(p.path, 'package.json');
  // Replace the field in place so the file's layout (and every other field) stays as it was.
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/^(\s*"version":\s*)"[^"]*"/m, `$1"${version}"`);
  if (next === text && p.json.version !== version) {
    console.error(`${p.dir}/package.json has no "version" field`);
    process.exit(1);
  }
  writeFileSync(file, next);
  console.log(`${p.json.name}: ${p.json.version} -> ${version}`);
}
