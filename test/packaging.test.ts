// Every published package follows the publishing convention (CONTRIBUTING.md, "Publishing"): one shared version,
// Apache-2.0 with its own LICENSE copy, a README, `files`, `exports` with types, and workspace:* between
// our own packages. The tarballs themselves are built and installed by test/install/run.mjs.
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

import test from 'ava';

import {publicPackages, ROOT, workspacePackages} from '../scripts/workspace_packages.mjs';

const packages = publicPackages();

test('the published packages are the ones we expect to publish', (t) => {
  const names = packages.map((p) => p.json.name);
  for (const required of ['@ibotjs/native', '@ibotjs/tfjs-backend-native', '@ibotjs/ops']) {
    t.true(names.includes(required), `${required} is public`);
  }
  for (const name of names) t.regex(name, /^@ibotjs\//, `${name} is in the @ibotjs scope`);
});

test('every published package has the same version', (t) => {
  const versions = new Set(packages.map((p) => p.json.version));
  t.is(versions.size, 1,
       `versions differ: ${packages.map((p) => `${p.json.name}@${p.json.version}`).join(', ')}; ` +
       'run `pnpm version:set <x.y.z>`');
});

test('every published package has files, exports with types, licence and a README', (t) => {
  const rootLicense = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  for (const p of packages) {
    const j = p.json;
    const where = `${p.dir}/package.json`;
    t.true(typeof j['description'] === 'string' && (j['description'] as string).length > 20, `${where}: description`);
    t.is(j['license'], 'Apache-2.0', `${where}: license`);
    t.true(Array.isArray(j['files']) && (j['files'] as unknown[]).length > 0, `${where}: files`);
    t.truthy(j['types'], `${where}: types`);
    const exports = j['exports'] as Record<string, unknown> | undefined;
    t.true(typeof exports === 'object' && exports !== null && '.' in exports, `${where}: exports["."]`);
    const main = exports?.['.'] as Record<string, string> | undefined;
    t.truthy(main?.['types'], `${where}: exports["."].types`);
    t.truthy(main?.['default'], `${where}: exports["."].default`);
    // engines is optional (npm only warns on it), but when a package states it, it states the project's floor.
    const engines = (j['engines'] as Record<string, string> | undefined)?.['node'];
    if (engines !== undefined) t.is(engines, '>=20', `${where}: engines.node`);
    t.true(existsSync(join(p.path, 'README.md')), `${p.dir}/README.md exists`);
    t.true(existsSync(join(p.path, 'LICENSE')), `${p.dir}/LICENSE exists`);
    if (existsSync(join(p.path, 'LICENSE'))) {
      t.is(readFileSync(join(p.path, 'LICENSE'), 'utf8'), rootLicense, `${p.dir}/LICENSE is the root LICENSE`);
    }
  }
});

test('our packages depend on each other through workspace:* so the versions move together', (t) => {
  const ours = new Set(workspacePackages().map((p) => p.json.name));
  for (const p of packages) {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
      const deps = (p.json[field] ?? {}) as Record<string, string>;
      for (const [name, range] of Object.entries(deps)) {
        if (ours.has(name)) t.is(range, 'workspace:*', `${p.dir}: ${field}.${name}`);
      }
    }
  }
});
