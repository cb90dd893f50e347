// IbotTrainer end to end on a tiny configuration: a run interrupted and resumed logs exactly the losses of an
// uninterrupted one (mid-epoch and at an epoch boundary), a trainer SIGKILLed while checkpointing every step always
// leaves a latest checkpoint that loads and resumes, a non-finite loss stops the run naming the step with the last
// good checkpoint intact, data loader failures surface with the epoch and batch, and nothing leaks.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import test from 'ava';
import {SyntheticDataset, type Dataset, type Sample} from '@ibotjs/data';
import * as tf from '@tensorflow/tfjs-core';

import {CheckpointStore} from './checkpoint/store.js';
import {resolveTrainConfig} from './config.js';
import {IbotTrainer, NonFiniteLossError, type StepLog} from './trainer.js';
import {tinyConfig} from './testing/tiny_config.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ibot-trainer-'));
}

/** A dataset wrapper whose item `bad` is replaced: by NaN pixels, or by an exception. */
class Poisoned implements Dataset {
  constructor(private readonly base: SyntheticDataset, private readonly bad: number, private readonly how: 'nan' | 'throw') {}
  get size() { return this.base.size; }
  get numClasses() { return this.base.numClasses; }
  get classNames() { return this.base.classNames; }
  get channels() { return this.base.channels; }
  get imageShape() { return this.base.imageShape; }
  readonly description = null;
  labelOf(i: number): number { return this.base.labelOf(i); }
  async get(i: number): Promise<Sample> {
    const s = await this.base.get(i);
    if (i !== this.bad) return s;
    if (this.how === 'throw') throw new Error(`item ${i}: cannot decode (test)`);
    return {...s, image: new Float32Array(s.image.length).fill(Number.NaN)};
  }
}

const losses = (logs: StepLog[]) => logs.map((l) => [l.globalStep, l.loss, l.cls, l.patch]);

