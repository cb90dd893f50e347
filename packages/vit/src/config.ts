// ViT configurations: the four official variants (IBOT_SPEC §1.1) and the checks that turn user options into a
// complete, consistent configuration.

export type ViTVariant = 'tiny' | 'small' | 'base' | 'large';

/** Embedding width, depth and heads of each variant; all have head dim 64, MLP ratio 4 and a qkv bias. */
export const VIT_VARIANTS: Readonly<Record<ViTVariant, {embedDim: number; depth: number; numHeads: number}>> = {
  tiny: {embedDim: 192, depth: 12, numHeads: 3},
  small: {embedDim: 384, depth: 12, numHeads: 6},
  base: {embedDim: 768, depth: 12, numHeads: 12},
  large: {embedDim: 1024, depth: 24, numHeads: 16},
};

/** LayerNorm epsilon everywhere in the backbone (IBOT_SPEC §1.1). */
export const LAYER_NORM_EPS = 1e-6;

/** A complete configuration (what resolveViTConfig returns and a ViT keeps). */
export interface ViTConfig {
  /** Side of the square training image; pos_embed covers (imgSize / patchSize)² patches plus CLS. */
  imgSize: number;
  /** Kernel = stride of the patch projection. */
  patchSize: number;
  /** Image channels (3 for RGB, 1 for Fashion-MNIST). */
  inChans: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  /** MLP hidden width = floor(embedDim · mlpRatio). */
  mlpRatio: number;
  qkvBias: boolean;
  /** The student: has the masked_embed parameter and accepts masks. */
  maskedImModeling: boolean;
  /** Drop-path rate of the last block; block i gets i/(depth−1) of it (IBOT_SPEC §1.9). */
  dropPathRate: number;
  /** forward's default output: all tokens [B, 1+N, D] (true) or the CLS token [B, D]. */
  returnAllTokens: boolean;
  /** Seed of the initialisation (and the default drop-path stream). */
  seed: number;
}

/** What createViT takes: a variant name and/or explicit sizes, with defaults for the rest. */
export interface ViTOptions extends Partial<ViTConfig> {
  /** Supplies embedDim, depth and numHeads (explicit values override it). */
  variant?: ViTVariant;
}

const DEFAULTS = {
  imgSize: 224, patchSize: 16, inChans: 3, mlpRatio: 4, qkvBias: true, maskedImModeling: false, dropPathRate: 0,
  returnAllTokens: false, seed: 0,
} as const;

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`ViT config: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** Fills defaults and checks every field; throws an Error naming the field. */
export function resolveViTConfig(options: ViTOptions = {}): ViTConfig {
  const {variant, ...rest} = options;
  let sizes: Partial<ViTConfig> = {};
  if (variant !== undefined) {
    if (!Object.hasOwn(VIT_VARIANTS, variant)) {
      throw new Error(`ViT config: unknown variant '${String(variant)}' (expected ${Object.keys(VIT_VARIANTS).join(', ')})`);
    }
    sizes = VIT_VARIANTS[variant];
  }
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<ViTConfig>;
  const c = {...DEFAULTS, ...sizes, ...defined};
  for (const k of ['embedDim', 'depth', 'numHeads'] as const) {
    if (c[k] === undefined) throw new Error(`ViT config: ${k} is required when no variant is given`);
  }
  const config: ViTConfig = {
    imgSize: positiveInt('imgSize', c.imgSize),
    patchSize: positiveInt('patchSize', c.patchSize),
    inChans: positiveInt('inChans', c.inChans),
    embedDim: positiveInt('embedDim', c.embedDim!),
    depth: positiveInt('depth', c.depth!),
    numHeads: positiveInt('numHeads', c.numHeads!),
    mlpRatio: c.mlpRatio,
    qkvBias: Boolean(c.qkvBias),
    maskedImModeling: Boolean(c.maskedImModeling),
    dropPathRate: c.dropPathRate,
    returnAllTokens: Boolean(c.returnAllTokens),
    seed: c.seed,
  };
  if (config.embedDim % config.numHeads !== 0) {
    throw new Error(`ViT config: embedDim ${config.embedDim} is not divisible by numHeads ${config.numHeads}`);
  }
  if (config.imgSize < config.patchSize) {
    throw new Error(`ViT config: imgSize ${config.imgSize} is smaller than patchSize ${config.patchSize}`);
  }
  if (!(config.mlpRatio > 0) || !Number.isFinite(config.mlpRatio) || mlpHidden(config) < 1) {
    throw new Error(`ViT config: mlpRatio must be a positive number giving a hidden width >= 1, got ${config.mlpRatio}`);
  }
  if (!(config.dropPathRate >= 0 && config.dropPathRate < 1)) {
    throw new Error(`ViT config: dropPathRate must be in [0, 1), got ${config.dropPathRate}`);
  }
  if (!Number.isInteger(config.seed)) throw new Error(`ViT config: seed must be an integer, got ${config.seed}`);
  return config;
}

/** Patches per side of the stored position-embedding grid. */
export function gridSize(config: ViTConfig): number {
  return Math.floor(config.imgSize / config.patchSize);
}

/** Patch tokens of a training-size image, N. */
export function numPatches(config: ViTConfig): number {
  return gridSize(config) ** 2;
}

export function headDim(config: ViTConfig): number {
  return config.embedDim / config.numHeads;
}

export function mlpHidden(config: ViTConfig): number {
  return Math.floor(config.embedDim * config.mlpRatio);
}

/** Per-block drop-path rates, linspace(0, dropPathRate, depth) (IBOT_SPEC §1.9). */
export function dropPathRates(config: ViTConfig): number[] {
  const {depth, dropPathRate: r} = config;
  return Array.from({length: depth}, (_, i) => (depth === 1 ? 0 : (r * i) / (depth - 1)));
}
