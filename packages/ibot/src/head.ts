// The iBOT projection head (IBOT_SPEC §2.1–§2.2): an MLP to an L2-normalised bottleneck, then a weight-normalised
// linear last layer without bias, shared by the CLS token and the patch tokens (or a second last layer for patches).
// Besides the official forward it offers the exact work avoidance of DESIGN §5: the K-wide projection only for
// chosen patch rows, and the mean patch logits through the mean bottleneck (the last layer is linear).
import {l2Normalize, linear, weightNorm} from '@ibotjs/ops';
import {Rng} from '@ibotjs/data';
import * as tf from '@tensorflow/tfjs-core';

import type {FloatTensor, TensorDict} from './checkpoint/safetensors.js';
import {truncNormal, uniformInit} from './init.js';

export interface IbotHeadConfig {
  /** D, the backbone's embedding width. */
  inDim: number;
  /** K, prototypes of the CLS projection (default 8192). */
  outDim?: number;
  /** K of the patch projection (default outDim; must equal outDim when the head is shared). */
  patchOutDim?: number;
  /** Width of the hidden MLP layers (default 2048). */
  hiddenDim?: number;
  /** Width of the normalised bottleneck (default 256). */
  bottleneckDim?: number;
  /** Linear layers in the MLP (default 3; 1 means one Linear from D to the bottleneck). */
  nlayers?: number;
  /** Freeze weight_g at 1, so every prototype has unit norm (default true; the ViT-S recipe uses false). */
  normLastLayer?: boolean;
  /** One last layer for CLS and patches (default true, as in the released models: IBOT_SPEC §2.5). */
  sharedHead?: boolean;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Prefix of the parameter names (default 'head.'). */
  prefix?: string;
}

export interface IbotHeadForwardOptions {
  /**
   * [R] int32 indices into the B·N patch rows (row b·N + n for patch n of image b): only these rows get patch logits
   * (the masked patches of the student, or the teacher's targets at those positions). Absent: every patch.
   */
  patchRows?: tf.Tensor1D | null;
  /**
   * Also return `patchMean` [1, K_p]: the mean of the patch logits over ALL B·N patches, computed as the last layer
   * applied to the mean bottleneck (exact up to rounding, the last layer being linear). The patch centre needs it.
   */
  patchMean?: boolean;
}

// A type alias, not an interface, so that tf.tidy can return it.
export type IbotHeadOutput = {
  /** [B, K] */
  cls: tf.Tensor2D;
  /** [B, N, K_p] for all patches, [R, K_p] for `patchRows`, null for a CLS-only input. */
  patch: tf.Tensor3D | tf.Tensor2D | null;
  /** [1, K_p] when `patchMean` was asked. */
  patchMean?: tf.Tensor2D;
};

/** A parameter as the official state dict has it: its name and PyTorch shape. */
export interface ParamInfo {
  name: string;
  /** PyTorch layout: Linear weights are [out, in]. */
  shape: number[];
  /** On device, Linear weights are [in, out] (what `linear` takes): transposed at load and save. */
  transposed: boolean;
}

type LastLayer = {g: tf.Variable; v: tf.Variable};

export class IbotHead {
  readonly inDim: number;
  readonly outDim: number;
  readonly patchOutDim: number;
  readonly hiddenDim: number;
  readonly bottleneckDim: number;
  readonly nlayers: number;
  readonly normLastLayer: boolean;
  readonly sharedHead: boolean;
  readonly prefix: string;

  private readonly infos: ParamInfo[] = [];
  private readonly vars = new Map<string, tf.Variable>();
  private readonly mlp: {w: tf.Variable; b: tf.Variable}[] = [];
  private readonly last: LastLayer;
  private readonly last2: LastLayer | null;

