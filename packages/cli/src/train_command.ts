// `ibot train`: resolves the configuration (preset < saved run when resuming < --config file < flags), picks the device,
// opens and splits the data, trains with a progress bar and a JSONL log, writes the loss curve, and ends with the k-NN
// accuracy of the teacher on the held-out images.
import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';

import type {AvgPool} from '@ibotjs/eval';
import {
  type DataConfig, DEFAULT_PRESET, IbotTrainer, presets, resolveTrainConfig, type IbotTrainConfig, type PresetName,
  type StepLog,
} from '@ibotjs/ibot';

import {type DeviceName, fallbackCounts, loadNative, useDevice} from './device.js';
import {dataConfigOf, dataSourceOf, openData, parseDataSource} from './data_source.js';
import {JsonlLog, readJsonl} from './jsonl_log.js';
import {formatKnn, type KnnSummary, runKnn} from './knn_step.js';
import {lossCurveSvg, type StepPoint, writeSvgAsPng} from './loss_plot.js';
import {TrainProgress} from './progress.js';
import {overridesFromOptions} from './train_flags.js';

export interface TrainCliOptions extends Record<string, unknown> {
  preset?: string;
  config?: string;
  data?: string;
  heldOut?: number;
  device?: DeviceName;
  threads?: number;
  output?: string;
  resume?: boolean;
  /** false with --no-knn. */
  knn?: boolean;
  knnK?: number;
  knnT?: number;
  avgpool?: AvgPool;
  evalBatchSize?: number;
  /** Plain progress lines every n steps when stderr is not a terminal. */
  logEvery?: number;
  /** false with --no-progress: no bar, no step lines. */
  progress?: boolean;
}

export interface Io {
  stdout: {write(s: string): unknown};
  stderr: {write(s: string): unknown; isTTY?: boolean};
}

export interface TrainOutcome {
  status: 'done' | 'aborted';
  outputDir: string;
  device: DeviceName;
  config: IbotTrainConfig;
  globalStep: number;
  checkpoint: string | null;
  lossCurve: string | null;
  knn: KnnSummary | null;
  fallbacks: Record<string, number>;
}

/** What a run directory remembers besides the config, so `--resume` needs no other flag. */
export interface RunMeta {
  preset: PresetName;
  data: string;
  heldOut: number;
}

export const DEFAULT_HELD_OUT = 0.2;

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

