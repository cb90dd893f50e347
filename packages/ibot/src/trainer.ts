// IbotTrainer: the official training loop (IBOT_SPEC §5.2) on TensorFlow.js: student and EMA teacher ViTs with the
// shared iBOT head, block masks on the global crops, the exact work avoidance (the K-wide projection only for CLS
// rows and masked patch rows; no patch logits for local crops), AdamW with two parameter groups and cosine schedules,
// per-parameter clipping before the last-layer cancellation, and crash-safe checkpoints that resume exactly.
import {
  adamw, blockMask, clipPerParam, cosineScheduler, createAdamWState, disposeAdamWState, ema, type AdamWState,
} from '@ibotjs/ops';
import type {Batch, Dataset, Loader, SkipRecord} from '@ibotjs/data';
import {createViT, type ViT} from '@ibotjs/vit';
import * as tf from '@tensorflow/tfjs-core';

import {CheckpointStore, STATE_TENSORS, type LoadedCheckpoint} from './checkpoint/store.js';
import type {FloatTensor} from './checkpoint/safetensors.js';
import {backboneConfigOf, headConfigOf, validateTrainConfig, type IbotTrainConfig} from './config.js';
import {createTrainLoader, normalization, openTrainDataset} from './data.js';
import {IbotHead} from './head.js';
import {IbotLoss} from './loss.js';
import {MaskedRows} from './masked_rows.js';
import {paramGroups} from './param_groups.js';

export interface IbotTrainerOptions {
  /** Where checkpoints go (none are written without it). */
  checkpointDir?: string;
  /** Continue from the latest checkpoint in checkpointDir when there is one (true), or from the named one. */
  resume?: boolean | string;
  /** tf.setBackend(backend) first (e.g. 'native', 'cuda', 'wasm', 'cpu'); default: the active backend. */
  backend?: string;
  /** Use this dataset instead of opening config.data (e.g. a training split of a held-out evaluation). */
  dataset?: Dataset;
  /** Checkpoints kept in checkpointDir (default 3). */
  keepCheckpoints?: number;
  /** Called once per image the loader skipped (an unreadable file in an ImageFolder). */
  onSkip?: (record: SkipRecord) => void;
}

export interface StepLog {
  epoch: number;
  /** Step within the epoch. */
  step: number;
  /** Steps done before this one in the whole run (the schedules' index). */
  globalStep: number;
  loss: number;
  cls: number;
  patch: number;
  lr: number;
  wd: number;
  momentum: number;
  teacherTemp: number;
  teacherPatchTemp: number;
  /** Masked patches in this step's global crops. */
  maskedPatches: number;
  /** Images (not crops) per second of this step, data waiting excluded. */
  imagesPerSec: number;
  seconds: number;
}

export interface StepOptions {
  /**
   * Masks of the global crops instead of the block-mask generator's: [G·B·h·w] values (non-zero = masked), crop-major
   * (row c·B + b is image b of crop c), each mask row-major over the h × w patch grid. For tests and reproductions.
   */
  masks?: ArrayLike<number | boolean>;
}

export interface EpochLog {
  epoch: number;
  steps: number;
  loss: number;
  cls: number;
  patch: number;
  seconds: number;
  imagesPerSec: number;
  /** The checkpoint written at the end of this epoch, if any. */
  checkpoint: string | null;
}

export interface TrainOptions {
  onStep?: (log: StepLog) => void;
  onEpoch?: (log: EpochLog) => void;
  /** Stops before the next step; a checkpoint of the position reached is written (with checkpointDir). */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** 'done' after the last epoch, 'aborted' when the signal stopped it. */
  status: 'done' | 'aborted';
  epoch: number;
  globalStep: number;
  checkpoint: string | null;
}

