// The `ibot` command line without a child process: --help documents every flag, bad values and combinations give one
// clear error and exit code 1, settings resolve in the documented order, and `ibot info` reports the devices.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {presets} from '@ibotjs/ibot';
import test from 'ava';

import {openData} from './data_source.js';
import {loadNative} from './device.js';
import {main} from './main.js';
import {resolveRun} from './train_command.js';
import {flagName, TRAIN_FLAGS} from './train_flags.js';

async function run(...argv: string[]): Promise<{code: number; out: string; err: string}> {
  let out = '', err = '';
  const code = await main(argv, {stdout: {write: (s: string) => (out += s)}, stderr: {write: (s: string) => (err += s)}});
  return {code, out, err};
}

function withTmp<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ibot-cli-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, {recursive: true, force: true}));
}

test('ibot --version prints the version in package.json and exits 0', async (t) => {
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string};
  t.regex(version, /^\d+\.\d+\.\d+/);
  for (const flag of ['--version', '-V']) {
    const r = await run(flag);
    t.is(r.code, 0, flag);
    t.is(r.out, `${version}\n`, flag);
  }
});

test('ibot --help and ibot eval --help list every command on one short line each', async (t) => {
  const top = await run('--help');
  t.is(top.code, 0);
  const evalHelp = await run('eval', '--help');
  t.is(evalHelp.code, 0);
  for (const [out, commands] of [[top.out, ['train', 'eval', 'attention', 'export-features', 'convert', 'info']],
                                 [evalHelp.out, ['knn', 'cluster', 'linear']]] as const) {
    for (const c of commands) t.regex(out, new RegExp(`^  ${c} .*\\S`, 'm'), c);
    for (const line of out.split('\n')) t.true(line.length <= 130, `a help line of ${line.length} characters: ${line}`);
  }
});

test('every config field except data has a flag, and train --help documents each with its preset values', async (t) => {
  const fields = new Set([...Object.keys(presets['fmnist-vit-tiny']), ...Object.keys(presets['vit-s16-imagenet']), 'embedDim', 'depth', 'numHeads']);
  fields.delete('data');
  t.deepEqual(TRAIN_FLAGS.map((f) => f.key as string).sort(), [...fields].sort());
  const {code, out} = await run('train', '--help');
  t.is(code, 0);
  for (const f of TRAIN_FLAGS) t.true(out.includes(`--${flagName(f.key)} <`), `--${flagName(f.key)} in --help`);
  for (const flag of ['--preset', '--config', '--data', '--held-out', '--device', '--output', '--resume', '--no-knn', '--knn-k', '--avgpool']) {
    t.true(out.includes(flag), `${flag} in --help`);
  }
  t.regex(out.replace(/\s+/g, ' '), /images per step \(fmnist-vit-tiny: 64; vit-s16-imagenet: 1024\)/); // batch-size's preset values
  t.regex(out, /log\.jsonl/);
  t.regex(out, /loss\.png/);
  const top = await run('--help');
  t.regex(top.out, /train/);
  t.regex(top.out, /info/);
  t.regex(top.out, /eval/);
  const ev = await run('eval', 'knn', '--help');
  for (const flag of ['--output', '--checkpoint', '--key', '--knn-k', '--knn-t', '--avgpool', '--data', '--device']) t.true(ev.out.includes(flag), `${flag} in eval knn --help`);
});

test('bad flag values and unknown flags exit with code 1 and name the flag', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--batch-size', '0'], /--batch-size <n>.*integer ≥ 1, got '0'/],
    [['--lr', 'fast'], /--lr <lr>.*expected a number/],
    [['--device', 'tpu'], /--device.*Allowed choices are native, cuda, wasm, cpu/],
    [['--preset', 'nope'], /--preset.*fmnist-vit-tiny/],
    [['--global-crops-scale', '0.5'], /--global-crops-scale.*two comma-separated/],
    [['--shared-head', 'maybe'], /--shared-head.*true or false/],
    [['--batchsize', '3'], /unknown option '--batchsize'/],
    [['--held-out', '0'], /--held-out.*count ≥ 1 or a fraction/],
    [['--avgpool', '3'], /--avgpool.*one of 0, 1, 2/],
  ];
  for (const [args, message] of cases) {
    const {code, err} = await run('train', ...args);
    t.is(code, 1, args.join(' '));
    t.regex(err.replace(/\n/g, ' '), message, args.join(' '));
  }
});

