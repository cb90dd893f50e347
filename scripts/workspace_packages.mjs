// The workspace's packages as pnpm-workspace.yaml lists them, and which of them are published (no "private": true).
// Shared by pack.mjs, set_version.mjs and the packaging test.
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Directories (relative to the root) matched by the `packages:` globs of pnpm-workspace.yaml ('dir' or 'dir/*'). */
function workspaceDirs() {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:\s+-.*\n?)+)/m.exec(yaml)?.[1] ?? '';
  const dirs = [];
  for (const m of block.matchAll(/^\s+-\s*['"]?([^'"\n]+)['"]?/gm)) {
    const pattern = m[1].trim();
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const d of readdirSync(join(ROOT, parent), {withFileTypes: true})) {
        if (d.isDirectory()) dirs.push(join(parent, d.name));
      }
    } else {
      dirs.push(pattern);
    }
  }
  return dirs.filter((d) => existsSync(join(ROOT, d, 'package.json'))).sort();
}

/** Every workspace package: {dir (relative), path (absolute), json (parsed package.json)}. */
export function workspacePackages() {
  return workspaceDirs().map((dir) => ({
    dir,
    path: join(ROOT, dir),
    json: JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')),
  }));
}

/** The packages that are published to npm. */
export function publicPackages() {
  return workspacePackages().filter((p) => !p.json.private);
}
