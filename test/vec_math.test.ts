// Runs the C++ accuracy sweep of cpu/vec_math.h (exp, log, erf, tanh, sigmoid against double-precision libm).
import {execFileSync} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import test from 'ava';

const here = dirname(fileURLToPath(import.meta.url));

test('vectorisable exp/log/erf/tanh/sigmoid stay within a few ulp of libm', (t) => {
  const out = execFileSync(join(here, '..', 'native', 'test', 'run-vec-math-accuracy.sh'), {encoding: 'utf8'});
  t.log(out.trim());
  t.regex(out, /vec_math: all within bounds/);
});
