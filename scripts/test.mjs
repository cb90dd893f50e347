#!/usr/bin/env node
// The test command: ava (unit, parity, gradient and integration tests of every package), tfjs-core's own op test suite
// against the 'native' backend, and the install test (pack every package, `npm install` the tarballs with no compiler,
// run a smoke script; test/install/run.mjs). Prints each suite's result and a final `N passed, N failed` line.
// IBOT_SKIP_INSTALL_TEST=1 leaves the install test out (it packs and installs, ~30-90 s): for local runs only.
import {spawn} from 'node:child_process';

function run(cmd, args, parse) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'inherit']});
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffer += chunk;
    });
    child.on('close', (code) => resolve({code, ...parse(buffer)}));
  });
}

const count = (text, re) => Number((text.match(re) ?? [])[1] ?? 0);

const ava = await run('npx', ['ava', '--tap', ...process.argv.slice(2)], (out) => ({
  passed: count(out, /^# pass (\d+)/m),
  failed: count(out, /^# fail (\d+)/m),
}));
// A crashed test file shows up as a non-zero exit with no failure counted: count it as one failure.
if (ava.code !== 0 && ava.failed === 0) ava.failed = 1;
console.log(`ava: ${ava.passed} passed, ${ava.failed} failed`);

const conformance = await run('node', ['test/conformance/run.mjs'], (out) => ({
  passed: count(out, /^conformance: (\d+) passed/m),
  failed: count(out, /^conformance: \d+ passed, (\d+) failed/m),
}));
if (conformance.code !== 0 && conformance.failed === 0) conformance.failed = 1;

let install = {passed: 0, failed: 0};
if (process.env.IBOT_SKIP_INSTALL_TEST === '1') {
  console.log('install: skipped (IBOT_SKIP_INSTALL_TEST=1)');
} else {
  install = await run('node', ['test/install/run.mjs'], (out) => ({
    passed: count(out, /^install: (\d+) passed/m),
    failed: count(out, /^install: \d+ passed, (\d+) failed/m),
  }));
  if (install.code !== 0 && install.failed === 0) install.failed = 1;
}

const passed = ava.passed + conformance.passed + install.passed;
const failed = ava.failed + conformance.failed + install.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
