// ema: the teacher's exponential moving average of the student (IBOT_SPEC §5.6), t ← m·t + (1 − m)·s over a list
// of parameters — the multi-tensor Ema kernel where the backend has it, otherwise stock ops per parameter.
import {add, engine, mul, type NamedAttrMap, scalar, type Tensor, tidy, type Variable} from '@tensorflow/tfjs-core';

import {useFusedKernels} from './dispatch.js';
import {Ema, type EmaAttrs} from './kernel_names.js';
import {checkNumber, checkShape, checkTensor} from './util.js';

const OP = 'ema';

/**
 * teacher[i] ← momentum·teacher[i] + (1 − momentum)·student[i], in place (Variable.assign). The lists are matched
 * by position: the caller pairs parameters by name (the student's order, common names only).
 */
export function ema(teacher: readonly Variable[], student: readonly Tensor[], momentum: number): void {
  if (teacher.length !== student.length) {
    throw new Error(`${OP}: ${teacher.length} teacher and ${student.length} student parameters`);
  }
  checkNumber(OP, 'momentum', momentum, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  teacher.forEach((t, i) => {
    checkTensor(OP, `teacher[${i}]`, t);
    checkTensor(OP, `student[${i}]`, student[i]);
    checkShape(OP, `student[${i}]`, student[i]!, t.shape);
  });
  if (teacher.length === 0) return;

  if (useFusedKernels(OP, [Ema])) {
    const attrs: EmaAttrs = {momentum};
    const outs = engine().runKernel(Ema, [...teacher, ...student] as unknown as Record<string, Tensor>,
                                    attrs as unknown as NamedAttrMap) as Tensor[];
    teacher.forEach((t, i) => t.assign(outs[i]!));
    for (const o of outs) o.dispose();  // the variables hold their own references
    return;
  }
  teacher.forEach((t, i) => tidy(() => {
    t.assign(add(mul(t, scalar(momentum)), mul(student[i]!, scalar(1 - momentum))));
  }));
}
