// One command-line flag per hyper-parameter of IbotTrainConfig (kebab-case of the field name), grouped as in the
// official main_ibot.py, with the parser of its values and the help line. `data` and `normalize` have their own
// flags (--data, --normalize) because their values are not plain numbers.
import type {IbotTrainConfig, NormalizeConfig} from '@ibotjs/ibot';
import {InvalidArgumentError} from 'commander';

import {
  parseBoolean, parseChoice, parseInteger, parseNumber, parseNumberList, parseNumberOrList, parsePair,
} from './parse.js';

export type TrainKey = Exclude<keyof IbotTrainConfig, 'data'>;

export interface TrainFlag {
  key: TrainKey;
  /** The value placeholder shown in --help. */
  arg: string;
  parse: (value: string) => unknown;
  help: string;
  group: string;
}

const G = {
  model: 'Model (IBOT_SPEC §1):',
  head: 'Projection head (§2):',
  crops: 'Multi-crop augmentation (§5.1):',
  mask: 'Masking (§3):',
  loss: 'Loss and temperatures (§4):',
  optim: 'Optimisation and schedules (§5.3–§5.6):',
  run: 'Data loading and checkpoints:',
} as const;

const int = (min: number) => (v: string) => parseInteger(v, min);

/** kebab-case flag name of a config field: batchSize → batch-size, centerMomentum2 → center-momentum2. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function parseNormalize(value: string): NormalizeConfig {
  if (value === 'imagenet' || value === 'dataset') return value;
  const m = /^([^:]+):([^:]+)$/.exec(value);
  if (m) {
    const mean = parseNumberList(m[1]!), std = parseNumberList(m[2]!);
    if (mean.length === std.length) return {mean, std};
  }
  throw new InvalidArgumentError(`expected imagenet, dataset or MEAN:STD with one value per channel (e.g. 0.286:0.353 or 0.5,0.5,0.5:0.2,0.2,0.2), got '${value}'`);
}

export const TRAIN_FLAGS: readonly TrainFlag[] = [
  {key: 'arch', arg: 'name', parse: parseChoice(['tiny', 'small', 'base', 'large'] as const), group: G.model, help: 'ViT variant: tiny, small, base or large (official --arch vit_<name>)'},
  {key: 'embedDim', arg: 'n', parse: int(1), group: G.model, help: "embedding width (overrides the variant's)"},
  {key: 'depth', arg: 'n', parse: int(1), group: G.model, help: "number of transformer blocks (overrides the variant's)"},
  {key: 'numHeads', arg: 'n', parse: int(1), group: G.model, help: "attention heads (overrides the variant's)"},
  {key: 'patchSize', arg: 'px', parse: int(1), group: G.model, help: 'patch size in pixels'},
  {key: 'imgSize', arg: 'px', parse: int(1), group: G.model, help: 'side of the global crops and of the position-embedding grid'},
  {key: 'inChans', arg: 'n', parse: parseChoice(['1', '3'] as const), group: G.model, help: 'image channels: 1 (grey) or 3 (RGB)'},
  {key: 'dropPath', arg: 'rate', parse: parseNumber, group: G.model, help: "student drop-path rate of the last block (the teacher's is 0)"},
  {key: 'outDim', arg: 'K', parse: int(1), group: G.head, help: 'prototypes K of the CLS projection (--out_dim)'},
  {key: 'patchOutDim', arg: 'K', parse: int(1), group: G.head, help: 'prototypes of the patch projection (= out-dim with a shared head)'},
  {key: 'sharedHead', arg: 'bool', parse: parseBoolean, group: G.head, help: 'one last layer for CLS and patch tokens'},
  {key: 'normLastLayer', arg: 'bool', parse: parseBoolean, group: G.head, help: 'freeze the weight-norm gain of the last layer at 1'},
  {key: 'headHiddenDim', arg: 'n', parse: int(1), group: G.head, help: 'hidden width of the head MLP'},
  {key: 'headBottleneckDim', arg: 'n', parse: int(1), group: G.head, help: 'bottleneck width of the head MLP'},
  {key: 'headLayers', arg: 'n', parse: int(1), group: G.head, help: 'layers of the head MLP'},
  {key: 'globalCropsNumber', arg: 'n', parse: int(1), group: G.crops, help: 'global crops per image'},
  {key: 'globalCropsScale', arg: 'lo,hi', parse: parsePair, group: G.crops, help: 'area range of the global crops (fraction of the image)'},
  {key: 'localCropsNumber', arg: 'n', parse: int(0), group: G.crops, help: 'local crops per image (0: none)'},
  {key: 'localCropsScale', arg: 'lo,hi', parse: parsePair, group: G.crops, help: 'area range of the local crops'},
  {key: 'localCropSize', arg: 'px', parse: int(1), group: G.crops, help: 'side of the local crops'},
  {key: 'predRatio', arg: 'r[,r...]', parse: parseNumberOrList, group: G.mask, help: 'masking ratio, or a list of ratios each crop picks from'},
  {key: 'predRatioVar', arg: 'v[,v...]', parse: parseNumberOrList, group: G.mask, help: 'variation of the ratio (one value, or one per ratio)'},
  {key: 'predShape', arg: 'shape', parse: parseChoice(['block', 'rand'] as const), group: G.mask, help: 'block-wise or random masks'},
  {key: 'predStartEpoch', arg: 'n', parse: int(0), group: G.mask, help: 'epochs without masks'},
  {key: 'warmupTeacherTemp', arg: 't', parse: parseNumber, group: G.loss, help: 'initial teacher temperature (CLS)'},
  {key: 'teacherTemp', arg: 't', parse: parseNumber, group: G.loss, help: 'teacher temperature after the warm-up (CLS)'},
  {key: 'warmupTeacherPatchTemp', arg: 't', parse: parseNumber, group: G.loss, help: 'initial teacher temperature (patches)'},
  {key: 'teacherPatchTemp', arg: 't', parse: parseNumber, group: G.loss, help: 'teacher temperature after the warm-up (patches)'},
  {key: 'warmupTeacherTempEpochs', arg: 'n', parse: int(0), group: G.loss, help: 'epochs of the teacher-temperature warm-up'},
  {key: 'studentTemp', arg: 't', parse: parseNumber, group: G.loss, help: 'student temperature'},
  {key: 'centerMomentum', arg: 'm', parse: parseNumber, group: G.loss, help: 'momentum of the CLS centre'},
  {key: 'centerMomentum2', arg: 'm', parse: parseNumber, group: G.loss, help: 'momentum of the patch centre'},
  {key: 'lambda1', arg: 'w', parse: parseNumber, group: G.loss, help: 'weight of the CLS (DINO) term'},
  {key: 'lambda2', arg: 'w', parse: parseNumber, group: G.loss, help: 'weight of the patch (MIM) term'},
  {key: 'lr', arg: 'lr', parse: parseNumber, group: G.optim, help: 'base learning rate at batch 256 (peak = lr × batch-size / 256)'},
  {key: 'minLr', arg: 'lr', parse: parseNumber, group: G.optim, help: 'final learning rate of the cosine schedule'},
  {key: 'warmupEpochs', arg: 'n', parse: int(0), group: G.optim, help: 'epochs of linear learning-rate warm-up'},
  {key: 'weightDecay', arg: 'wd', parse: parseNumber, group: G.optim, help: 'initial weight decay'},
  {key: 'weightDecayEnd', arg: 'wd', parse: parseNumber, group: G.optim, help: 'final weight decay (cosine schedule)'},
  {key: 'momentumTeacher', arg: 'm', parse: parseNumber, group: G.optim, help: 'initial EMA momentum of the teacher (cosine to 1)'},
  {key: 'clipGrad', arg: 'norm', parse: parseNumber, group: G.optim, help: 'per-parameter gradient clipping norm (0: off)'},
  {key: 'freezeLastLayer', arg: 'n', parse: int(0), group: G.optim, help: 'epochs during which the last layer is not updated'},
  {key: 'epochs', arg: 'n', parse: int(1), group: G.optim, help: 'training epochs'},
  {key: 'batchSize', arg: 'n', parse: int(1), group: G.optim, help: 'images per step'},
  {key: 'beta1', arg: 'b', parse: parseNumber, group: G.optim, help: 'AdamW beta1'},
  {key: 'beta2', arg: 'b', parse: parseNumber, group: G.optim, help: 'AdamW beta2'},
  {key: 'eps', arg: 'eps', parse: parseNumber, group: G.optim, help: 'AdamW epsilon'},
  {key: 'normalize', arg: 'how', parse: parseNormalize, group: G.run, help: "image normalisation: imagenet, dataset (the training images' own statistics) or MEAN:STD"},
  {key: 'numWorkers', arg: 'n', parse: int(0), group: G.run, help: 'data-loader worker threads (0: decode in the training thread)'},
  {key: 'seed', arg: 'n', parse: int(0), group: G.run, help: 'random seed (initialisation, data order, augmentation, masks)'},
  {key: 'saveEveryEpochs', arg: 'n', parse: int(0), group: G.run, help: 'checkpoint every n epochs (and at the end; 0: only at the end)'},
  {key: 'saveEverySteps', arg: 'n', parse: int(0), group: G.run, help: 'also checkpoint every n steps (0: off)'},
  {key: 'maxStepsPerEpoch', arg: 'n', parse: int(0), group: G.run, help: 'stop each epoch after n steps (0: the whole epoch); for smoke runs'},
];

/** The preset values of a field as shown in --help: "(fmnist-vit-tiny: 64; vit-s16-imagenet: 1024)". */
export function presetDefaults(key: TrainKey, presets: Readonly<Record<string, Readonly<IbotTrainConfig>>>): string {
  const show = (v: unknown) => (v === undefined ? 'variant' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return '(' + Object.entries(presets).map(([name, p]) => `${name}: ${show(p[key])}`).join('; ') + ')';
}

/** The overrides a parsed command line carries: only the flags that were given (commander's option keys are camelCase). */
export function overridesFromOptions(options: Record<string, unknown>): Partial<IbotTrainConfig> {
  const out: Record<string, unknown> = {};
  for (const f of TRAIN_FLAGS) {
    const v = options[f.key];
    if (v === undefined) continue;
    out[f.key] = f.key === 'inChans' ? Number(v) : v;
  }
  return out as Partial<IbotTrainConfig>;
}
