// The iBOT loss (IBOT_SPEC §4, exactly): the [CLS] self-distillation over the G(V−1) cross-view pairs plus the
// masked-patch self-distillation within each global view, each with its own EMA centre and per-epoch teacher
// temperature schedule. Built on @ibotjs/ops' ibotDistill (one pass over K per row, gradient to the student only).
import {ibotDistill} from '@ibotjs/ops';
import * as tf from '@tensorflow/tfjs-core';

import type {FloatTensor, TensorDict} from './checkpoint/safetensors.js';
import {MaskedRows} from './masked_rows.js';

export interface IbotLossOptions {
  /** K of the CLS logits. */
  outDim: number;
  /** K of the patch logits (default outDim; equal to outDim with a shared head). */
  patchOutDim?: number;
  /** G, global crops (default 2). */
  ngcrops?: number;
  /** L, local crops. */
  nlcrops: number;
  warmupTeacherTemp: number;
  teacherTemp: number;
  /** The patch schedule's start and end (official defaults 0.04 and 0.07). */
  warmupTeacherTemp2: number;
  teacherTemp2: number;
  warmupTeacherTempEpochs: number;
  nepochs: number;
  /** τs (default 0.1). */
  studentTemp?: number;
  centerMomentum?: number;
  centerMomentum2?: number;
  lambda1?: number;
  lambda2?: number;
  /** Epochs before the patch temperature starts its warmup (official pred_start_epoch; default 0). */
  mimStartEpoch?: number;
}

/**
 * One step's logits, crop-major (row c·B + b is image b of crop c). The patch inputs come in one of two forms:
 *  - all patches: studentPatch and teacherPatch [G·B, N, K_p];
 *  - masked rows only (the exact work avoidance): studentPatch and teacherPatch [R, K_p], the rows of
 *    MaskedRows.fromMasks(masks) in its order, plus teacherPatchMean [1, K_p] (the raw teacher patch logits averaged
 *    over ALL G·B·N patches, e.g. IbotHead.forward(..., {patchMean: true}).patchMean) for the patch centre.
 */
export interface IbotLossInputs {
  /** [V·B, K]: the G masked global views, then the L local views. */
  studentCls: tf.Tensor;
  /** [G·B, N, K_p] or [R, K_p]. */
  studentPatch: tf.Tensor;
  /** [G·B, K] from the unmasked global views. */
  teacherCls: tf.Tensor;
  /** [G·B, N, K_p] or [R, K_p]. */
  teacherPatch: tf.Tensor;
  /** [1, K_p] or [K_p]; required with the masked-rows form, ignored otherwise. */
  teacherPatchMean?: tf.Tensor | null;
  /** [G·B, N] or [G·B, h, w] (bool or 0/1), or the MaskedRows made from them. */
  masks: tf.Tensor | MaskedRows;
  epoch: number;
}

// A type alias so that tf.tidy can return it.
export type IbotLossOutput = {
  /** λ1·L_cls */
  cls: tf.Scalar;
  /** λ2·L_mim */
  patch: tf.Scalar;
  /** cls + patch */
  loss: tf.Scalar;
};

/**
 * numpy.linspace(start, stop, n) in float64 (start + i·step, the last value exactly stop), the building block of the
 * official schedules.
 */
export function linspace(start: number, stop: number, n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({length: n}, (_, i) => (i === n - 1 ? stop : i * step + start));
}

/**
 * The per-epoch teacher temperature (IBOT_SPEC §4.1): `startEpoch` epochs at `warmup`, then linspace(warmup, final,
 * warmupEpochs), then `final` up to `nepochs` values in all.
 */
export function teacherTempSchedule(warmup: number, final: number, warmupEpochs: number, nepochs: number,
                                    startEpoch = 0): number[] {
  for (const [name, v] of [['warmupEpochs', warmupEpochs], ['nepochs', nepochs], ['startEpoch', startEpoch]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`teacherTempSchedule: ${name} must be an integer >= 0, got ${v}`);
  }
  if (startEpoch + warmupEpochs > nepochs) {
    throw new Error(`teacherTempSchedule: ${startEpoch} + ${warmupEpochs} warmup epochs exceed the ${nepochs} epochs`);
  }
  return [
    ...new Array<number>(startEpoch).fill(warmup), ...linspace(warmup, final, warmupEpochs),
    ...new Array<number>(nepochs - warmupEpochs - startEpoch).fill(final),
  ];
}