/** A training step whose loss is NaN or infinite: the run stops, nothing of this step is applied or saved. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(readonly epoch: number, readonly step: number, readonly globalStep: number, readonly value: number) {
    super(`iBOT: the loss is ${value} at epoch ${epoch}, step ${step} (global step ${globalStep}); training stopped ` +
          'without applying this step (the last checkpoint is intact)');
  }
}

/** Config fields a resumed run must share with its checkpoint (they fix shapes, the data order or the masks). */
const RESUME_FIXED: ReadonlyArray<keyof IbotTrainConfig> = [
  'arch', 'embedDim', 'depth', 'numHeads', 'patchSize', 'imgSize', 'inChans', 'outDim', 'patchOutDim', 'sharedHead',
  'normLastLayer', 'headHiddenDim', 'headBottleneckDim', 'headLayers', 'globalCropsNumber', 'localCropsNumber',
  'localCropSize', 'batchSize', 'seed',
];

const PHASE = {globalDrop: 1, localDrop: 2} as const;

export class IbotTrainer {
  readonly config: IbotTrainConfig;
  readonly student: ViT;
  readonly teacher: ViT;
  readonly studentHead: IbotHead;
  readonly teacherHead: IbotHead;
  readonly loss: IbotLoss;
  /** Steps per epoch (the loader's full batches, capped by maxStepsPerEpoch). */
  readonly itersPerEpoch: number;
  readonly lrSchedule: Float64Array;
  readonly wdSchedule: Float64Array;
  readonly momentumSchedule: Float64Array;
  /** Per-channel mean and std the crops are normalised with (evaluate the teacher on images normalised the same). */
  readonly normalization: {mean: number[]; std: number[]};
  /** The epoch and step within it of the next step, and the steps done in all. */
  epoch = 0;
  epochStep = 0;
  globalStep = 0;

  private readonly loader: Loader | null;
  private readonly store: CheckpointStore | null;
  /** Trainable student parameters, official names ('backbone.…', 'head.…'), in the official order. */
  private readonly names: string[];
  private readonly params: tf.Variable[];
  private readonly decay: boolean[];
  private readonly opt: AdamWState;
  /** EMA pairs: the names common to student and teacher, in the student's order (masked_embed excluded). */
  private readonly emaStudent: tf.Variable[];
  private readonly emaTeacher: tf.Variable[];
  private disposed = false;

  private constructor(config: IbotTrainConfig, loader: Loader | null, itersPerEpoch: number,
                      store: CheckpointStore | null, norm: {mean: number[]; std: number[]}) {
    this.config = config;
    this.normalization = {mean: [...norm.mean], std: [...norm.std]};
    this.loader = loader;
    this.store = store;
    this.itersPerEpoch = itersPerEpoch;
    const vit = backboneConfigOf(config);
    this.student = createViT({...vit, maskedImModeling: true, dropPathRate: config.dropPath, returnAllTokens: true});
    this.teacher = createViT({...vit, maskedImModeling: false, dropPathRate: 0, returnAllTokens: true});
    const head = headConfigOf(config, this.student.config.embedDim);
    this.studentHead = new IbotHead(head);
    this.teacherHead = new IbotHead(head);
    // The teacher starts as a copy of the student (strict=False: it has no masked_embed).
    this.teacher.loadStateDict(this.student.stateDict(), {strict: false});
    this.teacherHead.loadStateDict(this.studentHead.stateDict());
    this.loss = new IbotLoss({
      outDim: config.outDim, patchOutDim: config.patchOutDim, ngcrops: config.globalCropsNumber,
      nlcrops: config.localCropsNumber, warmupTeacherTemp: config.warmupTeacherTemp, teacherTemp: config.teacherTemp,
      warmupTeacherTemp2: config.warmupTeacherPatchTemp, teacherTemp2: config.teacherPatchTemp,
      warmupTeacherTempEpochs: config.warmupTeacherTempEpochs, nepochs: config.epochs, studentTemp: config.studentTemp,
      centerMomentum: config.centerMomentum, centerMomentum2: config.centerMomentum2, lambda1: config.lambda1,
      lambda2: config.lambda2, mimStartEpoch: config.predStartEpoch,
    });

    const studentAll = this.studentParams();
    const groups = paramGroups([...studentAll].map(([n, v]) => [n, {shape: v.shape, trainable: v.trainable}]));
    const regularized = new Set(groups.regularized);
    this.names = [...studentAll.keys()].filter((n) => studentAll.get(n)!.trainable);
    this.params = this.names.map((n) => studentAll.get(n)!);
    this.decay = this.names.map((n) => regularized.has(n));
    this.opt = createAdamWState(this.params);
    const teacherAll = this.teacherParams();
    const common = [...studentAll.keys()].filter((n) => teacherAll.has(n));
    this.emaStudent = common.map((n) => studentAll.get(n)!);
    this.emaTeacher = common.map((n) => teacherAll.get(n)!);

    // Schedules per iteration (IBOT_SPEC §5.4); lr by the linear scaling rule.
    const E = config.epochs, I = itersPerEpoch;
    this.lrSchedule = cosineScheduler(config.lr * config.batchSize / 256, config.minLr, E, I, config.warmupEpochs);
    this.wdSchedule = cosineScheduler(config.weightDecay, config.weightDecayEnd, E, I);
    this.momentumSchedule = cosineScheduler(config.momentumTeacher, 1, E, I);
  }