test('a run interrupted mid-epoch or at an epoch boundary and resumed logs the same losses as an uninterrupted one', async (t) => {
  const cfg = tinyConfig();
  const full: StepLog[] = [];
  const reference = await IbotTrainer.create(cfg);
  t.is(reference.itersPerEpoch, 4);
  t.deepEqual(reference.normalization, {mean: [0.3], std: [0.3]});
  const result = await reference.train({onStep: (l) => full.push(l)});
  t.is(result.status, 'done');
  t.is(full.length, 12);
  t.true(full.every((l) => Number.isFinite(l.loss)));
  t.true(full.some((l) => l.maskedPatches === 0) || full.some((l) => l.patch > 0), 'the patch term is exercised');
  const teacherWant = reference.teacherBackbone().stateDict();
  await reference.dispose();

  for (const stopAfter of [3, 4, 6]) {
    const dir = tempDir();
    try {
      const first: StepLog[] = [];
      const abort = new AbortController();
      const a = await IbotTrainer.create(cfg, {checkpointDir: dir});
      const r1 = await a.train({signal: abort.signal, onStep: (l) => {
        first.push(l);
        if (first.length === stopAfter) abort.abort();
      }});
      t.is(r1.status, 'aborted');
      t.truthy(r1.checkpoint);
      await a.dispose();

      const rest: StepLog[] = [];
      const b = await IbotTrainer.create(cfg, {checkpointDir: dir, resume: true});
      t.is(b.globalStep, stopAfter);
      const r2 = await b.train({onStep: (l) => rest.push(l)});
      t.is(r2.status, 'done');
      t.deepEqual(losses([...first, ...rest]), losses(full), `stopped after ${stopAfter} steps`);
      t.deepEqual(b.teacherBackbone().stateDict(), teacherWant, 'the teacher ends identical');
      await b.dispose();
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  }
});

test('a trainer SIGKILLed while checkpointing every step leaves a latest checkpoint that loads and resumes', async (t) => {
  const dir = tempDir();
  const child = fileURLToPath(new URL('./testing/crash_trainer.ts', import.meta.url));
  try {
    let lastStep = -1;
    for (let round = 0; round < 3; round++) {
      const proc = spawn(process.execPath, ['--import=tsx', '--conditions=source', child, dir],
                         {stdio: ['ignore', 'pipe', 'pipe'], env: process.env});
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<string | number | null>((resolve) => proc.on('exit', (code, sig) => resolve(sig ?? code)));
      // Kill at a random moment once it has taken a few steps (with a save after each, many kills land in a save).
      const target = 3 + Math.floor(Math.random() * 3);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const steps = [...out.matchAll(/^step (\d+)$/gm)].map((m) => Number(m[1]));
          if (steps.length >= target) {
            lastStep = steps[steps.length - 1]!;
            setTimeout(resolve, Math.random() * 30);
          }
        });
        void exited.then((how) => reject(new Error(`child exited (${String(how)}) before the kill: ${stderr}`)));
      });
      proc.kill('SIGKILL');
      t.is(await exited, 'SIGKILL');
      const latest = new CheckpointStore(dir).loadLatest({verify: true});
      t.truthy(latest, 'a latest checkpoint exists');
      // The checkpoint of step s is written after step s (global step s + 1 next); the kill may have hit its save.
      t.true(latest!.state.step === lastStep + 1 || latest!.state.step === lastStep,
             `latest at step ${latest!.state.step}, the child had logged step ${lastStep}`);
    }
    const cfg = tinyConfig({epochs: 1000, saveEverySteps: 1, saveEveryEpochs: 0});
    const resumed = await IbotTrainer.create(cfg, {checkpointDir: dir, resume: true});
    t.is(resumed.globalStep, new CheckpointStore(dir).loadLatest()!.state.step);
    const stop = new AbortController();
    const r = await resumed.train({signal: stop.signal, onStep: (l) => {
      t.true(Number.isFinite(l.loss));
      stop.abort();
    }});
    t.is(r.status, 'aborted');
    await resumed.dispose();
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('a non-finite loss stops the run naming the step; nothing of that step is applied; the last checkpoint is intact', async (t) => {
  const dir = tempDir();
  try {
    const cfg = tinyConfig({saveEverySteps: 1});
    const dataset = new Poisoned(new SyntheticDataset({size: 16, height: 16, width: 16, channels: 1}), 9, 'nan');
    const trainer = await IbotTrainer.create(cfg, {checkpointDir: dir, dataset});
    const logs: StepLog[] = [];
    let weightsBefore: unknown = null;
    const error = await t.throwsAsync(trainer.train({onStep: (l) => {
      logs.push(l);
    }}), {instanceOf: NonFiniteLossError});
    t.regex(error!.message, /loss is NaN at epoch \d+, step \d+ \(global step \d+\)/);
    const e = error as NonFiniteLossError;
    t.is(e.globalStep, logs.length, 'the failing step is the one after the last logged step');
    weightsBefore = trainer.student.stateDict();
    const latest = new CheckpointStore(dir).loadLatest({verify: true})!;
    t.is(latest.state.step, e.globalStep, 'the latest checkpoint is the one before the failing step');
    for (const [name, v] of latest.student) t.true(v.data.every(Number.isFinite), `${name} is finite`);
    // The failing step changed nothing: the live weights equal the last checkpoint's.
    const saved = Object.fromEntries([...latest.student].filter(([n]) => n.startsWith('backbone.'))
                                        .map(([n, v]) => [n.slice('backbone.'.length), Array.from(v.data)]));
    const live = Object.fromEntries(Object.entries(weightsBefore as Record<string, {data: Float32Array}>)
                                        .map(([n, v]) => [n, Array.from(v.data)]));
    t.deepEqual(live, saved);
    await trainer.dispose();
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('data loader failures surface with the epoch and batch; a missing image folder fails at create', async (t) => {
  const dataset = new Poisoned(new SyntheticDataset({size: 16, height: 16, width: 16, channels: 1}), 5, 'throw');
  const trainer = await IbotTrainer.create(tinyConfig(), {dataset});
  await t.throwsAsync(trainer.train(), {message: /data loader failed at epoch 0, batch \d+: .*item 5: cannot decode/});
  await trainer.dispose();
  await t.throwsAsync(IbotTrainer.create(tinyConfig({data: {kind: 'image-folder', root: '/nonexistent/ibot-data'}})),
                      {message: /ImageFolder: cannot open \/nonexistent\/ibot-data/});
  await t.throwsAsync(IbotTrainer.create(tinyConfig({inChans: 3, normalize: 'imagenet'})),
                      {message: /1-channel images, the config inChans = 3/});
  const tooBig = resolveTrainConfig({...tinyConfig(), batchSize: 64});
  await t.throwsAsync(IbotTrainer.create(tooBig), {message: /make no full batch of 64/});
  await t.throwsAsync(IbotTrainer.create(tinyConfig(), {backend: 'no-such-backend'}), {message: /not registered/});
});

test('before pred_start_epoch no patch is masked and the patch term is 0; afterwards masks appear', async (t) => {
  const trainer = await IbotTrainer.create(tinyConfig({predStartEpoch: 1, epochs: 2, maxStepsPerEpoch: 2,
                                                      predRatio: 0.3, predRatioVar: 0}));
  const logs: StepLog[] = [];
  await trainer.train({onStep: (l) => logs.push(l)});
  await trainer.dispose();
  t.is(logs.length, 4);
  for (const l of logs.slice(0, 2)) {
    t.is(l.maskedPatches, 0);
    t.is(l.patch, 0);
    t.true(Number.isFinite(l.loss) && l.loss === l.cls);
  }
  for (const l of logs.slice(2)) {
    t.true(l.maskedPatches > 0);
    t.true(l.patch > 0);
  }
});

test('resuming with a different architecture is refused with the fields named', async (t) => {
  const dir = tempDir();
  try {
    const a = await IbotTrainer.create(tinyConfig({epochs: 1}), {checkpointDir: dir});
    await a.train();
    await a.dispose();
    await t.throwsAsync(IbotTrainer.create(tinyConfig({epochs: 1, embedDim: 32}), {checkpointDir: dir, resume: true}),
                        {message: /different embedDim \(embedDim: 16 vs 32\)/});
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.serial('training and disposing leaves no tensors behind (serial: ava runs it before the concurrent tests)', async (t) => {
  const before = tf.memory().numTensors;
  const trainer = await IbotTrainer.create(tinyConfig({epochs: 1}));
  await trainer.train();
  await trainer.dispose();
  t.is(tf.memory().numTensors, before);
});
