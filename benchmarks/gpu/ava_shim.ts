// A minimal stand-in for ava, so the very same *.test.ts parity files run on the GPU machine (which has no
// node_modules) inside one esbuild bundle. Implements the subset of ava's API our tests use; tests run one at a time
// in registration order and each failure is printed with its assertion message.
import {isDeepStrictEqual, inspect} from 'node:util';

type Impl = (t: ShimContext) => void | Promise<void>;
interface Registered {
  title: string;
  impl: Impl;
  file: string;
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
  registry.push({title, impl, file: currentFile});
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
test.before = (impl) => register('(before hook)', impl);
test.after = (impl) => register('(after hook)', impl);
export default test;
export type ExecutionContext = ShimContext;

/** Runs every registered test; returns the counts. */
export async function runAll(filter?: RegExp): Promise<{passed: number; failed: number}> {
  let passed = 0, failed = 0;
  for (const r of registry) {
    const name = `${r.file} › ${r.title}`;
    if (filter && !filter.test(name)) continue;
    const t = new ShimContext(r.title);
    const start = performance.now();
    try {
      await r.impl(t);
      if (t.assertions === 0) throw new AssertionError('test finished without running any assertions');
      passed++;
      console.log(`  ✔ ${name} (${(performance.now() - start).toFixed(0)} ms)`);
    } catch (e) {
      failed++;
      console.log(`  ✘ ${name}\n      ${(e as Error).message}`);
      for (const l of t.logs) console.log(`      ℹ ${l}`);
    }
  }
  return {passed, failed};
}
