// What every `ibot eval …` subcommand starts from: the backbone to evaluate and the images to evaluate it on. Either a
// run folder written by `ibot train` (its config, a checkpoint, its data split and normalisation), or a baseline that
// needs no training: `random` (a ViT of the preset's shape, freshly initialised) or `pixels` (no backbone at all).
import {join, resolve} from 'node:path';

import {
  backboneConfigOf, CheckpointStore, DEFAULT_PRESET, type IbotTrainConfig, type LoadedCheckpoint, normalization, resolveTrainConfig,
} from '@ibotjs/ibot';
import {createViT, type ViT} from '@ibotjs/vit';

import {openData, type OpenedData, parseDataSource} from './data_source.js';
import {type DeviceName, loadNative, useDevice} from './device.js';
import {checkPreset, DEFAULT_HELD_OUT, readJsonObject, type RunMeta} from './train_command.js';

export type Baseline = 'random' | 'pixels';
export const BASELINES: readonly Baseline[] = ['random', 'pixels'];

export interface EvalSourceOptions {
  /** The run folder (written by ibot train); not with `baseline`. */
  output?: string;
  /** Evaluate an untrained reference instead of a run: 'random' ViT or raw 'pixels'. */
  baseline?: Baseline;
  /** The preset that shapes the random ViT and its data defaults (default: fmnist-vit-tiny). */
  preset?: string;
  checkpoint?: string;
  key?: 'teacher' | 'student';
  data?: string;
  heldOut?: number;
  device?: DeviceName;
  threads?: number;
}

export interface EvalSource {
  /** The backbone in eval mode; null for the `pixels` baseline. The caller disposes it. */
  vit: ViT | null;
  config: IbotTrainConfig;
  /** The checkpoint read (null for a baseline). */
  checkpoint: LoadedCheckpoint | null;
  data: OpenedData;
  /** Per-channel normalisation of the images (the run's own, or the training split's statistics for a baseline). */
  norm: {mean: number[]; std: number[]};
  device: string;
  /** One line for the user: what is evaluated, where, on what. */
  description: string;
}

/** The run's config and settings (cli.json is optional: a folder written by a script has only config.json). */
function readRun(dir: string): {config: IbotTrainConfig; meta: Partial<RunMeta>} {
  const saved = readJsonObject(join(dir, 'config.json'), 'the run config');
  let meta: Partial<RunMeta> = {};
  try {
    meta = readJsonObject(join(dir, 'cli.json'), 'the run settings') as Partial<RunMeta>;
  } catch {
    // No cli.json: the flags (or the defaults) decide the data and split.
  }
  try {
    return {config: resolveTrainConfig(saved as Partial<IbotTrainConfig>, checkPreset(meta.preset ?? DEFAULT_PRESET)), meta};
  } catch (e) {
    throw new Error(`${join(dir, 'config.json')}: ${(e as Error).message}`);
  }
}

function backboneOf(config: IbotTrainConfig, key: 'teacher' | 'student'): ViT {
  return createViT({...backboneConfigOf(config), maskedImModeling: key === 'student'});
}

/** Opens what `o` names; `command` prefixes the error messages (e.g. 'ibot eval linear'). */
export async function openEvalSource(o: EvalSourceOptions, command: string): Promise<EvalSource> {
  if (o.baseline !== undefined && o.output !== undefined) throw new Error(`${command}: give either --output (a run) or --baseline, not both`);
  if (o.baseline === undefined && o.output === undefined) throw new Error(`${command}: give --output <run folder> or --baseline random|pixels`);
  if (o.baseline !== undefined && !BASELINES.includes(o.baseline)) {
    throw new Error(`${command}: --baseline must be ${BASELINES.join(' or ')}, got '${String(o.baseline)}'`);
  }
  const key = o.key ?? 'teacher';
  const device = await useDevice(o.device);
  if (o.threads !== undefined && (await loadNative()).loaded) (await import('@ibotjs/tfjs-backend-native')).setNumThreads(o.threads);

  if (o.baseline !== undefined) {
    const config = resolveTrainConfig({}, checkPreset(o.preset ?? DEFAULT_PRESET));
    const data = await openData(parseDataSource(o.data ?? 'embedded'), {inChans: config.inChans, heldOut: o.heldOut ?? DEFAULT_HELD_OUT, seed: config.seed});
    const norm = await normalization(config, data.train);
    const vit = o.baseline === 'random' ? backboneOf(config, 'teacher') : null;
    const what = o.baseline === 'random' ? `a randomly initialised ViT-${config.arch}/${config.patchSize} (seed ${config.seed})` : 'raw pixels';
    return {vit, config, checkpoint: null, data, norm, device, description: `${what}, device ${device}, ${data.description}`};
  }

  const dir = resolve(o.output!);
  const {config, meta} = readRun(dir);
  const store = new CheckpointStore(join(dir, 'checkpoints'));
  const checkpoint = o.checkpoint !== undefined ? store.load(o.checkpoint) : store.loadLatest();
  if (checkpoint === null) throw new Error(`${join(dir, 'checkpoints')}: no checkpoint yet (train first: ibot train --output ${o.output})`);
  const vit = backboneOf(config, key);
  try {
    // Official names with the 'backbone.' prefix; the head's entries are not read here.
    vit.loadStateDict(Object.fromEntries(key === 'teacher' ? checkpoint.teacher : checkpoint.student), {prefix: 'backbone.', strict: true});
    const data = await openData(parseDataSource(o.data ?? meta.data ?? 'embedded'),
                                {inChans: config.inChans, heldOut: o.heldOut ?? meta.heldOut ?? DEFAULT_HELD_OUT, seed: config.seed});
    // The training run's normalisation, saved in the checkpoint; recomputed the same way for older checkpoints.
    const saved = checkpoint.state['normalization'] as {mean: number[]; std: number[]} | undefined;
    const norm = saved && Array.isArray(saved.mean) && Array.isArray(saved.std) ? saved : await normalization(config, data.train);
    const description = `${key} of ${checkpoint.name} (epoch ${checkpoint.state.epoch}, step ${checkpoint.state.step}), device ${device}, ${data.description}`;
    return {vit, config, checkpoint, data, norm, device, description};
  } catch (e) {
    vit.dispose();
    throw e;
  }
}
