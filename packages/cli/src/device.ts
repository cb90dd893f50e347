// Device choice for --device: loads the backend packages, picks the best available device when none is named (cuda
// when a usable GPU was found, else native), and explains why a named device cannot be used.
import * as tf from '@tensorflow/tfjs-core';

import {registerWasmKernels} from './wasm_kernels.js';

export const DEVICES = ['native', 'cuda', 'wasm', 'cpu'] as const;
export type DeviceName = (typeof DEVICES)[number];

export interface NativeStatus {
  /** The native package loaded (its binary too). */
  loaded: boolean;
  /** Why it did not load, or why CUDA is off. */
  error: string | null;
  cudaAvailable: boolean;
  cudaReason: string;
  info: import('@ibotjs/tfjs-backend-native').BackendInfo | null;
}

let nativeStatus: Promise<NativeStatus> | null = null;

/**
 * Imports @ibotjs/tfjs-backend-native once (it registers 'native', 'cuda' when usable, and tfjs's gradients) and reports
 * what it found. A binary that fails to load is reported, not thrown, so that `ibot info` can still print it.
 */
export function loadNative(): Promise<NativeStatus> {
  nativeStatus ??= (async () => {
    try {
      const native = await import('@ibotjs/tfjs-backend-native');
      const info = native.info();
      return {loaded: true, error: null, cudaAvailable: info.cuda.available, cudaReason: info.cuda.reason, info};
    } catch (e) {
      return {loaded: false, error: (e as Error).message, cudaAvailable: false, cudaReason: 'the native binary did not load', info: null};
    }
  })();
  return nativeStatus;
}

/** The device used when --device is not given: cuda when usable, else native. */
export async function bestDevice(): Promise<DeviceName> {
  const s = await loadNative();
  if (s.cudaAvailable) return 'cuda';
  if (s.loaded) return 'native';
  throw new Error(`no native device: ${s.error}\n(use --device wasm or --device cpu to run on tfjs's own backends)`);
}

/** Makes `device` the active tfjs backend (best available when undefined); returns its name. Clear errors otherwise. */
export async function useDevice(device: DeviceName | undefined): Promise<DeviceName> {
  const status = await loadNative();
  const name = device ?? (await bestDevice());
  switch (name) {
    case 'cuda':
      if (!status.loaded) throw new Error(`--device cuda: the native binary did not load: ${status.error}`);
      if (!status.cudaAvailable) {
        throw new Error(`--device cuda: no usable CUDA GPU (${status.cudaReason}). Use --device native for the CPU, or run 'ibot info'.`);
      }
      break;
    case 'native':
      if (!status.loaded) throw new Error(`--device native: the native binary did not load: ${status.error}`);
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmKernels();
      break;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
    default:
      throw new Error(`unknown device '${String(name)}' (expected ${DEVICES.join(', ')})`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`--device ${name}: the backend failed to initialise`);
  if (name === 'cpu') (tf.findBackend('cpu') as unknown as {firstUse?: boolean}).firstUse = false; // no tfjs-node advert
  return name;
}

/** Kernel fallbacks of the active backend (native/cuda count them; tfjs's own backends have none). */
export function fallbackCounts(): Record<string, number> {
  const b = tf.backend() as unknown as {fallbacks?: () => Record<string, number>};
  return typeof b.fallbacks === 'function' ? b.fallbacks() : {};
}