  constructor(config: IbotHeadConfig) {
    const positive = (name: string, v: number) => {
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`IbotHead: ${name} must be a positive integer, got ${v}`);
      return v;
    };
    this.inDim = positive('inDim', config.inDim);
    this.outDim = positive('outDim', config.outDim ?? 8192);
    this.patchOutDim = positive('patchOutDim', config.patchOutDim ?? this.outDim);
    this.hiddenDim = positive('hiddenDim', config.hiddenDim ?? 2048);
    this.bottleneckDim = positive('bottleneckDim', config.bottleneckDim ?? 256);
    this.nlayers = positive('nlayers', config.nlayers ?? 3);
    this.normLastLayer = config.normLastLayer ?? true;
    this.sharedHead = config.sharedHead ?? true;
    this.prefix = config.prefix ?? 'head.';
    if (this.sharedHead && this.patchOutDim !== this.outDim) {
      throw new Error(`IbotHead: a shared head needs patchOutDim = outDim, got ${this.patchOutDim} and ${this.outDim}`);
    }
    const rng = new Rng(config.seed ?? 0);

    // MLP: Linear(D→H) GELU (Linear(H→H) GELU)* Linear(H→C); Linear weights ~ trunc normal 0.02, biases 0.
    // Sequential indices 0, 2, 4, ... (GELUs sit at the odd indices); a 1-layer MLP is a bare Linear named `mlp`.
    const dims = this.nlayers === 1 ? [this.inDim, this.bottleneckDim] :
        [this.inDim, ...new Array<number>(this.nlayers - 1).fill(this.hiddenDim), this.bottleneckDim];
    for (let i = 0; i + 1 < dims.length; i++) {
      const base = this.nlayers === 1 ? `${this.prefix}mlp` : `${this.prefix}mlp.${2 * i}`;
      const [fanIn, fanOut] = [dims[i]!, dims[i + 1]!];
      // Drawn in PyTorch's [out, in] order, so the same seed gives the same matrix whatever the device layout.
      const w = this.add(`${base}.weight`, [fanOut, fanIn], true, truncNormal(rng, fanOut * fanIn, 0.02), true);
      const b = this.add(`${base}.bias`, [fanOut], false, new Float32Array(fanOut), true);
      this.mlp.push({w, b});
    }
    // Weight-normalised last layer(s): g = 1 (frozen with normLastLayer), v keeps PyTorch's default Linear init
    // U(±1/√C) because the official code creates it after applying its own init.
    const lastLayer = (name: string, k: number): LastLayer => ({
      g: this.add(`${this.prefix}${name}.weight_g`, [k, 1], false, new Float32Array(k).fill(1), !this.normLastLayer),
      v: this.add(`${this.prefix}${name}.weight_v`, [k, this.bottleneckDim], false,
                  uniformInit(rng, k * this.bottleneckDim, 1 / Math.sqrt(this.bottleneckDim)), true),
    });
    this.last = lastLayer('last_layer', this.outDim);
    this.last2 = this.sharedHead ? null : lastLayer('last_layer2', this.patchOutDim);
  }

  private add(name: string, shape: number[], transposed: boolean, torchValues: Float32Array, trainable: boolean):
      tf.Variable {
    this.infos.push({name, shape, transposed});
    const v = tf.tidy(() => tf.variable(toDevice(torchValues, shape, transposed), trainable));
    this.vars.set(name, v);
    return v;
  }

  /** The parameters in the official order (name → variable, device layout). A frozen weight_g is not trainable. */
  parameters(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  /** Names and PyTorch shapes in the official order. */
  parameterInfo(): ParamInfo[] {
    return this.infos.map((p) => ({...p, shape: p.shape.slice()}));
  }

  /** Host copies of every parameter with the official names and PyTorch shapes (for checkpoints and export). */
  stateDict(): Map<string, FloatTensor> {
    const out = new Map<string, FloatTensor>();
    for (const p of this.infos) {
      const data = this.vars.get(p.name)!.dataSync() as Float32Array;
      out.set(p.name, {shape: p.shape.slice(), data: p.transposed ? transpose2d(data, p.shape[1]!, p.shape[0]!) :
                                                                     Float32Array.from(data)});
    }
    return out;
  }

  /**
   * Sets every parameter from official names and PyTorch shapes. Missing names, unknown names and wrong shapes are
   * errors. The official shared head also lists its last layer as `last_layer2.*`: those entries are accepted and
   * ignored when the head is shared.
   */
  loadStateDict(dict: TensorDict): void {
    const entries: Map<string, FloatTensor> =
        new Map(dict instanceof Map ? dict : Object.entries(dict as Record<string, FloatTensor>));
    const missing = this.infos.filter((p) => !entries.has(p.name)).map((p) => p.name);
    const known = new Set(this.infos.map((p) => p.name));
    const aliasOk = (n: string) => this.sharedHead && n.startsWith(`${this.prefix}last_layer2.`);
    const unexpected = [...entries.keys()].filter((n) => n.startsWith(this.prefix) && !known.has(n) && !aliasOk(n));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new Error(`IbotHead.loadStateDict: missing ${JSON.stringify(missing)}, unexpected ` +
                      JSON.stringify(unexpected));
    }
    for (const p of this.infos) {
      const t = entries.get(p.name)!;
      const numel = p.shape.reduce((a, b) => a * b, 1);
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]) || t.data.length !== numel) {
        throw new Error(`IbotHead.loadStateDict: ${p.name} has shape [${t.shape}], expected [${p.shape}]`);
      }
    }
    for (const p of this.infos) {
      const t = entries.get(p.name)!;
      tf.tidy(() => this.vars.get(p.name)!.assign(toDevice(t.data, p.shape, p.transposed)));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }

  /** The MLP and the L2 normalisation: x [..., D] → z [..., C] with ‖z‖ = 1 (or 0 for a zero vector). */
  bottleneck(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      this.mlp.forEach(({w, b}, i) => {
        h = linear(h, w, b, {activation: i + 1 < this.mlp.length ? 'gelu' : 'none'});
      });
      return l2Normalize(h, 1e-12);
    });
  }

  /** The effective last-layer weight g·v/‖v‖ [K, C] of the CLS ('cls') or patch ('patch') projection. */
  lastLayerWeight(which: 'cls' | 'patch' = 'cls'): tf.Tensor2D {
    const {g, v} = which === 'patch' && this.last2 ? this.last2 : this.last;
    return weightNorm(v, g);
  }

  /** The last layer alone: z [R, C] → logits [R, K] (no bias). */
  project(z: tf.Tensor2D, which: 'cls' | 'patch' = 'cls'): tf.Tensor2D {
    this.checkLastDim(z, this.bottleneckDim, 'project: z');
    return tf.tidy(() => tf.matMul(z, this.lastLayerWeight(which), false, true));
  }

  /** The CLS-only path (the official 2-D input): x [B, D] → [B, K]. */
  forwardCls(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2) throw new Error(`IbotHead.forwardCls: x must be [B, ${this.inDim}], got [${x.shape}]`);
    this.checkLastDim(x, this.inDim, 'forwardCls: x');
    return tf.tidy(() => this.project(this.bottleneck(x) as tf.Tensor2D, 'cls'));
  }

  /**
   * The official forward: tokens [B, 1+N, D] → cls [B, K] from token 0 and patch [B, N, K_p] from tokens 1..N; a
   * 2-D input [B, D] gives cls only. With `patchRows` only those patch rows are projected (and, when `patchMean` is
   * not asked, only CLS and those rows go through the MLP); with `patchMean` the mean patch logits come too.
   */
  forward(tokens: tf.Tensor, options: IbotHeadForwardOptions = {}): IbotHeadOutput {
    if (tokens.rank === 2) {
      if (options.patchRows || options.patchMean) {
        throw new Error('IbotHead.forward: patchRows and patchMean need all tokens [B, 1+N, D]');
      }
      return {cls: this.forwardCls(tokens as tf.Tensor2D), patch: null};
    }
    if (tokens.rank !== 3 || tokens.shape[1]! < 1) {
      throw new Error(`IbotHead.forward: tokens must be [B, 1+N, ${this.inDim}] or [B, ${this.inDim}], got ` +
                      `[${tokens.shape}]`);
    }
    this.checkLastDim(tokens, this.inDim, 'forward: tokens');
    const [b, t, d] = tokens.shape as [number, number, number];
    const n = t - 1, c = this.bottleneckDim;
    const rows = options.patchRows ?? null;
    if (rows && (rows.rank !== 1 || rows.dtype !== 'int32')) {
      throw new Error(`IbotHead.forward: patchRows must be int32 [R], got ${rows.dtype} [${rows.shape}]`);
    }
    // (tidy's container type has no null: the 3-D path always has patch logits.)
    return tf.tidy((): tf.TensorContainer => {
      let zCls: tf.Tensor2D, zSel: tf.Tensor2D, zMean: tf.Tensor2D | null = null;
      if (rows && !options.patchMean) {
        // Only CLS and the chosen rows go through the MLP: the other rows' logits would be discarded anyway.
        const cls = tf.reshape(tf.slice(tokens, [0, 0, 0], [b, 1, d]), [b, d]);
        const sel = tf.gather(tf.reshape(tf.slice(tokens, [0, 1, 0], [b, n, d]), [b * n, d]), rows);  // [R, D]
        const z = this.bottleneck(tf.concat([cls, sel], 0)) as tf.Tensor2D;                          // [B+R, C]
        zCls = tf.slice(z, [0, 0], [b, c]);
        zSel = tf.slice(z, [b, 0], [z.shape[0] - b, c]);
      } else {
        const z = tf.reshape(this.bottleneck(tf.reshape(tokens, [b * t, d])), [b, t, c]);
        zCls = tf.reshape(tf.slice(z, [0, 0, 0], [b, 1, c]), [b, c]);
        const zPatch = tf.reshape(tf.slice(z, [0, 1, 0], [b, n, c]), [b * n, c]) as tf.Tensor2D;   // [B·N, C]
        zSel = rows ? tf.gather(zPatch, rows) : zPatch;
        if (options.patchMean) zMean = tf.mean(zPatch, 0, true);                                   // [1, C]
      }
      const wCls = this.lastLayerWeight('cls');
      const wPatch = this.last2 ? this.lastLayerWeight('patch') : wCls;
      const cls = tf.matMul(zCls, wCls, false, true) as tf.Tensor2D;
      const patchRows = tf.matMul(zSel, wPatch, false, true) as tf.Tensor2D;
      const out: {cls: tf.Tensor2D; patch: tf.Tensor2D | tf.Tensor3D; patchMean?: tf.Tensor2D} = {
        cls,
        patch: rows ? patchRows : tf.reshape(patchRows, [b, n, this.patchOutDim]) as tf.Tensor3D,
      };
      if (zMean) out.patchMean = tf.matMul(zMean, wPatch, false, true) as tf.Tensor2D;
      return out;
    }) as IbotHeadOutput;
  }

  private checkLastDim(x: tf.Tensor, want: number, what: string): void {
    if (x.shape[x.rank - 1] !== want) throw new Error(`IbotHead.${what} must end in ${want}, got [${x.shape}]`);
  }
}

/** A parameter's device tensor from PyTorch-layout values ([out, in] Linear weights become [in, out]). */
function toDevice(values: Float32Array, shape: number[], transposed: boolean): tf.Tensor {
  return transposed ? tf.tensor2d(transpose2d(values, shape[0]!, shape[1]!), [shape[1]!, shape[0]!]) :
                      tf.tensor(values, shape);
}

/** [rows, cols] row-major → [cols, rows] row-major. */
function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
