// The checkpoint store: round trips, retention, corruption detection, cleanup of interrupted saves, and crash safety
// (a writer SIGKILLed at random moments never leaves a `latest` that fails to load or holds a torn checkpoint).
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import test from 'ava';
import {seededRng} from '@ibotjs/tfjs-backend-native/testing/random';

import {crashCheckpoint, crashValue} from '../testing/crash_checkpoint.js';

import {CheckpointError, CheckpointStore, STATE_TENSORS, type Checkpoint, type LoadedCheckpoint} from './store.js';
import type {FloatTensor, TensorDict} from './safetensors.js';

function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'ibot-ckpt-'));
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function sameTensors(t: import('ava').ExecutionContext, got: Map<string, FloatTensor>, want: TensorDict, label: string) {
  const entries = want instanceof Map ? [...want.entries()] : Object.entries(want);
  t.deepEqual([...got.keys()], entries.map(([k]) => k), `${label} names`);
  for (const [name, w] of entries) {
    t.deepEqual(got.get(name)!.shape, w.shape, `${label} ${name} shape`);
    t.deepEqual(bits(got.get(name)!.data), bits(w.data), `${label} ${name} values`);
  }
}

/** Checks that a loaded checkpoint is exactly checkpoint k of the crash test. */
function isCrashCheckpoint(c: LoadedCheckpoint, k: number): string | null {
  const salts: [Map<string, FloatTensor>, string, number][] = [
    [c.student, 'backbone.w', 1], [c.student, 'head.b', 2], [c.teacher, 'backbone.w', 3], [c.teacher, 'head.b', 4],
    [c.tensors, 'optimizer.exp_avg.backbone.w', 5], [c.tensors, 'optimizer.exp_avg_sq.backbone.w', 6],
  ];
  for (const [dict, name, salt] of salts) {
    const data = dict.get(name)?.data;
    if (!data) return `${name} missing`;
    for (let j = 0; j < data.length; j++) {
      if (data[j] !== crashValue(k, salt, j)) return `${name}[${j}] = ${data[j]}, want ${crashValue(k, salt, j)}`;
    }
  }
  return c.state.lossLogPosition === 3 * k ? null : `lossLogPosition ${c.state.lossLogPosition}`;
}

function randomCheckpoint(seed: () => number, step: number): Checkpoint {
  const rand = (shape: number[]): FloatTensor =>
      ({shape, data: Float32Array.from({length: shape.reduce((a, b) => a * b, 1)}, seed)});
  const student = new Map([['backbone.cls_token', rand([1, 1, 8])], ['head.last_layer.weight_v', rand([5, 3])],
                           ['head.last_layer.weight_g', rand([5, 1])], ['backbone.norm.bias', rand([8])]]);
  return {
    student,
    teacher: {'backbone.cls_token': rand([1, 1, 8]), 'head.last_layer.weight_v': rand([5, 3])},
    tensors: {
      [STATE_TENSORS.center]: rand([1, 5]), [STATE_TENSORS.center2]: rand([1, 1, 5]),
      [STATE_TENSORS.adamM('backbone.cls_token')]: rand([1, 1, 8]),
      [STATE_TENSORS.adamV('backbone.cls_token')]: rand([1, 1, 8]),
    },
    state: {epoch: 2, step, config: {arch: 'vit_tiny', lr: 5e-4}, optimizer: {steps: {'backbone.cls_token': step}},
            rng: {seed: 42, counters: [1, 2]}, lossLogPosition: 17},
  };
}