  /**
   * A trainer for `config` (a complete config, e.g. from resolveTrainConfig): opens the data, builds the models,
   * and with `resume` continues from a checkpoint in checkpointDir.
   */
  static async create(config: IbotTrainConfig, options: IbotTrainerOptions = {}): Promise<IbotTrainer> {
    const cfg = structuredClone(config);
    validateTrainConfig(cfg);
    if (options.backend !== undefined) {
      if (tf.findBackendFactory(options.backend) === null && tf.findBackend(options.backend) === null) {
        throw new Error(`IbotTrainer: backend '${options.backend}' is not registered (import its package first)`);
      }
      if (!(await tf.setBackend(options.backend))) throw new Error(`IbotTrainer: backend '${options.backend}' failed to start`);
    }
    checkGradients();
    const dataset = options.dataset ?? await openTrainDataset(cfg.data);
    const norm = await normalization(cfg, dataset);
    const loader = await createTrainLoader(cfg, dataset, norm, options.onSkip);
    const iters = cfg.maxStepsPerEpoch > 0 ? Math.min(cfg.maxStepsPerEpoch, loader.batchesPerEpoch) :
                                             loader.batchesPerEpoch;
    const store = options.checkpointDir ? new CheckpointStore(options.checkpointDir, {keep: options.keepCheckpoints}) :
                                          null;
    let loaded: LoadedCheckpoint | null = null;
    if (options.resume) {
      if (!store) throw new Error('IbotTrainer: resume needs a checkpointDir');
      loaded = typeof options.resume === 'string' ? store.load(options.resume) : store.loadLatest();
    }
    let trainer: IbotTrainer;
    try {
      trainer = new IbotTrainer(cfg, loader, iters, store, norm);
    } catch (e) {
      await loader.close();
      throw e;
    }
    if (loaded) {
      try {
        trainer.restore(loaded);
      } catch (e) {
        await trainer.dispose();
        throw e;
      }
    }
    return trainer;
  }

  /** The teacher backbone, for evaluation (k-NN, attention maps). Owned by the trainer. */
  teacherBackbone(): ViT {
    return this.teacher;
  }

  /** Student parameters with official names: 'backbone.…' then 'head.…' (frozen weight_g included). */
  studentParams(): Map<string, tf.Variable> {
    return prefixed(this.student.parameters(), this.studentHead.parameters());
  }

  teacherParams(): Map<string, tf.Variable> {
    return prefixed(this.teacher.parameters(), this.teacherHead.parameters());
  }

