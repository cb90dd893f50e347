// The training configuration: every hyper-parameter of the official main_ibot.py that matters (IBOT_SPEC §5.9, names
// in camelCase), the two presets, and the checks that turn a partial configuration into a complete one.
import type {ViTVariant} from '@ibotjs/vit';

/** Where the training images come from. */
export type DataConfig =
  /** Fashion-MNIST IDX files: `dir` (default: the Debian package's folder, else the embedded 10k test split). */
  | {kind: 'fashion-mnist'; dir?: string; split?: 'train' | 'test'}
  /** The 10k Fashion-MNIST test split shipped with @ibotjs/data. */
  | {kind: 'fashion-mnist-embedded'}
  /** An ImageFolder of JPEG/PNG files (class sub-folders). */
  | {kind: 'image-folder'; root: string; channels?: 1 | 3}
  /** The deterministic synthetic set of @ibotjs/data (tests). */
  | {kind: 'synthetic'; size: number; height?: number; width?: number; channels?: 1 | 3; numClasses?: number; seed?: number};

/** How images are normalised: ImageNet's mean/std, the dataset's own statistics, or explicit values. */
export type NormalizeConfig = 'imagenet' | 'dataset' | {mean: number[]; std: number[]};

export interface IbotTrainConfig {
  // ---- model (IBOT_SPEC §1) ----
  /** Backbone variant (--arch vit_tiny|vit_small|vit_base|vit_large). */
  arch: ViTVariant;
  /** Overrides of the variant's sizes (small models for small images). */
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  patchSize: number;
  /** Side of the global crops and of the stored position-embedding grid. */
  imgSize: number;
  /** Image channels (1 grey, 3 RGB). */
  inChans: number;
  /** Student drop-path rate of the last block (--drop_path; the teacher has none). */
  dropPath: number;

  // ---- head (IBOT_SPEC §2) ----
  /** K of the CLS projection (--out_dim). */
  outDim: number;
  /** K of the patch projection (--patch_out_dim; equals outDim with a shared head). */
  patchOutDim: number;
  /** One last layer for CLS and patches, student and teacher (--shared_head, --shared_head_teacher). */
  sharedHead: boolean;
  /** Freeze weight_g at 1 (--norm_last_layer). */
  normLastLayer: boolean;
  /** Head MLP widths (official 2048 hidden, 256 bottleneck, 3 layers). */
  headHiddenDim: number;
  headBottleneckDim: number;
  headLayers: number;

  // ---- multi-crop (IBOT_SPEC §5.1) ----
  globalCropsNumber: number;
  globalCropsScale: [number, number];
  localCropsNumber: number;
  localCropsScale: [number, number];
  /** Side of the local crops (96 in the paper recipe). */
  localCropSize: number;

  // ---- masking (IBOT_SPEC §3) ----
  /** --pred_ratio: one value or a list (each crop picks one). */
  predRatio: number | number[];
  /** --pred_ratio_var: one value (broadcast) or one per ratio. */
  predRatioVar: number | number[];
  predShape: 'block' | 'rand';
  /** Epochs without masks (and the patch temperature's delayed warm-up). */
  predStartEpoch: number;

  // ---- loss (IBOT_SPEC §4) ----
  warmupTeacherTemp: number;
  teacherTemp: number;
  warmupTeacherPatchTemp: number;
  teacherPatchTemp: number;
  warmupTeacherTempEpochs: number;
  studentTemp: number;
  centerMomentum: number;
  centerMomentum2: number;
  lambda1: number;
  lambda2: number;

  // ---- optimisation (IBOT_SPEC §5.3–§5.6) ----
  /** Base lr at batch 256; the schedule's peak is lr · batchSize / 256 (linear scaling rule). */
  lr: number;
  minLr: number;
  warmupEpochs: number;
  weightDecay: number;
  weightDecayEnd: number;
  /** Teacher EMA momentum at the start; cosine to 1. */
  momentumTeacher: number;
  /** Per-parameter clipping norm; 0 disables it. */
  clipGrad: number;
  /** Epochs during which the last layer gets no update. */
  freezeLastLayer: number;
  epochs: number;
  /** Images per step (the official batch_size_per_gpu × world size). */
  batchSize: number;
  beta1: number;
  beta2: number;
  eps: number;

