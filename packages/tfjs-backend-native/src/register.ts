// Registers the 'native' backend always and the 'cuda' backend when the addon found a usable CUDA device.
import {registerBackend} from '@tensorflow/tfjs-core';

import {NativeBackend} from './backend.js';
import {loadAddon} from './loader.js';
import {registerAllKernels} from './register_all_kernels.js';

/** Priorities above tfjs's own backends (cpu 1, wasm 2, webgl 2) so importing this package makes it the default. */
export const NATIVE_PRIORITY = 3;
export const CUDA_PRIORITY = 4;

let registered = false;

export function registerNativeBackends(): void {
  if (registered) return;
  registered = true;
  const {addon} = loadAddon();
  registerBackend('native', () => new NativeBackend(addon, 'cpu'), NATIVE_PRIORITY);
  registerAllKernels('native');
  if (addon.info().cuda.available) {
    registerBackend('cuda', () => new NativeBackend(addon, 'cuda'), CUDA_PRIORITY);
    registerAllKernels('cuda');
  }
}