  /** Runs the remaining epochs; checkpoints per config (every saveEveryEpochs epochs, saveEverySteps steps, the end). */
  async train(options: TrainOptions = {}): Promise<TrainResult> {
    this.check();
    const loader = this.loader!;
    const {config} = this;
    let lastCheckpoint: string | null = null;
    while (this.epoch < config.epochs) {
      const epoch = this.epoch;
      let sums = {loss: 0, cls: 0, patch: 0, seconds: 0}, steps = 0;
      if (this.epochStep < this.itersPerEpoch) {
        const it = loader.epoch(epoch, {fromBatch: this.epochStep});
        try {
          for (;;) {
            if (options.signal?.aborted) {
              lastCheckpoint = this.saveCheckpoint() ?? lastCheckpoint;
              return {status: 'aborted', epoch: this.epoch, globalStep: this.globalStep, checkpoint: lastCheckpoint};
            }
            let next: IteratorResult<Batch>;
            try {
              next = await it.next();
            } catch (e) {
              throw new Error(`IbotTrainer: the data loader failed at epoch ${epoch}, batch ${this.epochStep}: ` +
                              (e as Error).message, {cause: e});
            }
            if (next.done) break;
            const log = this.step(next.value);
            sums = {loss: sums.loss + log.loss, cls: sums.cls + log.cls, patch: sums.patch + log.patch,
                    seconds: sums.seconds + log.seconds};
            steps++;
            options.onStep?.(log);
            if (config.saveEverySteps > 0 && this.globalStep % config.saveEverySteps === 0) {
              lastCheckpoint = this.saveCheckpoint() ?? lastCheckpoint;
            }
            if (this.epochStep >= this.itersPerEpoch) break;
          }
        } finally {
          await it.return?.();
        }
      }
      if (this.epochStep < this.itersPerEpoch) {
        throw new Error(`IbotTrainer: epoch ${epoch} ended after ${this.epochStep} of ${this.itersPerEpoch} batches`);
      }
      this.epoch++;
      this.epochStep = 0;
      const last = this.epoch === config.epochs;
      let checkpoint: string | null = null;
      if (last || (config.saveEveryEpochs > 0 && this.epoch % config.saveEveryEpochs === 0)) {
        checkpoint = this.saveCheckpoint();
        lastCheckpoint = checkpoint ?? lastCheckpoint;
      }
      const n = Math.max(1, steps);
      options.onEpoch?.({
        epoch, steps, loss: sums.loss / n, cls: sums.cls / n, patch: sums.patch / n, seconds: sums.seconds,
        imagesPerSec: sums.seconds > 0 ? steps * config.batchSize / sums.seconds : 0, checkpoint,
      });
    }
    return {status: 'done', epoch: this.epoch, globalStep: this.globalStep, checkpoint: lastCheckpoint};
  }

