// cosineScheduler against IBOT_SPEC §9 T8 (values from the official code in float64) and numpy's linspace rules.
import test from 'ava';

import {cosineScheduler} from './cosine_scheduler.js';

function assertValues(t: import('ava').ExecutionContext, got: Float64Array, want: number[], rtol: number,
                      label: string): void {
  t.is(got.length, want.length, `${label}: length`);
  want.forEach((w, i) => t.true(Math.abs(got[i]! - w) <= rtol * Math.abs(w) + 1e-15,
                                `${label}[${i}]: got ${got[i]}, want ${w}`));
}

test('T8: cosineScheduler(10, 1, 3 epochs, 2 iters, 1 warm-up epoch) = [0, 10, 10, 8.68198…, 5.5, 2.31801…]', (t) => {
  assertValues(t, cosineScheduler(10, 1, 3, 2, 1), [0, 10, 10, 8.6819805153, 5.5, 2.3180194847], 1e-10, 'lr');
});

test('T8: teacher momentum 0.996 → 1 over 2 epochs × 3 iterations', (t) => {
  assertValues(t, cosineScheduler(0.996, 1, 2, 3),
               [0.996, 0.9962679492, 0.997, 0.998, 0.999, 0.9997320508], 1e-10, 'momentum');
});

test('T8: ViT-S recipe lr (2e-3 peak, 1e-6 final, 800 epochs × 1251, 10 warm-up epochs)', (t) => {
  const lr = cosineScheduler(5e-4 * 1024 / 256, 1e-6, 800, 1251, 10);
  t.is(lr.length, 1_000_800);
  t.is(lr[0], 0);
  t.true(Math.abs(lr[1]! - 1.598849e-7) <= 1e-6 * 1.598849e-7, `iteration 1: ${lr[1]}`);
  // The warm-up's last value is the peak exactly (np.linspace sets its endpoint), and nothing exceeds it.
  t.is(lr[12509], 2e-3);
  let argmax = 0;
  for (let i = 1; i < lr.length; i++) if (lr[i]! > lr[argmax]! * (1 + 1e-12)) argmax = i;
  t.is(argmax, 12509, 'first iteration at the peak');
  t.true(Math.abs(lr[lr.length - 1]! - 1e-6) <= 1e-12, `last: ${lr[lr.length - 1]}`);
  // Monotone up during the warm-up, monotone down after it.
  let upOk = true, downOk = true;
  for (let i = 1; i <= 12509; i++) upOk &&= lr[i]! > lr[i - 1]!;
  for (let i = 12511; i < lr.length; i++) downOk &&= lr[i]! <= lr[i - 1]!;
  t.true(upOk, 'warm-up increases');
  t.true(downOk, 'cosine decreases');
});

test('T8: ViT-S weight decay 0.04 → 0.4 (no warm-up): first / middle / last = 0.04 / 0.22 / 0.40', (t) => {
  const wd = cosineScheduler(0.04, 0.4, 800, 1251);
  t.is(wd.length, 1_000_800);
  t.true(Math.abs(wd[0]! - 0.04) < 1e-15, `first ${wd[0]}`);
  t.true(Math.abs(wd[wd.length / 2]! - 0.22) < 1e-12, `middle ${wd[wd.length / 2]}`);
  t.true(Math.abs(wd[wd.length - 1]! - 0.4) < 1e-9, `last ${wd[wd.length - 1]}`);
});

test('cosineScheduler: warm-up as np.linspace (start value, endpoint included, one-point warm-up)', (t) => {
  // 2 warm-up iterations from 5 to 10, then 3 cosine iterations from 10 to 1.
  const s = cosineScheduler(10, 1, 5, 1, 2, 5);
  t.deepEqual(Array.from(s.slice(0, 3)), [5, 10, 10]);
  // A single warm-up iteration is np.linspace(start, base, 1) = [start].
  t.is(cosineScheduler(10, 1, 2, 1, 1, 3)[0], 3);
  // No iterations at all.
  t.is(cosineScheduler(10, 1, 0, 5).length, 0);
  t.throws(() => cosineScheduler(10, 1, 2, 3, 3), {message: /warmupEpochs/});
  t.throws(() => cosineScheduler(10, 1, 2.5, 3), {message: /epochs must be a non-negative integer/});
});
