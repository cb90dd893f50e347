// ibot convert on the committed .pth fixtures (written once by real PyTorch: packages/eval/test-fixtures/pth): the
// output loads strictly into a ViT, hostile files are clear errors and leave no output behind.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {loadSafetensors} from '@ibotjs/ibot';
import test from 'ava';

import {createProgram} from './program.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'eval', 'test-fixtures', 'pth');

function run(args: string[]): {out: string; err: string; error?: Error} {
  let out = '', err = '';
  const program = createProgram({stdout: {write: (s: string) => (out += s)}, stderr: {write: (s: string) => (err += s)}});
  try {
    program.parse(['node', 'ibot', ...args]);
    return {out, err};
  } catch (e) {
    return {out, err, error: e as Error};
  }
}

test('ibot convert writes the teacher backbone of an iBOT checkpoint, prefixes stripped', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-convert-'));
  try {
    const out = join(dir, 'teacher.safetensors');
    const r = run(['convert', join(fixtures, 'ibot_tiny.pth'), out]);
    t.is(r.error, undefined, r.err);
    t.regex(r.out, /backbone tensors .* from 'teacher'/);
    const {tensors} = loadSafetensors(out);
    const names = [...tensors.keys()];
    t.true(names.includes('cls_token'), names.join(', '));
    t.false(names.some((n) => n.startsWith('module.') || n.startsWith('backbone.') || n.startsWith('head.')));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('ibot convert refuses a hostile pickle and writes nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-convert-'));
  try {
    const out = join(dir, 'x.safetensors');
    const hostile = ['hostile_os_system.pth', 'hostile_module.pth'].map((f) => join(fixtures, f)).find((f) => existsSync(f));
    t.truthy(hostile, 'a hostile fixture exists');
    const r = run(['convert', hostile!, out]);
    t.truthy(r.error);
    t.false(existsSync(out));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
