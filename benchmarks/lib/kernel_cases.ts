// Turns benchmarks/kernel_cases.json into runnable tfjs cases with FLOP and byte counts.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import type {BenchCase} from './harness.js';

interface CaseSpec {
  name: string;
  op: 'matmul' | 'softmax' | 'add' | 'mul' | 'sum_last' | 'transpose';
  shapes: number[][];
  perm?: number[];
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function caseFromSpec(c: CaseSpec): BenchCase {
  const inputs = c.shapes.map((shape) => ({shape}));
  const [s0, s1] = [c.shapes[0]!, c.shapes[1] ?? []];
  switch (c.op) {
    case 'matmul': {
      const m = s0[s0.length - 2]!, k = s0[s0.length - 1]!, n = s1[s1.length - 1]!;
      const batch = size(s0.slice(0, -2));
      return {name: c.name, inputs, run: (a, b) => tf.matMul(a!, b!), flops: 2 * batch * m * k * n,
              bytes: 4 * (size(s0) + size(s1) + batch * m * n)};
    }
    case 'softmax':
      return {name: c.name, inputs, run: (x) => tf.softmax(x!), bytes: 2 * 4 * size(s0)};
    case 'add':
      return {name: c.name, inputs, run: (a, b) => tf.add(a!, b!), bytes: 4 * (2 * size(s0) + size(s1))};
    case 'mul':
      return {name: c.name, inputs, run: (a, b) => tf.mul(a!, b!), bytes: 4 * (2 * size(s0) + size(s1))};
    case 'sum_last':
      return {name: c.name, inputs, run: (x) => tf.sum(x!, -1), bytes: 4 * (size(s0) + size(s0.slice(0, -1)))};
    case 'transpose':
      return {name: c.name, inputs, run: (x) => tf.transpose(x!, c.perm), bytes: 2 * 4 * size(s0)};
  }
}

export function loadKernelCases(only?: string): BenchCase[] {
  // $IBOT_KERNEL_CASES: the bundled GPU copy of this module no longer sits next to the file.
  const file = process.env['IBOT_KERNEL_CASES'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'kernel_cases.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as {cases: CaseSpec[]};
  return spec.cases.filter((c) => !only || c.name.includes(only)).map(caseFromSpec);
}