test('settings resolve as preset < --config file < flags; --data picks the data', async (t) => {
  await withTmp((dir) => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({batchSize: 32, epochs: 7, lr: 0.01}));
    const {config, outputDir, meta} = resolveRun({config: file, lr: 0.02, output: join(dir, 'run'), data: 'synthetic:50'});
    t.is(config.batchSize, 32); // file over preset
    t.is(config.epochs, 7);
    t.is(config.lr, 0.02); // flag over file
    t.is(config.imgSize, presets['fmnist-vit-tiny'].imgSize); // preset
    t.deepEqual(config.data, {kind: 'synthetic', size: 50, height: 28, width: 28, channels: 1, numClasses: 10, seed: 0});
    t.is(outputDir, join(dir, 'run'));
    t.is(meta.preset, 'fmnist-vit-tiny');
    const big = resolveRun({preset: 'vit-s16-imagenet', output: join(dir, 'b'), data: dir});
    t.is(big.config.imgSize, 224);
    t.deepEqual(big.config.data, {kind: 'image-folder', root: dir, channels: 3});
    const fromSaved = join(dir, 'saved.json');
    writeFileSync(fromSaved, JSON.stringify({data: {kind: 'synthetic', size: 80}}));
    t.is(resolveRun({config: fromSaved, output: join(dir, 'c')}).meta.data, 'synthetic:80');
  });
});

test('bad configurations, config files, data sources and run folders are clear errors', async (t) => {
  await withTmp(async (dir) => {
    const out = join(dir, 'run');
    const bad = (o: Record<string, unknown>, message: RegExp) => t.throws(() => resolveRun({output: out, ...o}), {message});
    bad({patchOutDim: 7}, /invalid configuration: patchOutDim must be equal to outDim/);
    bad({warmupEpochs: 50}, /invalid configuration: warmupEpochs/);
    bad({config: join(dir, 'missing.json')}, /--config .*missing\.json: no such file/);
    writeFileSync(join(dir, 'broken.json'), '{"lr": ');
    bad({config: join(dir, 'broken.json')}, /not valid JSON/);
    writeFileSync(join(dir, 'array.json'), '[1]');
    bad({config: join(dir, 'array.json')}, /expected a JSON object/);
    writeFileSync(join(dir, 'unknown.json'), '{"learningRate": 1}');
    bad({config: join(dir, 'unknown.json')}, /unknown field 'learningRate'/);
    bad({data: join(dir, 'nowhere')}, /--data .*nowhere: no such folder/);
    writeFileSync(join(dir, 'file.txt'), 'x');
    bad({data: join(dir, 'file.txt')}, /not a folder/);
    bad({data: 'synthetic:1'}, /at least 2 images/);
    t.throws(() => resolveRun({resume: true}), {message: /--resume needs --output/});
    await t.throwsAsync(openData({kind: 'fmnist', dir}, {inChans: 1, heldOut: 0.2, seed: 0}),
                        {message: /no Fashion-MNIST files in .*apt-get install dataset-fashion-mnist.*--data embedded/});
    await t.throwsAsync(openData({kind: 'image-folder', root: dir}, {inChans: 1, heldOut: 0.2, seed: 0}), {message: /no class subfolders/});
    mkdirSync(out);
    writeFileSync(join(out, 'config.json'), '{}');
    bad({}, /already holds a run: pass --resume/);
    const {code, err} = await run('train', '--output', out);
    t.is(code, 1);
    t.regex(err, /^ibot: error: --output .* already holds a run/);
  });
});

test('--device cuda without a usable GPU is a clear error (and works when there is one)', async (t) => {
  const native = await loadNative();
  await withTmp(async (dir) => {
    const {code, err} = await run('train', '--device', 'cuda', '--output', join(dir, 'r'), '--data', 'synthetic:20', '--epochs', '1',
                                  '--max-steps-per-epoch', '0', '--no-knn', '--batch-size', '4', '--depth', '1', '--embed-dim', '16',
                                  '--num-heads', '2', '--out-dim', '32', '--patch-out-dim', '32', '--warmup-epochs', '0',
                                  '--warmup-teacher-temp-epochs', '0', '--no-progress');
    if (native.cudaAvailable) {
      t.is(code, 0, err);
    } else {
      t.is(code, 1);
      t.regex(err, /--device cuda: no usable CUDA GPU \(.+\)\. Use --device native/);
    }
  });
});

test('ibot info prints the devices, the native build and the versions; --json is machine-readable', async (t) => {
  const text = await run('info');
  t.is(text.code, 0);
  for (const s of ['Devices (--device):', 'native', 'cuda', 'wasm', 'Native binary:', 'CUDA compiled in:', '@tensorflow/tfjs-core', '4.22.0', 'default: ']) {
    t.true(text.out.includes(s), `'${s}' in ibot info`);
  }
  t.notRegex(text.out, /sharp +not installed/);
  const json = await run('info', '--json');
  t.is(json.code, 0);
  const report = JSON.parse(json.out) as {devices: Array<{name: string; available: boolean}>; defaultDevice: string; versions: Record<string, string>};
  t.deepEqual(report.devices.map((d) => d.name), ['cuda', 'native', 'wasm', 'cpu']);
  const native = await loadNative();
  t.is(report.defaultDevice, native.cudaAvailable ? 'cuda' : 'native');
  t.is(report.versions['@tensorflow/tfjs-core'], '4.22.0');
});
