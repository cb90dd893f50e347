// Common test setup: registers the native backends (and with them the tfjs gradients), quiets the fallback warnings and
// makes the backend under test active.
import '@tensorflow/tfjs-backend-cpu';
import {setAllowTf32} from '../index.js';

import * as tf from '@tensorflow/tfjs-core';

import {backendUnderTest, useBackend} from './parity.js';

process.env['IBOT_QUIET_FALLBACK'] ??= '1';
useBackend(backendUnderTest);
// The parity tests hold products to float32 tolerances; TF32 (the cuda default, ~1e-3 relative) is checked against its
// own error bound by native/test/cuda/gemm_check. IBOT_TEST_TF32=1 keeps it on.
if (backendUnderTest === 'cuda' && process.env['IBOT_TEST_TF32'] !== '1') setAllowTf32(false);
// The engine's own cpu backend (the reference) prints an advert for tfjs-node on first use; it is noise in test logs.
(tf.findBackend('cpu') as unknown as {firstUse: boolean}).firstUse = false;
