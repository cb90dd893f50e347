// Bundle entry for the conformance run (bundled by run.mjs): tfjs-core's ESM sources, its gradients and chained ops,
// our backend (which registers 'native'), and tfjs-core's own test files, loaded lazily so the test environment and
// filters are in place before the test files call describeWithFlags.
import '@tensorflow/tfjs-core/dist/index.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import {setAllowTf32} from '../../packages/tfjs-backend-native/src/index.js';

import * as tf from '@tensorflow/tfjs-core/dist/index.js';
import {setTestEnvs, setupTestFilters} from '@tensorflow/tfjs-core/dist/jasmine_util.js';

import {exclusionsFor} from './exclusions.js';

export {exclusionsFor};

/** The backend under test: 'native', or 'cuda' on a GPU machine. */
export function configure(backendName: string, runExcluded: boolean): void {
  setTestEnvs([{name: backendName, backendName, isDataSync: true}]);
  // tfjs's float32 tolerances assume FP32 products; TF32 (our cuda default) is checked by native/test/cuda/gemm_check.
  if (backendName === 'cuda') setAllowTf32(false);
  // One filter that includes every spec and excludes the listed ones. Specs that are not run through
  // describeWithFlags (plain describe) run on the default backend, which is 'native' once our package is imported;
  // they go through the same filter so an exclusion can name them too.
  const excludes = runExcluded ? [] : exclusionsFor(backendName).map((e) => e.spec);
  setupTestFilters([{include: '', excludes}], () => false);
}

/** Evaluates tfjs-core's test files: each one registers its describe blocks with the global jasmine env. */
export async function loadTests(): Promise<void> {
  await import('@tensorflow/tfjs-core/dist/tests.js');
}

/** Which tfjs-core the bundle holds, and which engine it registered 'native' into. */
export function describeRuntime(): {version: string; backends: string[]} {
  return {version: tf.version_core, backends: Object.keys(tf.engine().registryFactory)};
}
