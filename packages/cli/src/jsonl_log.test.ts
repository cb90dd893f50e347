// The JSONL run log: one object per line, appended across runs, non-finite numbers as null, a cut-off last line
// tolerated and any other bad line reported with its number; and the step points the loss curve is drawn from.
import {appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import test from 'ava';

import {JsonlLog, readJsonl} from './jsonl_log.js';
import {stepPoints} from './train_command.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ibot-jsonl-'));

test('one line per record, appended, with a time; NaN and Infinity become null', (t) => {
  const dir = tmp();
  try {
    const path = join(dir, 'log.jsonl');
    const log = new JsonlLog(path);
    log.write({type: 'step', globalStep: 0, loss: 9.5});
    log.write({type: 'step', globalStep: 1, loss: Number.NaN, lr: Infinity});
    log.close();
    t.throws(() => log.write({type: 'x'}), {message: /after close/});
    const again = new JsonlLog(path); // a resumed run appends
    again.write({type: 'epoch', epoch: 0});
    again.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    t.is(lines.length, 3);
    const records = readJsonl(path);
    t.deepEqual(records.map((r) => r.type), ['step', 'step', 'epoch']);
    t.is(records[1]!['loss'], null);
    t.is(records[1]!['lr'], null);
    t.regex(String(records[0]!['time']), /^\d{4}-\d\d-\d\dT/);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('readJsonl skips a cut-off last line, names any other bad line, and reads a missing file as empty', (t) => {
  const dir = tmp();
  try {
    const path = join(dir, 'log.jsonl');
    t.deepEqual(readJsonl(path), []);
    writeFileSync(path, '{"type":"step","globalStep":0}\n{"type":"step","glo');
    t.is(readJsonl(path).length, 1);
    writeFileSync(path, '{"type":"step"}\nnot json\n{"type":"step"}\n');
    t.throws(() => readJsonl(path), {message: /log\.jsonl:2: not a JSON object/});
    writeFileSync(path, '[1, 2]\n{"type":"step"}\n');
    t.throws(() => readJsonl(path), {message: /:1: not a JSON object/});
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('stepPoints keeps the last record of each step (a resumed run repeats steps) in step order', (t) => {
  const dir = tmp();
  try {
    const path = join(dir, 'log.jsonl');
    const line = (o: object) => appendFileSync(path, JSON.stringify(o) + '\n');
    line({type: 'run', event: 'start'});
    for (const s of [0, 1, 2, 3]) line({type: 'step', globalStep: s, loss: 10 - s, cls: 5, patch: 5 - s});
    line({type: 'run', event: 'resume'});
    for (const s of [2, 3, 4]) line({type: 'step', globalStep: s, loss: 100 + s, cls: null, patch: 1});
    line({type: 'epoch', epoch: 0, loss: 1});
    const pts = stepPoints(path);
    t.deepEqual(pts.map((p) => p.globalStep), [0, 1, 2, 3, 4]);
    t.deepEqual(pts.map((p) => p.loss), [10, 9, 102, 103, 104]);
    t.is(pts[3]!.cls, null);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
