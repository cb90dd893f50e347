// Helpers shared by the head and loss tests: run a check on tfjs 'cpu' and on the backend under test, and compare
// values with an absolute + relative tolerance, naming the worst element.
import {backendUnderTest, useBackend} from '@ibotjs/tfjs-backend-native/testing/parity';
import * as tf from '@tensorflow/tfjs-core';
import type {ExecutionContext} from 'ava';

const BACKENDS = [...new Set(['cpu', backendUnderTest])];

/** Runs fn once per backend, inside tidy, restoring the backend under test afterwards. */
export function onBackends(fn: (backend: string) => void): void {
  try {
    for (const b of BACKENDS) {
      useBackend(b);
      tf.tidy(() => fn(b));
    }
  } finally {
    useBackend(backendUnderTest);
  }
}

/** |got - want| <= atol + rtol |want| everywhere (lengths equal too). */
export function near(t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number,
                     label: string): void {
  t.is(got.length, want.length, `${label}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - (atol + rtol * Math.abs(want[i]!));
    if (!(excess <= worst)) [worst, at] = [excess, i];
  }
  t.true(at < 0, at < 0 ? label : `${label}: [${at}] got ${got[at]}, want ${want[at]}`);
}