  /**
   * One training iteration on a loader batch at the trainer's position (epoch, epochStep, globalStep), which it then
   * advances. Throws NonFiniteLossError (nothing applied) when the loss is not finite. `options.masks` replaces the
   * generated masks.
   */
  step(batch: Pick<Batch, 'crops' | 'shapes'>, options: StepOptions = {}): StepLog {
    this.check();
    const start = performance.now();
    const {config} = this;
    const G = config.globalCropsNumber, L = config.localCropsNumber;
    if (batch.crops.length !== G + L) {
      throw new Error(`IbotTrainer.step: ${batch.crops.length} crops per batch, the config has ${G} global + ${L} local`);
    }
    const it = this.globalStep, epoch = this.epoch;
    if (it >= this.lrSchedule.length || epoch >= config.epochs) {
      throw new Error(`IbotTrainer.step: the schedule has ${this.lrSchedule.length} steps; global step ${it} is past it`);
    }
    const lr = this.lrSchedule[it]!, wd = this.wdSchedule[it]!, momentum = this.momentumSchedule[it]!;
    const B = batch.shapes[0]![0];
    const globals = stackCrops(batch, 0, G);                         // [G·B, S, S, C]
    const locals = L > 0 ? stackCrops(batch, G, G + L) : null;       // [L·B, s, s, C]
    const grid = Math.floor(config.imgSize / config.patchSize);
    if (globals.shape[1] !== config.imgSize || globals.shape[2] !== config.imgSize) {
      globals.dispose();
      locals?.dispose();
      throw new Error(`IbotTrainer.step: global crops are [${globals.shape}], the config's imgSize is ${config.imgSize}`);
    }
    // Block masks for the global crops (crop-major, row c·B + b), a pure function of (seed, step).
    let masks: tf.Tensor3D;
    if (options.masks) {
      if (options.masks.length !== G * B * grid * grid) {
        globals.dispose();
        locals?.dispose();
        throw new Error(`IbotTrainer.step: masks must hold G·B·h·w = ${G}·${B}·${grid}·${grid} values, got ` +
                        `${options.masks.length}`);
      }
      masks = tf.tensor3d(Uint8Array.from(options.masks, (m) => (m ? 1 : 0)), [G * B, grid, grid], 'bool');
    } else if (epoch < config.predStartEpoch) {
      masks = tf.zeros([G * B, grid, grid], 'bool');
    } else {
      masks = blockMask({batch: G * B, gridH: grid, gridW: grid, ratio: config.predRatio, ratioVar: config.predRatioVar,
                         shape: config.predShape, seed: config.seed, step: it});
    }
    const rows = MaskedRows.fromMasks(masks);
    const rowIdx = rows.rowIndices();

    let values: number[];
    let grads: Array<tf.Tensor | null>;
    try {
      // Teacher: unmasked global crops, no gradient; CLS logits, the masked rows' patch logits, mean patch logits.
      const teacherOut = tf.tidy(() => {
        const tokens = this.teacher.forward(globals, {returnAllTokens: true});
        const o = this.teacherHead.forward(tokens, {patchRows: rowIdx, patchMean: true});
        return {cls: o.cls, patch: o.patch!, patchMean: o.patchMean!};
      });
      const parts: tf.Scalar[] = [];
      try {
        const {value, grads: g} = tf.variableGrads(() => {
          const tokens = this.student.forward(globals, {
            mask: masks, returnAllTokens: true, training: true, seed: `${config.seed}:${it}:${PHASE.globalDrop}`,
          });
          const s = this.studentHead.forward(tokens, {patchRows: rowIdx});
          let studentCls = s.cls;
          if (locals) {
            // Local crops: CLS only (their patch logits would be discarded).
            const cls = this.student.forward(locals, {
              returnAllTokens: false, training: true, seed: `${config.seed}:${it}:${PHASE.localDrop}`,
            }) as tf.Tensor2D;
            studentCls = tf.concat([s.cls, this.studentHead.forwardCls(cls)], 0);
          }
          const out = this.loss.call({
            studentCls, studentPatch: s.patch!, teacherCls: teacherOut.cls, teacherPatch: teacherOut.patch,
            teacherPatchMean: teacherOut.patchMean, masks: rows, epoch,
          });
          parts.push(tf.keep(out.cls), tf.keep(out.patch));
          return out.loss;
        }, this.params);
        values = [value.dataSync()[0]!, ...parts.map((p) => p.dataSync()[0]!)];
        value.dispose();
        grads = this.params.map((p) => g[p.name] ?? null);
      } finally {
        tf.dispose([teacherOut.cls, teacherOut.patch, teacherOut.patchMean, ...parts]);
      }
    } finally {
      tf.dispose([globals, masks, rowIdx]);
      locals?.dispose();
    }

    try {
      if (!Number.isFinite(values[0]!)) throw new NonFiniteLossError(epoch, this.epochStep, it, values[0]!);
      // Per-parameter clipping over every gradient, then the last-layer cancellation (IBOT_SPEC §5.5).
      if (config.clipGrad > 0) {
        const present = grads.map((g, i) => (g ? i : -1)).filter((i) => i >= 0);
        const clipped = clipPerParam(present.map((i) => grads[i]!), config.clipGrad);
        clipped.norms.dispose();
        present.forEach((i, j) => {
          grads[i]!.dispose();
          grads[i] = clipped.grads[j]!;
        });
      }
      if (epoch < config.freezeLastLayer) {
        this.names.forEach((n, i) => {
          if (n.includes('last_layer') && grads[i]) {
            grads[i]!.dispose();
            grads[i] = null;
          }
        });
      }
      adamw(this.params, grads, this.opt, {
        lr, weightDecay: this.decay.map((d) => (d ? wd : 0)), beta1: config.beta1, beta2: config.beta2, eps: config.eps,
      });
      ema(this.emaTeacher, this.emaStudent, momentum);
    } finally {
      tf.dispose(grads.filter((g): g is tf.Tensor => g !== null));
    }

    const seconds = (performance.now() - start) / 1000;
    const log: StepLog = {
      epoch, step: this.epochStep, globalStep: it, loss: values[0]!, cls: values[1]!, patch: values[2]!, lr, wd, momentum,
      teacherTemp: this.loss.teacherTemp(epoch), teacherPatchTemp: this.loss.teacherTemp2(epoch),
      maskedPatches: rows.count, imagesPerSec: B / seconds, seconds,
    };
    this.globalStep++;
    this.epochStep++;
    return log;
  }

