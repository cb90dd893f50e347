// Chooses, at each call, between the active backend's fused kernels and the composite of stock tfjs ops, and lets
// tests and benchmarks force either path.
import {getBackend, getKernel} from '@tensorflow/tfjs-core';

/**
 * 'auto': the fused kernels when the active backend registers all of them, the composite otherwise (the default).
 * 'kernel': the fused kernels or an Error naming the missing ones (parity tests, benchmarks).
 * 'composite': always the composite of stock tfjs ops.
 */
export type FusedImpl = 'auto' | 'kernel' | 'composite';

let current: FusedImpl = 'auto';

export function getFusedImpl(): FusedImpl {
  return current;
}

/** Sets the path every op takes from now on; returns the previous setting. */
export function setFusedImpl(impl: FusedImpl): FusedImpl {
  if (impl !== 'auto' && impl !== 'kernel' && impl !== 'composite') {
    throw new Error(`setFusedImpl: expected 'auto', 'kernel' or 'composite', got ${String(impl)}`);
  }
  const previous = current;
  current = impl;
  return previous;
}

/** Runs fn with the ops forced onto one path, restoring the previous setting afterwards (also when fn throws). */
export function withFusedImpl<T>(impl: FusedImpl, fn: () => T): T {
  const previous = setFusedImpl(impl);
  try {
    return fn();
  } finally {
    setFusedImpl(previous);
  }
}

/** The kernels among `kernels` that the active backend does not register. */
export function missingKernels(kernels: readonly string[], backend: string = getBackend()): string[] {
  return kernels.filter((k) => getKernel(k, backend) == null);
}

/**
 * Whether this call of `op` runs the fused kernels. `kernels` lists the forward kernel and the gradient kernel(s)
 * its registered gradient calls: a backend with the forward kernel but not its gradient takes the composite, so
 * training never reaches a gradient it cannot run.
 */
export function useFusedKernels(op: string, kernels: readonly string[]): boolean {
  if (current === 'composite') return false;
  const backend = getBackend();
  const missing = missingKernels(kernels, backend);
  if (missing.length === 0) return true;
  if (current === 'kernel') {
    throw new Error(`${op}: the fused-kernel path was forced, but backend '${backend}' registers no kernel ` +
                    `${missing.map((k) => `'${k}'`).join(', ')}`);
  }
  return false;
}
