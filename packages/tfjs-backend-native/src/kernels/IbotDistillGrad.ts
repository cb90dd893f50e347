// IbotDistillGrad: the gradient of IbotDistill's loss with respect to the student logits (the teacher gets none),
// dStudent[r] = dLoss[r] (softmax(student[r] / studentTemp) - p[r]) / studentTemp, 0 on rows the mask leaves out.
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeBackend} from '../backend.js';
import type {KernelSpec} from '../kernel_utils.js';
import {checkDistillInputs, IbotDistillGrad, type IbotDistillAttrs} from './IbotDistill.js';

export const ibotDistillGradConfig: KernelSpec = {
  kernelName: IbotDistillGrad,
  kernelFunc: ({inputs, backend, attrs}) => {
    const b = backend as NativeBackend;
    const {student, teacher, center, dLoss, rowMask} = inputs as Record<string, TensorInfo | undefined>;
    if (!student || !teacher || !center || !dLoss) {
      throw new Error(`${IbotDistillGrad}: student, teacher, center and dLoss are required`);
    }
    checkDistillInputs(IbotDistillGrad, {student, teacher, center, dLoss, rowMask});
    const {studentTemp, teacherTemp} = attrs as unknown as IbotDistillAttrs;
    const out = b.makeOutput(student.shape, 'float32');
    return b.compute(out, (o) => b.addon.IbotDistillGrad(
        b.handle(student), student.shape, b.handle(teacher), teacher.shape, b.handle(center), center.shape,
        b.handle(dLoss), dLoss.shape, rowMask ? b.handle(rowMask) : null, rowMask ? rowMask.shape : null, studentTemp,
        teacherTemp, o, student.shape));
  },
};