  /** Writes a checkpoint of the current position (no-op without checkpointDir); returns its name. */
  saveCheckpoint(): string | null {
    this.check();
    if (!this.store) return null;
    const tensors = new Map<string, FloatTensor>();
    tensors.set(STATE_TENSORS.center, hostTensor(this.loss.center));
    tensors.set(STATE_TENSORS.center2, hostTensor(this.loss.center2));
    this.names.forEach((n, i) => {
      tensors.set(STATE_TENSORS.adamM(n), hostTensor(this.opt.m[i]!));
      tensors.set(STATE_TENSORS.adamV(n), hostTensor(this.opt.v[i]!));
    });
    return this.store.save({
      student: {...this.student.stateDict({prefix: 'backbone.'}), ...Object.fromEntries(this.studentHead.stateDict())},
      teacher: {...this.teacher.stateDict({prefix: 'backbone.'}), ...Object.fromEntries(this.teacherHead.stateDict())},
      tensors,
      state: {
        epoch: this.epoch, step: this.globalStep, epochStep: this.epochStep, itersPerEpoch: this.itersPerEpoch,
        config: this.config,
        normalization: this.normalization,
        // Moments are stored in the on-device layout (Linear weights [in, out]), with the parameter's name.
        optimizer: {kind: 'adamw', layout: 'device', params: this.names, step: this.opt.step.slice()},
        // Every random stream is a pure function of the seed and these counters.
        rng: {seed: this.config.seed, dataEpoch: this.epoch, dataBatch: this.epochStep, maskStep: this.globalStep,
              dropPathStep: this.globalStep},
      },
    });
  }