export function readJsonObject(path: string, what: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`${what} ${path}: no such file`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${what} ${path}: not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} ${path}: expected a JSON object of config fields`);
  return v as Record<string, unknown>;
}

export function checkPreset(name: string): PresetName {
  if (!Object.hasOwn(presets, name)) throw new Error(`--preset ${name}: unknown preset (expected ${Object.keys(presets).join(', ')})`);
  return name as PresetName;
}

const timestamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/** The run's configuration and the directory it lives in. Throws clear errors for every bad combination. */
export function resolveRun(o: TrainCliOptions): {config: IbotTrainConfig; meta: RunMeta; outputDir: string; resuming: boolean} {
  if (o.resume && o.output === undefined) throw new Error('--resume needs --output DIR (the folder of the run to continue)');
  const outputDir = resolve(o.output ?? join('runs', `${o.preset ?? DEFAULT_PRESET}-${timestamp()}`));
  const savedConfig = join(outputDir, 'config.json'), savedMeta = join(outputDir, 'cli.json');
  const hasRun = existsSync(savedConfig) || existsSync(join(outputDir, 'checkpoints', 'latest'));
  if (hasRun && !o.resume) {
    throw new Error(`--output ${outputDir} already holds a run: pass --resume to continue it, or choose another --output`);
  }
  let meta: RunMeta = {preset: checkPreset(o.preset ?? DEFAULT_PRESET), data: o.data ?? 'embedded', heldOut: o.heldOut ?? DEFAULT_HELD_OUT};
  let base: Record<string, unknown> = {};
  const resuming = Boolean(o.resume) && hasRun;
  if (resuming) {
    base = readJsonObject(savedConfig, 'the saved config');
    if (existsSync(savedMeta)) {
      const m = readJsonObject(savedMeta, 'the saved run settings') as Partial<RunMeta>;
      meta = {preset: checkPreset(o.preset ?? m.preset ?? DEFAULT_PRESET), data: o.data ?? m.data ?? 'embedded', heldOut: o.heldOut ?? m.heldOut ?? DEFAULT_HELD_OUT};
    }
  }
  const fromFile = o.config === undefined ? {} : readJsonObject(resolve(o.config), '--config');
  // A config file may name the data (a saved config.json does); --data wins over it.
  if (fromFile['data'] !== undefined && o.data === undefined) meta.data = dataSourceOf(fromFile['data'] as DataConfig, '--config');
  const flags = overridesFromOptions(o);
  const merged = {...base, ...fromFile, ...flags} as Partial<IbotTrainConfig>;
  const inChans = (merged.inChans ?? presets[meta.preset].inChans) as number;
  merged.data = dataConfigOf(parseDataSource(meta.data), inChans);
  let config: IbotTrainConfig;
  try {
    config = resolveTrainConfig(merged, meta.preset);
  } catch (e) {
    throw new Error(`invalid configuration: ${(e as Error).message.replace(/^IbotTrainConfig: /, '')}`);
  }
  return {config, meta, outputDir, resuming};
}

/** Steps of the JSONL log, the last record of each global step (a resumed run repeats the steps after its checkpoint). */
export function stepPoints(logPath: string): StepPoint[] {
  const byStep = new Map<number, StepPoint>();
  for (const r of readJsonl(logPath)) {
    if (r.type !== 'step' || typeof r['globalStep'] !== 'number') continue;
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    byStep.set(r['globalStep'], {globalStep: r['globalStep'], loss: num(r['loss']), cls: num(r['cls']), patch: num(r['patch'])});
  }
  return [...byStep.values()].sort((a, b) => a.globalStep - b.globalStep);
}

export async function runTrain(o: TrainCliOptions, io: Io): Promise<TrainOutcome> {
  const say = (s: string) => io.stderr.write(s + '\n');
  const {config, meta, outputDir, resuming} = resolveRun(o);
  const source = parseDataSource(meta.data);
  const device = await useDevice(o.device);
  if (o.threads !== undefined) {
    const native = await loadNative();
    if (native.loaded) (await import('@ibotjs/tfjs-backend-native')).setNumThreads(o.threads);
  }
  const data = await openData(source, {inChans: config.inChans, heldOut: meta.heldOut, seed: config.seed});
  let skipped = 0;
  const trainer = await IbotTrainer.create(config, {
    checkpointDir: join(outputDir, 'checkpoints'), resume: resuming, dataset: data.train, onSkip: () => void skipped++,
  });
  // Written once the trainer exists, so that a run that failed to start does not look like one to resume.
  const logPath = join(outputDir, 'log.jsonl');
  let log: JsonlLog;
  try {
    mkdirSync(outputDir, {recursive: true});
    writeJsonAtomic(join(outputDir, 'config.json'), config);
    writeJsonAtomic(join(outputDir, 'cli.json'), meta);
    log = new JsonlLog(logPath);
  } catch (e) {
    await trainer.dispose();
    throw e;
  }
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    say('\nstopping after this step; a checkpoint is written (continue with --resume, Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  let progress: TrainProgress | null = null;
  try {
    say(`ibot train: preset ${meta.preset}, device ${device}, ${data.description}`);
    say(`model: ViT-${config.arch} (${trainer.student.numParameters().toLocaleString('en')} backbone parameters), ` +
        `${config.epochs} epochs × ${trainer.itersPerEpoch} steps of ${config.batchSize} images; output in ${outputDir}`);
    if (resuming) say(`resuming at epoch ${trainer.epoch}, step ${trainer.epochStep} (global step ${trainer.globalStep})`);
    log.write({type: 'run', event: resuming ? 'resume' : 'start', device, preset: meta.preset, data: meta.data, heldOut: meta.heldOut,
               globalStep: trainer.globalStep, config});
    if (o.progress !== false) progress = new TrainProgress({epochs: config.epochs, stepsPerEpoch: trainer.itersPerEpoch, stream: io.stderr, every: o.logEvery});
    let result;
    try {
      result = await trainer.train({
        signal: controller.signal,
        onStep: (s: StepLog) => {
          log.write({type: 'step', ...s});
          progress?.update(s);
        },
        onEpoch: (e) => {
          log.write({type: 'epoch', ...e});
          progress?.stop();
          say(`epoch ${e.epoch + 1}/${config.epochs}: loss ${e.loss.toFixed(4)} (cls ${e.cls.toFixed(4)}, patch ${e.patch.toFixed(4)}), ` +
              `${e.imagesPerSec.toFixed(1)} img/s, ${e.seconds.toFixed(1)} s${e.checkpoint ? `, checkpoint ${e.checkpoint}` : ''}`);
        },
      });
    } catch (e) {
      progress?.stop();
      log.write({type: 'error', message: (e as Error).message});
      await writeCurve(logPath, outputDir).catch(() => null);
      throw e;
    }
    progress?.stop();
    const fallbacks = fallbackCounts();
    if (skipped > 0) say(`${skipped} unreadable images were skipped (replaced by others)`);
    if (Object.keys(fallbacks).length > 0) {
      say(`kernels that fell back to tfjs cpu on '${device}' (slow copies): ` +
          Object.entries(fallbacks).map(([k, n]) => `${k} ×${n}`).join(', '));
    }
    const lossCurve = await writeCurve(logPath, outputDir);
    if (lossCurve) say(`loss curve: ${lossCurve}`);
    let knn: KnnSummary | null = null;
    if (result.status === 'aborted') {
      say(`stopped at global step ${result.globalStep}${result.checkpoint ? `; checkpoint ${result.checkpoint}` : ''}. ` +
          `Continue with: ibot train --output ${outputDir} --resume`);
    } else if (o.knn !== false) {
      const norm = trainer.normalization; // what the crops were normalised with
      say(`k-NN: extracting teacher features of ${data.train.size + data.heldOut.size} images ...`);
      const results = await runKnn(trainer.teacherBackbone(), data.train, data.heldOut, {
        ks: [o.knnK ?? 20], T: o.knnT ?? 0.07, avgpool: o.avgpool ?? 0, batchSize: o.evalBatchSize ?? 256, mean: norm.mean, std: norm.std,
      });
      knn = results[0]!;
      log.write({type: 'knn', ...knn});
      writeJsonAtomic(join(outputDir, 'knn.json'), knn);
      io.stdout.write(formatKnn(knn) + '\n');
    }
    log.write({type: 'run', event: result.status, globalStep: result.globalStep, checkpoint: result.checkpoint, fallbacks});
    return {status: result.status, outputDir, device, config, globalStep: result.globalStep, checkpoint: result.checkpoint, lossCurve, knn, fallbacks};
  } finally {
    progress?.stop();
    process.off('SIGINT', onSigint);
    log.close();
    await trainer.dispose();
  }
}

async function writeCurve(logPath: string, outputDir: string): Promise<string | null> {
  const points = stepPoints(logPath);
  if (points.length === 0) return null;
  const path = join(outputDir, 'loss.png');
  await writeSvgAsPng(lossCurveSvg(points), path);
  return path;
}