test('save and load round-trip every tensor bit-exactly and the JSON state; loadLatest is null before any save',
     (t) => {
  const rng = seededRng(t);
  const root = tempRoot();
  try {
    const store = new CheckpointStore(join(root, 'nested', 'run'));
    t.is(store.loadLatest(), null);
    t.deepEqual(store.list(), []);
    const c = randomCheckpoint(() => rng.normal(), 120);
    const name = store.save(c);
    t.regex(name, /^ckpt-000001-step-0000000120$/);
    t.is(store.latestName(), name);
    const back = store.loadLatest()!;
    t.is(back.name, name);
    sameTensors(t, back.student, c.student, 'student');
    sameTensors(t, back.teacher, c.teacher, 'teacher');
    sameTensors(t, back.tensors, c.tensors, 'tensors');
    t.deepEqual(back.state, c.state);
    t.deepEqual(readdirSync(back.dir).sort(),
                ['state.json', 'state.safetensors', 'student.safetensors', 'teacher.safetensors']);
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});

test('keeps the newest N checkpoints and `latest` names the newest', (t) => {
  const root = tempRoot();
  try {
    const store = new CheckpointStore(root, {keep: 2});
    const names = [10, 20, 20, 30, 40].map((step) => store.save(randomCheckpoint(() => step, step)));
    t.is(new Set(names).size, 5, 'two saves at the same step get distinct names');
    t.deepEqual(store.list(), names.slice(3));
    t.is(store.latestName(), names[4]);
    t.is(store.loadLatest()!.state.step, 40);
    t.is(store.load(names[3]!).state.step, 30);
    t.deepEqual(readdirSync(root).filter((n) => n.startsWith('.')), [], 'no temporary files left');
    t.throws(() => new CheckpointStore(root, {keep: 0}), {instanceOf: CheckpointError});
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});

test('a damaged checkpoint is an error naming the file, never silently loaded', (t) => {
  const root = tempRoot();
  try {
    const store = new CheckpointStore(root);
    const name = store.save(randomCheckpoint(() => 0.25, 1));
    const dir = join(root, name);
    const student = join(dir, 'student.safetensors');
    const original = readFileSync(student);

    const flipped = Buffer.from(original);
    flipped[flipped.length - 1]! ^= 1;
    writeFileSync(student, flipped);
    t.throws(() => store.loadLatest(), {instanceOf: CheckpointError, message: /student\.safetensors: SHA-256 .* does not match/});
    t.notThrows(() => store.loadLatest({verify: false}), 'without verification a flipped data bit goes unnoticed');

    writeFileSync(student, original.subarray(0, original.length - 4));
    t.throws(() => store.loadLatest(), {instanceOf: CheckpointError, message: /bytes, the manifest in state\.json says/});

    const bad = Buffer.from(original);
    bad.writeBigUInt64LE(BigInt(original.length), 0);
    writeFileSync(student, bad);
    t.throws(() => store.loadLatest({verify: false}), {instanceOf: CheckpointError, message: /header length .* is invalid/});

    writeFileSync(student, original);
    t.notThrows(() => store.loadLatest());
    rmSync(join(dir, 'teacher.safetensors'));
    t.throws(() => store.loadLatest(), {instanceOf: CheckpointError, message: /teacher\.safetensors: missing/});

    writeFileSync(join(dir, 'state.json'), '{"format": "ibotjs-checkpoint", "version": 1');
    t.throws(() => store.loadLatest(), {instanceOf: CheckpointError, message: /state\.json: not valid JSON/});
    writeFileSync(join(dir, 'state.json'), '{"format": "ibotjs-checkpoint", "version": 9}');
    t.throws(() => store.loadLatest(), {instanceOf: CheckpointError, message: /format version 9/});

    writeFileSync(join(root, 'latest'), '../../etc\n');
    t.throws(() => store.loadLatest(), {instanceOf: CheckpointError, message: /does not name a checkpoint/});
    t.throws(() => store.load('../x'), {instanceOf: CheckpointError, message: /not a checkpoint name/});
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});

test('a failed save leaves `latest` and the directory as they were', (t) => {
  const root = tempRoot();
  try {
    const store = new CheckpointStore(root);
    const first = store.save(randomCheckpoint(() => 1, 1));
    const broken = randomCheckpoint(() => 2, 2);
    broken.teacher = {'x': {shape: [3], data: new Float32Array(2)}};
    t.throws(() => store.save(broken), {message: /'x' has shape \[3\]/});
    t.throws(() => store.save({...randomCheckpoint(() => 2, 2), state: {epoch: 0, step: -1}}),
             {instanceOf: CheckpointError, message: /non-negative integers/});
    t.is(store.latestName(), first);
    t.deepEqual(readdirSync(root).sort(), [first, 'latest']);
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});

test('leftovers of dead writers are removed on the next save; those of live processes are kept', (t) => {
  const root = tempRoot();
  try {
    const store = new CheckpointStore(root);
    store.save(randomCheckpoint(() => 1, 1));
    const deadPid = 2 ** 22 + 12345;  // above the kernel's default pid_max (2^22): no such process
    const dead = [`.ckpt.tmp-${deadPid}-00aa11bb`, `.trash-${deadPid}-deadbeef`];
    for (const d of dead) mkdirSync(join(root, d));
    writeFileSync(join(root, `.latest.tmp-${deadPid}-0badf00d`), 'ckpt-000009-step-0000000009\n');
    const live = `.ckpt.tmp-${process.ppid}-12345678`;
    mkdirSync(join(root, live));
    store.save(randomCheckpoint(() => 2, 2));
    t.deepEqual(readdirSync(root).filter((n) => n.startsWith('.')), [live]);
    t.true(existsSync(join(root, 'latest')));
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});

test('crash safety: a writer SIGKILLed at random moments never leaves a torn or unloadable `latest`', async (t) => {
  const rng = seededRng(t);
  const root = tempRoot();
  const floats = 1 << 19;  // 8 MiB per checkpoint in 6 tensors and 3 files, plus 5 fsyncs
  const keep = 2;
  const child = fileURLToPath(new URL('../testing/crash_writer.ts', import.meta.url));
  try {
    // Calibrate: how long does one save take here (this machine is shared, so measure instead of assuming)?
    const probe = new CheckpointStore(join(root, 'probe'), {keep: 1});
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) probe.save(crashCheckpoint(i, floats));
    const saveMs = (performance.now() - t0) / 3;
    rmSync(join(root, 'probe'), {recursive: true});
    t.log(`one save takes ~${saveMs.toFixed(0)} ms`);

    const store = new CheckpointStore(join(root, 'run'), {keep});
    let lastSaved = -1, midSave = 0;
    const kills = 24;
    for (let round = 0; round < kills; round++) {
      const proc = spawn(process.execPath, ['--import=tsx', '--conditions=source', child, store.root, String(floats),
                                            String(keep)], {stdio: ['ignore', 'pipe', 'inherit']});
      let out = '';
      const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ready')) resolve();
        });
        proc.on('exit', () => reject(new Error(`writer exited before it was ready: ${out}`)));
      });
      await new Promise((r) => setTimeout(r, rng.uniform(0, 2.5 * saveMs)));
      proc.kill('SIGKILL');
      t.is(await exited, 'SIGKILL', 'the writer was killed, it did not exit on its own');
      const lines = out.trim().split('\n');
      for (const line of lines) if (line.startsWith('saved ')) lastSaved = Number(line.slice(6));
      if (lines[lines.length - 1]!.startsWith('begin ')) midSave++;

      const latest = store.loadLatest();  // verifies sizes and SHA-256 of every file
      if (lastSaved < 0 && latest === null) continue;
      t.not(latest, null, `round ${round}: saves were reported but there is no latest`);
      const k = latest!.state.step;
      // Save k+1 may have completed (pointer renamed) without the writer getting to report it.
      t.true(k === lastSaved || k === lastSaved + 1, `round ${round}: latest is ${k}, last reported save ${lastSaved}`);
      t.is(isCrashCheckpoint(latest!, k), null, `round ${round}: contents of checkpoint ${k}`);
      t.true(store.list().length <= keep + 1, `round ${round}: ${store.list().length} checkpoints kept`);
      lastSaved = k;
    }
    for (const name of store.list()) {
      const c = store.load(name);
      t.is(isCrashCheckpoint(c, c.state.step), null, `contents of ${name}`);
    }
    t.log(`${kills} kills, ${midSave} of them in the middle of a save; ${lastSaved + 1} checkpoints completed`);
    t.true(midSave >= kills / 4, 'enough kills landed during a save to exercise the atomic path');
    t.true(lastSaved >= 3, 'the writer made progress between kills');

    // Whatever the killed writers left behind is cleaned by the next save.
    store.save(crashCheckpoint(lastSaved + 1, 16));
    t.deepEqual(readdirSync(store.root).filter((n) => n.startsWith('.')), []);
    t.is(store.list().length, keep);
  } finally {
    rmSync(root, {recursive: true, force: true});
  }
});
