// Typed mirror of the distill family (native/src/binding/distill.cc): the iBOT distillation loss per row and its
// gradient with respect to the student logits. Outputs are allocated by the caller and passed in.
import type {NativeHandle} from './core.js';

type Shape = readonly number[];

export interface DistillOps {
  /**
   * student, teacher [..., K] float32 (the leading dimensions are the rows); center K float32 ([K] or [1, K]);
   * rowMask: bool with the leading shape, or null (with a null shape) for every row; temperatures > 0.
   * loss (float32, the leading shape) = per-row cross-entropy, 0 on rows the mask leaves out;
   * colSum (float32 [K]) = column sums of the raw teacher over all rows.
   */
  IbotDistill(student: NativeHandle, studentShape: Shape, teacher: NativeHandle, teacherShape: Shape,
              center: NativeHandle, centerShape: Shape, rowMask: NativeHandle | null, rowMaskShape: Shape | null,
              studentTemp: number, teacherTemp: number, loss: NativeHandle, lossShape: Shape, colSum: NativeHandle,
              colSumShape: Shape): void;
  /**
   * dStudent (float32, the student's shape) = dLoss[r] (softmax(student / studentTemp) - p) / studentTemp on the rows
   * the mask keeps, 0 elsewhere. dLoss: float32 with the leading shape.
   */
  IbotDistillGrad(student: NativeHandle, studentShape: Shape, teacher: NativeHandle, teacherShape: Shape,
                  center: NativeHandle, centerShape: Shape, dLoss: NativeHandle, dLossShape: Shape,
                  rowMask: NativeHandle | null, rowMaskShape: Shape | null, studentTemp: number, teacherTemp: number,
                  dStudent: NativeHandle, dStudentShape: Shape): void;
}
