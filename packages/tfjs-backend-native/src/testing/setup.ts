// Common test setup: registers the native backends (and with them the tfjs gradients), quiets the fallback warnings and
// makes the backend under test active.
import '@tensorflow/tfjs-backend-cpu';
import '../index.js';

import * as tf from '@tensorflow/tfjs-core';

import {backendUnderTest, useBackend} from './parity.js';

process.env['IBOT_QUIET_FALLBACK'] ??= '1';
useBackend(backendUnderTest);
// The engine's own cpu backend (the reference) prints an advert for tfjs-node on first use; it is noise in test logs.
(tf.findBackend('cpu') as unknown as {firstUse: boolean}).firstUse = false;