  // ---- data and run ----
  data: DataConfig;
  normalize: NormalizeConfig;
  /** Loader worker threads (0: in the training thread). */
  numWorkers: number;
  seed: number;
  /** Save a checkpoint every this many epochs (and at the end); 0 = only at the end. */
  saveEveryEpochs: number;
  /** Also save every this many steps (0 = off): finer-grained resume points. */
  saveEverySteps: number;
  /** Stop each epoch after this many steps (0 = the whole epoch): smoke runs and benchmarks. */
  maxStepsPerEpoch: number;
}

/** The paper recipe: ViT-S/16, 2×224 + 10×96 crops, K = 8192 shared, 800 epochs at batch 1024 (IBOT_SPEC §5.9). */
const VIT_S16_IMAGENET: IbotTrainConfig = {
  arch: 'small',
  patchSize: 16,
  imgSize: 224,
  inChans: 3,
  dropPath: 0.1,
  outDim: 8192,
  patchOutDim: 8192,
  sharedHead: true,
  normLastLayer: false,
  headHiddenDim: 2048,
  headBottleneckDim: 256,
  headLayers: 3,
  globalCropsNumber: 2,
  globalCropsScale: [0.25, 1],
  localCropsNumber: 10,
  localCropsScale: [0.05, 0.25],
  localCropSize: 96,
  predRatio: [0, 0.3],
  predRatioVar: [0, 0.2],
  predShape: 'block',
  predStartEpoch: 0,
  warmupTeacherTemp: 0.04,
  teacherTemp: 0.07,
  warmupTeacherPatchTemp: 0.04,
  teacherPatchTemp: 0.07,
  warmupTeacherTempEpochs: 30,
  studentTemp: 0.1,
  centerMomentum: 0.9,
  centerMomentum2: 0.9,
  lambda1: 1,
  lambda2: 1,
  lr: 5e-4,
  minLr: 1e-6,
  warmupEpochs: 10,
  weightDecay: 0.04,
  weightDecayEnd: 0.4,
  momentumTeacher: 0.996,
  clipGrad: 3.0,
  freezeLastLayer: 1,
  epochs: 800,
  batchSize: 1024,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  data: {kind: 'image-folder', root: '/data/imagenet/train', channels: 3},
  normalize: 'imagenet',
  numWorkers: 10,
  seed: 0,
  saveEveryEpochs: 1,
  saveEverySteps: 0,
  maxStepsPerEpoch: 0,
};

/**
 * The embedded default: Fashion-MNIST 28×28 grey, a 4-block ViT of width 192 with patch 4 (7×7 grid), crops scaled
 * to the image (2×28 global, 4×12 local), a narrower head and K = 1024, a short schedule that runs in minutes on a
 * few CPU cores (about 3 CPU-seconds per step of 64 images with the composite ops, before the native fused kernels).
 * The recipe's loss, masks and schedules otherwise.
 */
const FMNIST_VIT_TINY: IbotTrainConfig = {
  ...VIT_S16_IMAGENET,
  arch: 'tiny',
  embedDim: 192,
  depth: 4,
  numHeads: 3,
  patchSize: 4,
  imgSize: 28,
  inChans: 1,
  dropPath: 0.1,
  outDim: 1024,
  patchOutDim: 1024,
  headHiddenDim: 512,
  headBottleneckDim: 128,
  globalCropsScale: [0.4, 1],
  localCropsNumber: 4,
  localCropsScale: [0.1, 0.4],
  localCropSize: 12,
  warmupTeacherTempEpochs: 2,
  lr: 1e-3,
  minLr: 1e-5,
  warmupEpochs: 1,
  momentumTeacher: 0.99,
  epochs: 3,
  batchSize: 64,
  data: {kind: 'fashion-mnist-embedded'},
  normalize: 'dataset',
  numWorkers: 1,
};

export const presets: Readonly<Record<'fmnist-vit-tiny' | 'vit-s16-imagenet', Readonly<IbotTrainConfig>>> = {
  'fmnist-vit-tiny': FMNIST_VIT_TINY,
  'vit-s16-imagenet': VIT_S16_IMAGENET,
};

export type PresetName = keyof typeof presets;

export const DEFAULT_PRESET: PresetName = 'fmnist-vit-tiny';

