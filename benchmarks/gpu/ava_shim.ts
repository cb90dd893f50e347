// A minimal stand-in for ava, so the very same *.test.ts parity files run on the GPU machine (which has no
// node_modules) inside one esbuild bundle. Implements the subset of ava's API our tests use; tests run one at a time
// in registration order and each failure is printed with its assertion message.
import {isDeepStrictEqual, inspect} from 'node:util';

type Impl = (t: ShimContext) => void | Promise<void>;
interface Registered {
  title: string;
  impl: Impl;
  file: string;
  /** Hooks run around their file's tests (ava: test.before / test.after), are not counted, need no assertion. */
  kind: 'test' | 'before' | 'after';
}

const registry: Registered[] = [];
let currentFile = '';

export function setCurrentFile(name: string): void {
  currentFile = name;
}

class AssertionError extends Error {}

class ShimContext {
  readonly logs: string[] = [];
  assertions = 0;
  constructor(readonly title: string) {}

  private check(ok: boolean, message: string | undefined, detail: () => string): void {
    this.assertions++;
    if (!ok) throw new AssertionError(`${message ? `${message}: ` : ''}${detail()}`);
  }
  log(...values: unknown[]): void {
    this.logs.push(values.map((v) => (typeof v === 'string' ? v : inspect(v))).join(' '));
  }
  is(actual: unknown, expected: unknown, message?: string): void {
    this.check(Object.is(actual, expected), message, () => `${inspect(actual)} is not ${inspect(expected)}`);
  }
  not(actual: unknown, expected: unknown, message?: string): void {
    this.check(!Object.is(actual, expected), message, () => `${inspect(actual)} is ${inspect(expected)}`);
  }
  deepEqual(actual: unknown, expected: unknown, message?: string): void {
    this.check(isDeepStrictEqual(actual, expected), message,
               () => `${inspect(actual, {depth: 4})} does not deep-equal ${inspect(expected, {depth: 4})}`);
  }
  notDeepEqual(actual: unknown, expected: unknown, message?: string): void {
    this.check(!isDeepStrictEqual(actual, expected), message, () => `values are deeply equal`);
  }
  true(value: unknown, message?: string): void {
    this.check(value === true, message, () => `${inspect(value)} is not true`);
  }
  false(value: unknown, message?: string): void {
    this.check(value === false, message, () => `${inspect(value)} is not false`);
  }
  truthy(value: unknown, message?: string): void {
    this.check(!!value, message, () => `${inspect(value)} is not truthy`);
  }
  falsy(value: unknown, message?: string): void {
    this.check(!value, message, () => `${inspect(value)} is not falsy`);
  }
  assert(value: unknown, message?: string): void {
    this.truthy(value, message);
  }
  regex(value: string, re: RegExp, message?: string): void {
    this.check(re.test(value), message, () => `${inspect(value)} does not match ${re}`);
  }
  fail(message?: string): void {
    this.check(false, message, () => 'failed');
  }
  pass(): void {
    this.assertions++;
  }
  throws(fn: () => unknown, expectation?: {message?: string | RegExp; instanceOf?: Function}, message?: string): Error | undefined {
    let thrown: unknown;
    try {
      fn();
    } catch (e) {
      thrown = e;
    }
    this.check(thrown !== undefined, message, () => 'function did not throw');
    const err = thrown as Error;
    if (expectation?.instanceOf) this.check(err instanceof expectation.instanceOf, message, () => `wrong error type`);
    const m = expectation?.message;
    if (m !== undefined) {
      this.check(typeof m === 'string' ? err.message === m : m.test(err.message), message,
                 () => `error message ${inspect(err.message)} does not match ${m}`);
    }
    return err;
  }
  notThrows(fn: () => unknown, message?: string): void {
    try {
      fn();
      this.assertions++;
    } catch (e) {
      this.check(false, message, () => `threw ${(e as Error).message}`);
    }
  }
}

function register(title: string, impl: Impl): void {
  registry.push({title, impl, file: currentFile, kind: 'test'});
}

type TestFn = ((title: string, impl: Impl) => void) & {
  serial: (title: string, impl: Impl) => void;
  skip: (title: string, impl: Impl) => void;
  before: (impl: Impl) => void;
  after: (impl: Impl) => void;
};

const test = register as TestFn;
test.serial = register;
test.skip = () => {};
test.before = (impl) => registry.push({title: '(before hook)', impl, file: currentFile, kind: 'before'});
test.after = (impl) => registry.push({title: '(after hook)', impl, file: currentFile, kind: 'after'});
export default test;
export type ExecutionContext = ShimContext;

/** Runs every registered test; returns the counts. */
export async function runAll(filter?: RegExp): Promise<{passed: number; failed: number}> {
  let passed = 0, failed = 0;
  const files = [...new Set(registry.map((r) => r.file))];
  for (const file of files) {
    const of = (kind: Registered['kind']) => registry.filter((r) => r.file === file && r.kind === kind);
    const tests = of('test').filter((r) => !filter || filter.test(`${r.file} › ${r.title}`));
    if (tests.length === 0) continue;
    // A failing hook fails the file: its message is printed and counted once, like ava does.
    let hooksOk = true;
    for (const hook of of('before')) hooksOk &&= await runOne(hook, false);
    if (!hooksOk) {
      failed += 1;
      continue;
    }
    for (const r of tests) (await runOne(r, true)) ? passed++ : failed++;
    for (const hook of of('after')) if (!(await runOne(hook, false))) failed++;
  }
  return {passed, failed};
}

async function runOne(r: Registered, needsAssertion: boolean): Promise<boolean> {
  const name = `${r.file} › ${r.title}`;
  const t = new ShimContext(r.title);
  const start = performance.now();
  try {
    await r.impl(t);
    if (needsAssertion && t.assertions === 0) throw new AssertionError('test finished without running any assertions');
    if (needsAssertion) console.log(`  ✔ ${name} (${(performance.now() - start).toFixed(0)} ms)`);
    return true;
  } catch (e) {
    console.log(`  ✘ ${name}\n      ${(e as Error).message}`);
    for (const l of t.logs) console.log(`      ℹ ${l}`);
    return false;
  }
}