  /** Frees the models, the optimizer state and the loader's workers. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.loader?.close();
    this.student.dispose();
    this.teacher.dispose();
    this.studentHead.dispose();
    this.teacherHead.dispose();
    this.loss.dispose();
    disposeAdamWState(this.opt);
  }

  private restore(ckpt: LoadedCheckpoint): void {
    const saved = ckpt.state.config as Partial<IbotTrainConfig> | undefined;
    if (saved) {
      const differ = RESUME_FIXED.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(this.config[k]));
      if (differ.length > 0) {
        throw new Error(`IbotTrainer: checkpoint ${ckpt.name} was made with a different ${differ.join(', ')} (` +
                        differ.map((k) => `${k}: ${JSON.stringify(saved[k])} vs ${JSON.stringify(this.config[k])}`)
                            .join('; ') + ')');
      }
    }
    const saveIters = ckpt.state['itersPerEpoch'];
    if (saveIters !== undefined && saveIters !== this.itersPerEpoch) {
      throw new Error(`IbotTrainer: checkpoint ${ckpt.name} has ${String(saveIters)} steps per epoch, this run ` +
                      `${this.itersPerEpoch} (the schedules would not line up)`);
    }
    const opt = ckpt.state.optimizer as {params: string[]; step: number[]} | undefined;
    if (!opt || JSON.stringify(opt.params) !== JSON.stringify(this.names)) {
      throw new Error(`IbotTrainer: checkpoint ${ckpt.name} has optimizer state for other parameters`);
    }
    const dict = (m: Map<string, FloatTensor>) => Object.fromEntries(m);
    this.student.loadStateDict(dict(ckpt.student), {prefix: 'backbone.', strict: true});
    this.teacher.loadStateDict(dict(ckpt.teacher), {prefix: 'backbone.', strict: true});
    this.studentHead.loadStateDict(headEntries(ckpt.student));
    this.teacherHead.loadStateDict(headEntries(ckpt.teacher));
    const t = (name: string) => {
      const v = ckpt.tensors.get(name);
      if (!v) throw new Error(`IbotTrainer: checkpoint ${ckpt.name} lacks ${name}`);
      return v;
    };
    this.loss.loadStateDict({center: t(STATE_TENSORS.center), center2: t(STATE_TENSORS.center2)});
    this.names.forEach((n, i) => {
      for (const [target, name] of [[this.opt.m[i]!, STATE_TENSORS.adamM(n)], [this.opt.v[i]!, STATE_TENSORS.adamV(n)]] as const) {
        const v = t(name);
        if (v.data.length !== target.size) throw new Error(`IbotTrainer: checkpoint ${ckpt.name}: ${name} has ${v.data.length} values, expected ${target.size}`);
        tf.tidy(() => target.assign(tf.tensor(v.data, target.shape)));
      }
      this.opt.step[i] = opt.step[i]!;
    });
    this.epoch = ckpt.state.epoch;
    this.globalStep = ckpt.state.step;
    this.epochStep = Number(ckpt.state['epochStep'] ?? 0);
  }

  private check(): void {
    if (this.disposed) throw new Error('IbotTrainer: used after dispose()');
  }
}

/**
 * Fails early, with the remedy, when tfjs gradients are broken in this process: importing a backend whose bundled
 * gradient registrations load before @tensorflow/tfjs-core itself leaves tensors without their op methods.
 */
function checkGradients(): void {
  try {
    // AddN's gradient calls Tensor.clone, the first method to fail then.
    tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.addN([x, tf.mul(x, x)])))(tf.ones([2])).dataSync());
  } catch (e) {
    throw new Error(`IbotTrainer: gradients do not work in this process (${(e as Error).message}); import ` +
                    "'@tensorflow/tfjs-core' (or @ibotjs/ibot) before the backend package", {cause: e});
  }
}

function prefixed(backbone: ReadonlyMap<string, tf.Variable>, head: ReadonlyMap<string, tf.Variable>):
    Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [n, v] of backbone) out.set(`backbone.${n}`, v);
  for (const [n, v] of head) out.set(n, v);
  return out;
}

function headEntries(m: Map<string, FloatTensor>): Map<string, FloatTensor> {
  return new Map([...m].filter(([n]) => n.startsWith('head.')));
}

function hostTensor(v: tf.Tensor): FloatTensor {
  return {shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array)};
}

/** Crops [from, to) of a batch, each [B, S, S, C], concatenated crop-major into one [n·B, S, S, C] tensor. */
function stackCrops(batch: Pick<Batch, 'crops' | 'shapes'>, from: number, to: number): tf.Tensor4D {
  const shape = batch.shapes[from]!;
  const per = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(per * (to - from));
  for (let k = from; k < to; k++) {
    const s = batch.shapes[k]!;
    if (s.some((d, i) => d !== shape[i]) || batch.crops[k]!.length !== per) {
      throw new Error(`IbotTrainer.step: crop ${k} is [${s}], crop ${from} [${shape}]: crops of one kind must match`);
    }
    data.set(batch.crops[k]!, (k - from) * per);
  }
  return tf.tensor4d(data, [(to - from) * shape[0], shape[1], shape[2], shape[3]]);
}
