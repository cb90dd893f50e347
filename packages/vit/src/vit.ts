// The ViT model: tf.Variables keyed by the official parameter names (our layouts on device), the forward pass of
// forward.ts over them, and PyTorch-shaped state dicts in and out.
import * as tf from '@tensorflow/tfjs-core';

import {resolveViTConfig, type ViTConfig, type ViTOptions} from './config.js';
import {type ForwardOptions, vitForward, vitIntermediateLayers, vitLastSelfAttention} from './forward.js';
import {initialValue} from './init.js';
import {type ParamSpec, paramSpecs, sizeOf} from './params.js';
import {type LoadResult, matchStateDict, type StateDict, type StateDictEntry, toTorchLayout} from './state_dict.js';

export interface CreateViTOptions extends ViTOptions {
  /**
   * Prefix of the tfjs Variable names, `${name}/${officialName}` (default: vit0, vit1, ...). tfjs keeps one global
   * registry of variable names, so a student and a teacher cannot both use the bare official names; parameters()
   * is keyed by the bare names.
   */
  name?: string;
}

export interface StateDictOptions {
  /** Prepended to every name (e.g. 'backbone.'). */
  prefix?: string;
}

export interface LoadStateDictOptions {
  /**
   * true (default): every parameter must be present and no other name may appear. false: both are reported in the
   * result instead (PyTorch's strict=False). Shape mismatches throw either way, and nothing is assigned then.
   */
  strict?: boolean;
  /** Only names starting with it are read, with it removed (e.g. 'backbone.'); other names are ignored. */
  prefix?: string;
}

let modelCount = 0;

export class ViT {
  readonly config: ViTConfig;
  readonly name: string;
  private readonly specs: ParamSpec[];
  private readonly vars = new Map<string, tf.Variable>();
  private calls = 0;
  private disposed = false;

  constructor(options: CreateViTOptions = {}) {
    const {name, ...rest} = options;
    this.config = resolveViTConfig(rest);
    this.name = name ?? `vit${modelCount++}`;
    this.specs = paramSpecs(this.config);
    try {
      for (const spec of this.specs) {
        const value = tf.tensor(initialValue(spec, this.config), spec.shape, 'float32');
        this.vars.set(spec.name, tf.variable(value, true, `${this.name}/${spec.name}`));
        value.dispose();
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * images [B, H, W, C] float32 → [B, 1+N, D] (returnAllTokens) or [B, D] (the CLS token), after the final norm.
   * A mask [B, H/p, W/p] bool replaces those patches by masked_embed (student only). With training, drop path draws
   * from opts.seed, or else from a stream that advances with every training call.
   */
  forward(images: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
    const seed = opts.seed ?? (opts.training ? `${this.config.seed}:${this.calls++}` : this.config.seed);
    return vitForward(this.params(), this.config, images, {...opts, seed});
  }

  /** The last n blocks' outputs, each through the final norm: n × [B, 1+N, D] (eval mode). */
  getIntermediateLayers(images: tf.Tensor, n = 1): tf.Tensor3D[] {
    return vitIntermediateLayers(this.params(), this.config, images, n);
  }

  /** The last block's attention probabilities [B, heads, 1+N, 1+N] (eval mode). */
  getLastSelfAttention(images: tf.Tensor): tf.Tensor4D {
    return vitLastSelfAttention(this.params(), this.config, images);
  }

  /** name → Variable in the official order (cls_token, pos_embed, [masked_embed], patch_embed.*, blocks.*, norm.*). */
  parameters(): ReadonlyMap<string, tf.Variable> {
    this.check();
    return this.vars;
  }

  /** Number of scalars in all parameters. */
  numParameters(): number {
    return this.specs.reduce((acc, s) => acc + sizeOf(s.shape), 0);
  }

  /** The parameters with official names and PyTorch shapes, as host arrays (a copy). */
  stateDict(opts: StateDictOptions = {}): StateDict {
    this.check();
    const out: StateDict = {};
    for (const spec of this.specs) {
      const data = this.vars.get(spec.name)!.dataSync() as Float32Array;
      out[(opts.prefix ?? '') + spec.name] = {shape: spec.torchShape.slice(), data: toTorchLayout(spec, data)};
    }
    return out;
  }

  /**
   * Assigns parameters from a dict with official names and PyTorch shapes (host arrays), converting layouts once.
   * Strict by default; see LoadStateDictOptions. Returns the missing and unexpected names.
   */
  loadStateDict(dict: Readonly<Record<string, StateDictEntry>>, opts: LoadStateDictOptions = {}): LoadResult {
    this.check();
    const {values, missingKeys, unexpectedKeys} =
        matchStateDict(this.specs, dict, {strict: opts.strict ?? true, prefix: opts.prefix ?? ''});
    for (const spec of this.specs) {
      const v = values.get(spec.name);
      if (v) tf.tidy(() => this.vars.get(spec.name)!.assign(tf.tensor(v, spec.shape, 'float32')));
    }
    return {missingKeys, unexpectedKeys};
  }

  /** Frees every parameter; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }

  private params(): Record<string, tf.Tensor> {
    this.check();
    return Object.fromEntries(this.vars);
  }

  private check(): void {
    if (this.disposed) throw new Error(`ViT ${this.name}: used after dispose()`);
  }
}

/** A ViT with freshly initialised parameters (IBOT_SPEC §1.11), e.g. createViT({variant: 'small', patchSize: 16}). */
export function createViT(options: CreateViTOptions = {}): ViT {
  return new ViT(options);
}
