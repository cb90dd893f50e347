#!/usr/bin/env node
// The test command: ava (unit, parity, gradient and integration tests of every package) and then tfjs-core's own op
// test suite against the 'native' backend. Prints each suite's result and a final `N passed, N failed` line.
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

const passed = ava.passed + conformance.passed, failed = ava.failed + conformance.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
