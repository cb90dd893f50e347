// The one list of native kernels, registered for both native backends. Every other kernel tfjs knows (any kernel the
// cpu backend registers) is registered as a counted fallback that runs the cpu kernel through a copy.
import '@tensorflow/tfjs-backend-cpu';  // registers the cpu kernels the fallback runs

import {getKernelsForBackend, type KernelFunc, registerKernel, type TensorInfo} from '@tensorflow/tfjs-core';

import {isNativeDtype, type NativeBackend} from './backend.js';
import type {KernelSpec} from './kernel_utils.js';
// ---- elementwise ----
import {addConfig} from './kernels/Add.js';
import {multiplyConfig} from './kernels/Multiply.js';
import {realDivConfig} from './kernels/RealDiv.js';
import {subConfig} from './kernels/Sub.js';
// ---- reduce ----
// ---- matmul ----
import {_fusedMatMulConfig} from './kernels/_FusedMatMul.js';
import {batchMatMulConfig} from './kernels/BatchMatMul.js';
// ---- layout ----
import {identityConfig} from './kernels/Identity.js';
import {reshapeConfig} from './kernels/Reshape.js';
// ---- conv ----
import {conv2DConfig} from './kernels/Conv2D.js';
import {conv2DBackpropFilterConfig} from './kernels/Conv2DBackpropFilter.js';
import {conv2DBackpropInputConfig} from './kernels/Conv2DBackpropInput.js';

export const nativeKernels: readonly KernelSpec[] = [
  // ---- elementwise ----
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  // ---- reduce ----
  // ---- matmul ----
  batchMatMulConfig,
  _fusedMatMulConfig,
  // ---- layout ----
  identityConfig,
  reshapeConfig,
  // ---- conv ----
  conv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
];

function hasJsOnlyInput(inputs: Record<string, unknown>): boolean {
  for (const t of Object.values(inputs)) {
    if (t != null && !isNativeDtype((t as TensorInfo).dtype)) return true;
  }
  return false;
}

/** Registers every native kernel and a fallback for every other cpu kernel under `backendName`. */
export function registerAllKernels(backendName: 'native' | 'cuda'): void {
  const native = new Set<string>();
  for (const spec of nativeKernels) {
    native.add(spec.kernelName);
    const kernelFunc: KernelFunc = spec.anyDtype ? spec.kernelFunc : (args) => hasJsOnlyInput(args.inputs) ?
        (args.backend as NativeBackend).runOnCpu(spec.kernelName, args.inputs, args.attrs) :
        spec.kernelFunc(args);
    registerKernel({kernelName: spec.kernelName, backendName, kernelFunc});
  }
  for (const config of getKernelsForBackend('cpu')) {
    if (native.has(config.kernelName)) continue;
    const name = config.kernelName;
    registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: (args) => (args.backend as NativeBackend).runOnCpu(name, args.inputs, args.attrs),
    });
  }
}
