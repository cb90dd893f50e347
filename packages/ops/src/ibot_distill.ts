// ibotDistill: the per-row cross-entropy of iBOT's loss (IBOT_SPEC §4.2) between the centred, sharpened teacher and
// the student, plus the teacher's column sums for the centre update (§4.3). The IbotDistill kernel does it in one
// pass over K where the backend has it; elsewhere stock softmax / logSoftmax ops. Either way the gradient reaches the
// student only.
import {
  div, engine, type GradConfig, logSoftmax, mul, type NamedAttrMap, type NamedTensorMap, neg, ones,
  registerGradient, reshape, scalar, softmax, sub, sum, type Tensor, type Tensor1D, type Tensor2D, tidy, where,
  zeros,
} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {IbotDistill, type IbotDistillAttrs, IbotDistillGrad} from './kernel_names.js';
import {checkNumber, checkRank, checkShape, checkTensor, isPositive, noGrad, shapeOf} from './util.js';

export interface IbotDistillOptions {
  /** τs (default 0.1). */
  studentTemp?: number;
  /** τt, from the per-epoch teacher temperature schedule (IBOT_SPEC §4.1). */
  teacherTemp: number;
  /** [R] bool: rows to compute (the masked patches); absent = every row. Other rows get loss 0 and no gradient. */
  rowMask?: Tensor | null;
}

// A type alias, not an interface: tf.tidy returns it (only aliases get an implicit index signature).
export type IbotDistillResult = {
  /** [R]: -Σ_k softmax((t - c) / τt)_k · log_softmax(s / τs)_k, 0 on rows outside rowMask. */
  loss: Tensor1D;
  /** [K]: Σ over ALL rows (masked or not) of the raw teacher logits. No gradient. */
  teacherColSum: Tensor1D;
};

const OP = 'ibotDistill';

/** student, teacher [R, K] logits; center [K] (or [1, K]). */
export function ibotDistill(student: Tensor, teacher: Tensor, center: Tensor, options: IbotDistillOptions):
    IbotDistillResult {
  checkTensor(OP, 'student', student);
  checkTensor(OP, 'teacher', teacher);
  checkTensor(OP, 'center', center);
  checkRank(OP, 'student', student, 2);
  checkShape(OP, 'teacher', teacher, student.shape);
  const [r, k] = student.shape as [number, number];
  if (center.size !== k || !(center.rank === 1 || (center.rank === 2 && center.shape[0] === 1))) {
    throw new Error(`${OP}: center must have shape [${k}] or [1, ${k}] for logits ${shapeOf(student)}, got ` +
                    shapeOf(center));
  }
  const studentTemp = options.studentTemp ?? 0.1;
  checkNumber(OP, 'studentTemp', studentTemp, isPositive, 'a positive number');
  checkNumber(OP, 'teacherTemp', options.teacherTemp, isPositive, 'a positive number');
  const rowMask = options.rowMask ?? null;
  if (rowMask != null) {
    checkTensor(OP, 'rowMask', rowMask, 'bool');
    checkShape(OP, 'rowMask', rowMask, [r]);
  }
  const attrs: IbotDistillAttrs = {studentTemp, teacherTemp: options.teacherTemp};

  return tidy(() => {
    const c = reshape(center, [k]) as Tensor1D;
    if (useFusedKernels(OP, [IbotDistill, IbotDistillGrad])) {
      // The kernel takes rowMask as optional, but the gradient needs every saved input: pass all-true when absent.
      const mask = rowMask ?? ones([r], 'bool');
      const [loss, teacherColSum] = engine().runKernel(
          IbotDistill, {student, teacher, center: c, rowMask: mask} as NamedTensorMap,
          attrs as unknown as NamedAttrMap) as Tensor1D[];
      return {loss: loss!, teacherColSum: teacherColSum!};
    }
    return ibotDistillComposite(student as Tensor2D, teacher as Tensor2D, c, attrs, rowMask);
  });
}

function ibotDistillComposite(student: Tensor2D, teacher: Tensor2D, center: Tensor1D, attrs: IbotDistillAttrs,
                              rowMask: Tensor | null): IbotDistillResult {
  // Teacher side off the tape, as in the official code (no_grad teacher, detached targets).
  const p = noGrad((t, c) => softmax(div(sub(t, c), scalar(attrs.teacherTemp))), teacher, center);  // [R, K]
  const teacherColSum = noGrad((t) => sum(t, 0), teacher) as Tensor1D;                               // [K]
  const logQ = logSoftmax(div(student, scalar(attrs.studentTemp)));                                  // [R, K]
  const ce = neg(sum(mul(p, logQ), -1)) as Tensor1D;                                                 // [R]
  const loss = rowMask == null ? ce : where(rowMask, ce, zeros(ce.shape)) as Tensor1D;
  return {loss, teacherColSum};
}

/** dStudent from one IbotDistillGrad call; the teacher, centre and mask get zeros (the loss is constant in them). */
const ibotDistillGradConfig: GradConfig = {
  kernelName: IbotDistill,
  inputsToSave: ['student', 'teacher', 'center', 'rowMask'],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dLoss = (dys as Tensor[])[0]!;  // [R]; the column sums carry no gradient
    const [student, teacher, center, rowMask] = saved as [Tensor, Tensor, Tensor, Tensor];
    const dStudent = engine().runKernel(IbotDistillGrad,
                                        {student, teacher, center, dLoss, rowMask} as NamedTensorMap,
                                        attrs) as Tensor;
    return {
      student: () => dStudent,
      teacher: () => zeros(teacher.shape),
      center: () => zeros(center.shape),
      rowMask: () => zeros(rowMask.shape, 'bool'),
    };
  },
};
registerGradient(ibotDistillGradConfig);