export class IbotLoss {
  readonly outDim: number;
  readonly patchOutDim: number;
  readonly ngcrops: number;
  readonly nlcrops: number;
  readonly studentTemp: number;
  readonly centerMomentum: number;
  readonly centerMomentum2: number;
  readonly lambda1: number;
  readonly lambda2: number;
  readonly nepochs: number;
  /** Per-epoch CLS and patch teacher temperatures. */
  readonly teacherTempSchedule: readonly number[];
  readonly teacherTempSchedule2: readonly number[];
  /**
   * [1, K] and [1, 1, K_p], zero-initialised. Updated in place (Variable.assign) after each call; a gradient taken
   * afterwards still sees the centre that call used (the tape keeps its own reference to the old buffer).
   */
  readonly center: tf.Variable;
  readonly center2: tf.Variable;

  constructor(options: IbotLossOptions) {
    const int = (name: string, v: number, min: number) => {
      if (!Number.isSafeInteger(v) || v < min) throw new Error(`IbotLoss: ${name} must be an integer >= ${min}, got ${v}`);
      return v;
    };
    const num = (name: string, v: number, ok: (x: number) => boolean, what: string) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`IbotLoss: ${name} must be ${what}, got ${v}`);
      return v;
    };
    const positive = (x: number) => x > 0, unit = (x: number) => x >= 0 && x <= 1;
    this.outDim = int('outDim', options.outDim, 1);
    this.patchOutDim = int('patchOutDim', options.patchOutDim ?? options.outDim, 1);
    this.ngcrops = int('ngcrops', options.ngcrops ?? 2, 1);
    this.nlcrops = int('nlcrops', options.nlcrops, 0);
    if (this.ngcrops + this.nlcrops < 2) throw new Error('IbotLoss: the CLS term needs at least two views in all');
    this.studentTemp = num('studentTemp', options.studentTemp ?? 0.1, positive, 'positive');
    this.centerMomentum = num('centerMomentum', options.centerMomentum ?? 0.9, unit, 'in [0, 1]');
    this.centerMomentum2 = num('centerMomentum2', options.centerMomentum2 ?? 0.9, unit, 'in [0, 1]');
    this.lambda1 = num('lambda1', options.lambda1 ?? 1, () => true, 'finite');
    this.lambda2 = num('lambda2', options.lambda2 ?? 1, () => true, 'finite');
    for (const k of ['warmupTeacherTemp', 'teacherTemp', 'warmupTeacherTemp2', 'teacherTemp2'] as const) {
      num(k, options[k], positive, 'positive');
    }
    this.nepochs = int('nepochs', options.nepochs, 1);
    const warmupEpochs = int('warmupTeacherTempEpochs', options.warmupTeacherTempEpochs, 0);
    const mimStart = int('mimStartEpoch', options.mimStartEpoch ?? 0, 0);
    this.teacherTempSchedule =
        teacherTempSchedule(options.warmupTeacherTemp, options.teacherTemp, warmupEpochs, this.nepochs);
    this.teacherTempSchedule2 = teacherTempSchedule(options.warmupTeacherTemp2, options.teacherTemp2, warmupEpochs,
                                                    this.nepochs, mimStart);
    this.center = tf.tidy(() => tf.variable(tf.zeros([1, this.outDim]), false));
    this.center2 = tf.tidy(() => tf.variable(tf.zeros([1, 1, this.patchOutDim]), false));
  }

  /** The CLS teacher temperature τ(e). */
  teacherTemp(epoch: number): number {
    return this.teacherTempSchedule[this.checkEpoch(epoch)]!;
  }

  /** The patch teacher temperature τ′(e). */
  teacherTemp2(epoch: number): number {
    return this.teacherTempSchedule2[this.checkEpoch(epoch)]!;
  }

  /**
   * The loss of one step with the current centres, then the centre update from this batch's raw teacher logits
   * (IBOT_SPEC §4.3). Returns scalars the caller owns (dispose them, or call inside tf.tidy / tf.variableGrads).
   */
  call(inputs: IbotLossInputs): IbotLossOutput {
    const tau = this.teacherTemp(inputs.epoch), tau2 = this.teacherTemp2(inputs.epoch);
    const G = this.ngcrops, V = G + this.nlcrops, K = this.outDim, Kp = this.patchOutDim;
    const {studentCls, teacherCls, studentPatch, teacherPatch} = inputs;
    checkFloat('teacherCls', teacherCls, 2, K);
    const GB = teacherCls.shape[0]!;
    if (GB % G !== 0 || GB === 0) throw new Error(`IbotLoss: teacherCls has ${GB} rows, not a positive multiple of G = ${G}`);
    const B = GB / G;
    checkFloat('studentCls', studentCls, 2, K);
    if (studentCls.shape[0] !== V * B) {
      throw new Error(`IbotLoss: studentCls must have V·B = ${V}·${B} rows (G = ${G} global and L = ${this.nlcrops} ` +
                      `local views of B = ${B} images), got [${studentCls.shape}]`);
    }
    const rowForm = studentPatch.rank === 2;
    checkFloat('studentPatch', studentPatch, rowForm ? 2 : 3, Kp);
    checkFloat('teacherPatch', teacherPatch, rowForm ? 2 : 3, Kp);
    if (!sameShape(studentPatch, teacherPatch)) {
      throw new Error(`IbotLoss: studentPatch [${studentPatch.shape}] and teacherPatch [${teacherPatch.shape}] differ`);
    }
    let N: number, rows: MaskedRows | null = null;
    if (rowForm) {
      rows = inputs.masks instanceof MaskedRows ? inputs.masks : MaskedRows.fromMasks(inputs.masks);
      N = rows.patches;
      if (rows.images !== GB) throw new Error(`IbotLoss: masks cover ${rows.images} images, teacherCls ${GB}`);
      if (studentPatch.shape[0] !== rows.count) {
        throw new Error(`IbotLoss: the masks select ${rows.count} patch rows, studentPatch has ${studentPatch.shape[0]}`);
      }
      const mean = inputs.teacherPatchMean;
      if (!mean) throw new Error('IbotLoss: the masked-rows form needs teacherPatchMean [1, K_p]');
      checkFloat('teacherPatchMean', mean, mean.rank, Kp);
      if (mean.size !== Kp) throw new Error(`IbotLoss: teacherPatchMean must be [1, ${Kp}], got [${mean.shape}]`);
    } else {
      if (studentPatch.shape[0] !== GB) {
        throw new Error(`IbotLoss: studentPatch must be [G·B = ${GB}, N, ${Kp}], got [${studentPatch.shape}]`);
      }
      N = studentPatch.shape[1]!;
      const m = inputs.masks;
      const mShape = m instanceof MaskedRows ? [m.images, m.patches] : m.shape;
      if (mShape[0] !== GB || mShape.slice(1).reduce((a, b) => a * b, 1) !== N) {
        throw new Error(`IbotLoss: masks [${mShape}] do not match [G·B = ${GB}, N = ${N}]`);
      }
    }

    const {result, newCenter, newCenter2} = tf.tidy(() => {
      // CLS: every teacher global view q against every student view v ≠ q, each pair averaged over the batch.
      const sViews = tf.split(studentCls, V, 0);  // V × [B, K]
      const tViews = tf.split(teacherCls, G, 0);  // G × [B, K]
      const pairLosses: tf.Scalar[] = [];
      let clsColSum: tf.Tensor | null = null;     // [K] Σ over all teacher CLS rows
      for (let q = 0; q < G; q++) {
        for (let v = 0; v < V; v++) {
          if (v === q) continue;
          const {loss, teacherColSum} = ibotDistill(sViews[v]!, tViews[q]!, this.center,
                                                    {studentTemp: this.studentTemp, teacherTemp: tau});
          pairLosses.push(tf.mean(loss));
          // Each teacher view's column sum is the same in all its pairs: take it once.
          if (v === (q === 0 ? 1 : 0)) clsColSum = clsColSum ? tf.add(clsColSum, teacherColSum) : teacherColSum;
        }
      }
      const cls = tf.mul(tf.div(tf.addN(pairLosses), G * (V - 1)), this.lambda1) as tf.Scalar;

      // MIM: same view only, masked patches only; per image / max(1, count), mean over all G·B images.
      let patch: tf.Scalar, patchMean: tf.Tensor;  // patchMean: [Kp] raw teacher patch logits over all patches
      const center2 = tf.reshape(this.center2, [Kp]);
      if (rows) {
        if (rows.count === 0) {
          patch = tf.scalar(0);
        } else {
          const {loss} = ibotDistill(studentPatch, teacherPatch, center2,
                                     {studentTemp: this.studentTemp, teacherTemp: tau2});  // [R]
          const w = new Float32Array(rows.count);
          for (let r = 0; r < rows.count; r++) w[r] = 1 / (Math.max(1, rows.counts[rows.image[r]!]!) * GB);
          patch = tf.sum(tf.mul(loss, tf.tensor1d(w)));
        }
        patchMean = tf.reshape(inputs.teacherPatchMean!, [Kp]);
      } else {
        const maskT = inputs.masks instanceof MaskedRows ? inputs.masks.maskTensor() : inputs.masks;
        const mask = tf.reshape(maskT.dtype === 'bool' ? maskT : tf.notEqual(maskT, 0), [GB * N]);  // [G·B·N]
        const {loss, teacherColSum} = ibotDistill(
            tf.reshape(studentPatch, [GB * N, Kp]), tf.reshape(teacherPatch, [GB * N, Kp]), center2,
            {studentTemp: this.studentTemp, teacherTemp: tau2, rowMask: mask});               // [G·B·N]
        const perImage = tf.sum(tf.reshape(loss, [GB, N]), 1);                                // [G·B]
        const counts = tf.maximum(tf.sum(tf.reshape(tf.cast(mask, 'float32'), [GB, N]), 1), 1);
        patch = tf.mean(tf.div(perImage, counts));
        patchMean = tf.div(teacherColSum, GB * N);
      }
      patch = tf.mul(patch, this.lambda2);
      const result: IbotLossOutput = {cls, patch, loss: tf.add(cls, patch)};

      // Centre EMA from the raw teacher logits (no gradient flows into it: ibotDistill's column sums carry none).
      const m = this.centerMomentum, m2 = this.centerMomentum2;
      const newCenter = tf.add(tf.mul(this.center, m), tf.mul(tf.reshape(clsColSum!, [1, K]), (1 - m) / GB));
      const newCenter2 = tf.add(tf.mul(this.center2, m2), tf.mul(tf.reshape(patchMean, [1, 1, Kp]), 1 - m2));
      return {result, newCenter, newCenter2};
    });
    this.center.assign(newCenter);
    this.center2.assign(newCenter2);
    newCenter.dispose();
    newCenter2.dispose();
    return result;
  }

  /** The centres as host tensors, under the names the official checkpoint uses in `ibot_loss`. */
  stateDict(): Map<string, FloatTensor> {
    return new Map([
      ['center', {shape: [1, this.outDim], data: Float32Array.from(this.center.dataSync() as Float32Array)}],
      ['center2', {shape: [1, 1, this.patchOutDim], data: Float32Array.from(this.center2.dataSync() as Float32Array)}],
    ]);
  }

  loadStateDict(dict: TensorDict): void {
    const get = (name: string) => (dict instanceof Map ? dict.get(name) : (dict as Record<string, FloatTensor>)[name]);
    const set = (name: string, target: tf.Variable) => {
      const t = get(name);
      if (!t || t.data.length !== target.size) {
        throw new Error(`IbotLoss.loadStateDict: ${name} must hold ${target.size} values (shape [${target.shape}])`);
      }
      tf.tidy(() => target.assign(tf.tensor(t.data, target.shape)));
    };
    set('center', this.center);
    set('center2', this.center2);
  }

  dispose(): void {
    this.center.dispose();
    this.center2.dispose();
  }

  private checkEpoch(epoch: number): number {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch >= this.nepochs) {
      throw new Error(`IbotLoss: epoch must be an integer in [0, ${this.nepochs}), got ${epoch}`);
    }
    return epoch;
  }
}

function checkFloat(name: string, x: tf.Tensor, rank: number, lastDim: number): void {
  if (!(x instanceof tf.Tensor) || x.isDisposed) throw new Error(`IbotLoss: ${name} must be a live tf.Tensor`);
  if (x.dtype !== 'float32' || x.rank !== rank || x.shape[rank - 1] !== lastDim) {
    throw new Error(`IbotLoss: ${name} must be float32 of rank ${rank} ending in ${lastDim}, got ${x.dtype} [${x.shape}]`);
  }
}

function sameShape(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
}
