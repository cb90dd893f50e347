// Registers the 'native' backend always and the 'cuda' backend when the addon found a usable CUDA device.
import {registerBackend} from '@tensorflow/tfjs-core';

import {NativeBackend} from './backend.js';
import {registerGradientOverrides} from './gradients/register_gradients.js';
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
  // The gradient overrides: at import, so programs that use only 'cpu' or 'wasm' next to this package get them too,
  // and again whenever a native backend is created, by which time the application's imports have run, so they win
  // over a register_all_gradients imported after this package.
  registerGradientOverrides();
  registerBackend('native', () => {
    registerGradientOverrides();
    return new NativeBackend(addon, 'cpu');
  }, NATIVE_PRIORITY);
  registerAllKernels('native');
  if (addon.info().cuda.available) {
    registerBackend('cuda', () => {
      registerGradientOverrides();
      return new NativeBackend(addon, 'cuda');
    }, CUDA_PRIORITY);
    registerAllKernels('cuda');
  }
}
