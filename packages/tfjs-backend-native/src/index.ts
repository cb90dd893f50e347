// @ibotjs/tfjs-backend-native: importing this module registers the 'native' backend (and 'cuda' when a GPU is usable)
// and tfjs-core's gradients (tfjs-core's own Node entry registers none).
import '../generated/tfjs_gradients.mjs';

import type {NativeInfo} from './addon/index.js';
import type {CudaDecision} from './cuda_probe.js';
import {type BinarySource, loadAddon} from './loader.js';
import {registerNativeBackends} from './register.js';

registerNativeBackends();

export {NativeBackend, type NativeDeviceName} from './backend.js';
export type {CudaDecision} from './cuda_probe.js';
export type {BinarySource} from './loader.js';
export type {NativeAddon, NativeHandle, NativeInfo, NativeMemory} from './addon/index.js';
export {nativeKernels} from './register_all_kernels.js';
export {CUDA_PRIORITY, NATIVE_PRIORITY} from './register.js';

export interface BackendInfo extends NativeInfo {
  /** The binary that was loaded. */
  binary: string;
  /** Where it came from: the prebuild shipped in @ibotjs/native, a build from source, or $IBOT_NATIVE_BINARY. */
  binarySource: BinarySource;
  /** The child-process test of CUDA before this process touched the driver (cuda_probe.ts); cuda.reason says why
   *  CUDA is off when it is. */
  cudaProbe: CudaDecision;
  /** Backend names registered by this package. */
  backends: Array<'native' | 'cuda'>;
}

/** What was built (CUDA compiled or not, architectures), which devices were found, and why CUDA is off when it is. */
export function info(): BackendInfo {
  const {addon, path, source, cuda} = loadAddon();
  const i = addon.info();
  return {...i, binary: path, binarySource: source, cudaProbe: cuda,
          backends: i.cuda.available ? ['native', 'cuda'] : ['native']};
}

/** The raw addon, for benchmarks and tests that call kernels directly. */
export function nativeAddon() {
  return loadAddon().addon;
}

/** Sets the number of CPU threads the 'native' backend uses (default: all cores, or $IBOT_NUM_THREADS). */
export function setNumThreads(threads: number): void {
  loadAddon().addon.setNumThreads(threads);
}

/** TF32 tensor-core matmuls on 'cuda' (default true); false gives strict FP32 results. */
export function setAllowTf32(allow: boolean): void {
  loadAddon().addon.setAllowTf32(allow);
}
