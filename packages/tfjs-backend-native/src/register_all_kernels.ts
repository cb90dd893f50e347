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
import {allConfig} from './kernels/All.js';
import {anyConfig} from './kernels/Any.js';
import {argMaxConfig} from './kernels/ArgMax.js';
import {argMinConfig} from './kernels/ArgMin.js';
import {cumprodConfig} from './kernels/Cumprod.js';
import {cumsumConfig} from './kernels/Cumsum.js';
import {maxConfig} from './kernels/Max.js';
import {meanConfig} from './kernels/Mean.js';
import {minConfig} from './kernels/Min.js';
import {prodConfig} from './kernels/Prod.js';
import {softmaxConfig} from './kernels/Softmax.js';
import {sumConfig} from './kernels/Sum.js';
import {topKConfig} from './kernels/TopK.js';
// ---- matmul ----
// ---- layout ----
import {concatConfig} from './kernels/Concat.js';
import {gatherNdConfig} from './kernels/GatherNd.js';
import {gatherV2Config} from './kernels/GatherV2.js';
import {identityConfig} from './kernels/Identity.js';
import {mirrorPadConfig} from './kernels/MirrorPad.js';
import {oneHotConfig} from './kernels/OneHot.js';
import {packConfig} from './kernels/Pack.js';
import {padV2Config} from './kernels/PadV2.js';
import {reshapeConfig} from './kernels/Reshape.js';
import {reverseConfig} from './kernels/Reverse.js';
import {scatterNdConfig} from './kernels/ScatterNd.js';
import {sliceConfig} from './kernels/Slice.js';
import {splitVConfig} from './kernels/SplitV.js';
import {stridedSliceConfig} from './kernels/StridedSlice.js';
import {tileConfig} from './kernels/Tile.js';
import {transposeConfig} from './kernels/Transpose.js';
import {unpackConfig} from './kernels/Unpack.js';
import {unsortedSegmentSumConfig} from './kernels/UnsortedSegmentSum.js';
// ---- conv ----

export const nativeKernels: readonly KernelSpec[] = [
  // ---- elementwise ----
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  // ---- reduce ----
  allConfig,
  anyConfig,
  argMaxConfig,
  argMinConfig,
  cumprodConfig,
  cumsumConfig,
  maxConfig,
  meanConfig,
  minConfig,
  prodConfig,
  softmaxConfig,
  sumConfig,
  topKConfig,
  // ---- matmul ----
  // ---- layout ----
  concatConfig,
  gatherNdConfig,
  gatherV2Config,
  identityConfig,
  mirrorPadConfig,
  oneHotConfig,
  packConfig,
  padV2Config,
  reshapeConfig,
  reverseConfig,
  scatterNdConfig,
  sliceConfig,
  splitVConfig,
  stridedSliceConfig,
  tileConfig,
  transposeConfig,
  unpackConfig,
  unsortedSegmentSumConfig,
  // ---- conv ----
];

function hasJsOnlyInput(inputs: Record<string, unknown>): boolean {
  for (const v of Object.values(inputs)) {
    // Some kernels (Concat, Pack, AddN) take a list of tensors under one name.
    for (const t of Array.isArray(v) ? v : [v]) {
      if (t != null && !isNativeDtype((t as TensorInfo).dtype)) return true;
    }
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
