// IbotDistill: the iBOT distillation loss per row, p = softmax((teacher - center) / teacherTemp) against
// log_softmax(student / studentTemp), 0 on rows the mask leaves out, and the column sums of the raw teacher over all
// rows (the centre update), in one native pass over K per row. There is no tfjs cpu kernel to fall back to: inputs
// the kernel cannot take are an error (the op in @ibotjs/ops casts and shapes them before calling it).
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';

/** The kernel names and attributes of packages/ops/src/kernel_names.ts (this package cannot import @ibotjs/ops). */
export const IbotDistill = 'IbotDistill';
export const IbotDistillGrad = 'IbotDistillGrad';
export interface IbotDistillAttrs {
  studentTemp: number;
  teacherTemp: number;
}

/** Checks the dtypes the native entries take (they check shapes and temperatures themselves). */
export function checkDistillInputs(kernel: string, tensors: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t == null) continue;
    const want = name === 'rowMask' ? 'bool' : 'float32';
    if (t.dtype !== want) throw new Error(`${kernel}: ${name} must be ${want}, got ${t.dtype}[${t.shape}]`);
  }
}

/** Runs `fill` for outputs made by makeOutput; if it throws, every output is freed. */
export function computeOutputs(b: NativeBackend, outs: TensorInfo[], fill: () => void): TensorInfo[] {
  try {
    fill();
  } catch (e) {
    for (const o of outs) b.disposeData(o.dataId, true);
    throw e;
  }
  return outs;
}

export const ibotDistillConfig: KernelSpec = {
  kernelName: IbotDistill,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {student, teacher, center, rowMask} = inputs as Record<string, TensorInfo | undefined>;
    if (!student || !teacher || !center) throw new Error(`${IbotDistill}: student, teacher and center are required`);
    checkDistillInputs(IbotDistill, {student, teacher, center, rowMask});
    const {studentTemp, teacherTemp} = attrs as unknown as IbotDistillAttrs;
    const rowsShape = student.shape.slice(0, -1);
    const colShape = student.shape.slice(-1);
    const loss = b.makeOutput(rowsShape, 'float32');
    const colSum = b.makeOutput(colShape, 'float32');
    return computeOutputs(b, [loss, colSum], () => b.addon.IbotDistill(
        b.handle(student), student.shape, b.handle(teacher), teacher.shape, b.handle(center), center.shape,
        rowMask ? b.handle(rowMask) : null, rowMask ? rowMask.shape : null, studentTemp, teacherTemp, b.handle(loss),
        rowsShape, b.handle(colSum), colShape));
  },
};