/** A deep copy of a preset with `overrides` applied, checked (the CLI maps its flags to `overrides`). */
export function resolveTrainConfig(overrides: Partial<IbotTrainConfig> = {}, preset: PresetName = DEFAULT_PRESET):
    IbotTrainConfig {
  if (!Object.hasOwn(presets, preset)) {
    throw new Error(`IbotTrainConfig: unknown preset '${String(preset)}' (expected ${Object.keys(presets).join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = structuredClone({...presets[preset], ...defined}) as IbotTrainConfig;
  validateTrainConfig(config);
  return config;
}

const KEYS = new Set(Object.keys(VIT_S16_IMAGENET).concat(['embedDim', 'depth', 'numHeads']));

/** Throws an Error naming the first bad field (unknown keys included). */
export function validateTrainConfig(c: IbotTrainConfig): void {
  for (const k of Object.keys(c)) if (!KEYS.has(k)) throw new Error(`IbotTrainConfig: unknown field '${k}'`);
  const fail = (field: string, what: string, v: unknown) => {
    throw new Error(`IbotTrainConfig: ${field} must be ${what}, got ${JSON.stringify(v)}`);
  };
  const int = (field: keyof IbotTrainConfig, min: number) => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(field, `an integer >= ${min}`, v);
  };
  const num = (field: keyof IbotTrainConfig, ok: (x: number) => boolean, what: string) => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(field, what, v);
  };
  const pos = (x: number) => x > 0, nonneg = (x: number) => x >= 0, unit = (x: number) => x >= 0 && x <= 1;
  if (!['tiny', 'small', 'base', 'large'].includes(c.arch)) fail('arch', "'tiny', 'small', 'base' or 'large'", c.arch);
  for (const k of ['embedDim', 'depth', 'numHeads'] as const) if (c[k] !== undefined) int(k, 1);
  int('patchSize', 1);
  int('imgSize', 1);
  if (c.inChans !== 1 && c.inChans !== 3) fail('inChans', '1 or 3', c.inChans);
  num('dropPath', (x) => x >= 0 && x < 1, 'in [0, 1)');
  int('outDim', 1);
  int('patchOutDim', 1);
  if (typeof c.sharedHead !== 'boolean') fail('sharedHead', 'a boolean', c.sharedHead);
  if (typeof c.normLastLayer !== 'boolean') fail('normLastLayer', 'a boolean', c.normLastLayer);
  if (c.sharedHead && c.patchOutDim !== c.outDim) fail('patchOutDim', `equal to outDim (${c.outDim}) with a shared head`, c.patchOutDim);
  int('headHiddenDim', 1);
  int('headBottleneckDim', 1);
  int('headLayers', 1);
  int('globalCropsNumber', 1);
  int('localCropsNumber', 0);
  if (c.globalCropsNumber + c.localCropsNumber < 2) fail('localCropsNumber', 'at least 2 views in all', c.localCropsNumber);
  for (const k of ['globalCropsScale', 'localCropsScale'] as const) {
    const s = c[k];
    if (!Array.isArray(s) || s.length !== 2 || !(s[0] > 0 && s[0] <= s[1] && s[1] <= 1)) fail(k, '[lo, hi] with 0 < lo <= hi <= 1', s);
  }
  int('localCropSize', 1);
  if (c.imgSize < c.patchSize) fail('imgSize', `>= patchSize (${c.patchSize})`, c.imgSize);
  if (c.localCropsNumber > 0 && c.localCropSize < c.patchSize) fail('localCropSize', `>= patchSize (${c.patchSize})`, c.localCropSize);
  const ratios = typeof c.predRatio === 'number' ? [c.predRatio] : c.predRatio;
  const vars = typeof c.predRatioVar === 'number' ? ratios.map(() => c.predRatioVar as number) : c.predRatioVar;
  if (!Array.isArray(ratios) || ratios.length === 0 || !ratios.every((r) => typeof r === 'number' && r >= 0 && r <= 1)) {
    fail('predRatio', 'a number in [0, 1] or a non-empty list of them', c.predRatio);
  }
  if (!Array.isArray(vars) || vars.length !== ratios.length ||
      !vars.every((v, i) => typeof v === 'number' && v >= 0 && v <= ratios[i]! && ratios[i]! + v <= 1)) {
    fail('predRatioVar', 'one value or one per ratio, each in [0, min(ratio, 1 - ratio)]', c.predRatioVar);
  }
  if (c.predShape !== 'block' && c.predShape !== 'rand') fail('predShape', "'block' or 'rand'", c.predShape);
  int('predStartEpoch', 0);
  for (const k of ['warmupTeacherTemp', 'teacherTemp', 'warmupTeacherPatchTemp', 'teacherPatchTemp', 'studentTemp'] as const) {
    num(k, pos, 'positive');
  }
  int('warmupTeacherTempEpochs', 0);
  num('centerMomentum', unit, 'in [0, 1]');
  num('centerMomentum2', unit, 'in [0, 1]');
  num('lambda1', nonneg, '>= 0');
  num('lambda2', nonneg, '>= 0');
  num('lr', nonneg, '>= 0');
  num('minLr', nonneg, '>= 0');
  int('warmupEpochs', 0);
  num('weightDecay', nonneg, '>= 0');
  num('weightDecayEnd', nonneg, '>= 0');
  num('momentumTeacher', unit, 'in [0, 1]');
  num('clipGrad', nonneg, '>= 0 (0 disables clipping)');
  int('freezeLastLayer', 0);
  int('epochs', 1);
  int('batchSize', 1);
  num('beta1', (x) => x >= 0 && x < 1, 'in [0, 1)');
  num('beta2', (x) => x >= 0 && x < 1, 'in [0, 1)');
  num('eps', pos, 'positive');
  if (c.warmupEpochs > c.epochs) fail('warmupEpochs', `<= epochs (${c.epochs})`, c.warmupEpochs);
  if (c.predStartEpoch + c.warmupTeacherTempEpochs > c.epochs) {
    fail('warmupTeacherTempEpochs', `<= epochs - predStartEpoch (${c.epochs - c.predStartEpoch})`, c.warmupTeacherTempEpochs);
  }
  const d = c.data as DataConfig | undefined;
  if (!d || typeof d !== 'object' ||
      !['fashion-mnist', 'fashion-mnist-embedded', 'image-folder', 'synthetic'].includes(d.kind)) {
    fail('data', "{kind: 'fashion-mnist' | 'fashion-mnist-embedded' | 'image-folder' | 'synthetic', ...}", d);
  }
  if (d!.kind === 'image-folder' && (typeof d!.root !== 'string' || d!.root === '')) fail('data.root', 'a folder path', d!.root);
  if (d!.kind === 'synthetic' && (!Number.isSafeInteger(d!.size) || d!.size < 1)) fail('data.size', 'an integer >= 1', d!.size);
  const n = c.normalize;
  if (n !== 'imagenet' && n !== 'dataset' &&
      !(n && typeof n === 'object' && Array.isArray(n.mean) && Array.isArray(n.std) && n.mean.length === c.inChans &&
        n.std.length === c.inChans && n.std.every((s) => s > 0))) {
    fail('normalize', `'imagenet', 'dataset' or {mean, std} with ${c.inChans} values each (std > 0)`, n);
  }
  if (n === 'imagenet' && c.inChans !== 3) fail('normalize', "'dataset' or explicit values for grey images", n);
  int('numWorkers', 0);
  int('seed', 0);
  if (c.seed >= 2 ** 32) fail('seed', 'below 2^32', c.seed);
  int('saveEveryEpochs', 0);
  int('saveEverySteps', 0);
  int('maxStepsPerEpoch', 0);
}

/** The ViT options of a training config (the trainer's student and teacher, and every evaluation, build it this way). */
export function backboneConfigOf(c: IbotTrainConfig) {
  return {
    variant: c.arch, embedDim: c.embedDim, depth: c.depth, numHeads: c.numHeads, patchSize: c.patchSize, imgSize: c.imgSize,
    inChans: c.inChans, seed: c.seed,
  };
}

/** The head options of a training config; `inDim` is the backbone's width (which the config may leave to the variant). */
export function headConfigOf(c: IbotTrainConfig, inDim: number) {
  return {
    inDim, outDim: c.outDim, patchOutDim: c.patchOutDim, hiddenDim: c.headHiddenDim, bottleneckDim: c.headBottleneckDim,
    nlayers: c.headLayers, normLastLayer: c.normLastLayer, sharedHead: c.sharedHead, seed: c.seed + 1,
  };
}
