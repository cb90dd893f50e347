// For the CLI's tests: `ibot` run in-process with its output captured, and the flags of a model small enough to
// train a few steps in seconds on 2 cores.
import {backendUnderTest} from '@ibotjs/tfjs-backend-native/testing/parity';

import type {DeviceName} from '../device.js';
import {main} from '../main.js';

/** Runs `ibot argv...` in this process; resolves to the exit code and everything written to stdout and stderr. */
export async function runIbot(...argv: string[]): Promise<{code: number; out: string; err: string}> {
  let out = '', err = '';
  const code = await main(argv, {stdout: {write: (s: string) => (out += s)}, stderr: {write: (s: string) => (err += s)}});
  return {code, out, err};
}

/** `ibot train` flags of a 1-block ViT (D 16, 2 heads) with a tiny head, no progress bar and no k-NN at the end. */
export const TINY_TRAIN_FLAGS: readonly string[] = [
  '--depth', '1', '--embed-dim', '16', '--num-heads', '2', '--out-dim', '32', '--patch-out-dim', '32', '--head-hidden-dim', '16',
  '--head-bottleneck-dim', '8', '--local-crops-number', '2', '--batch-size', '8', '--warmup-epochs', '0',
  '--warmup-teacher-temp-epochs', '0', '--no-progress', '--no-knn',
];

/** The backend the test run is for (IBOT_TEST_BACKEND, default native), as the --device the eval options take. */
export const testDevice = backendUnderTest as DeviceName;
