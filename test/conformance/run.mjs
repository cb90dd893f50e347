#!/usr/bin/env node
// Runs tfjs-core's own op test suite (the jasmine specs shipped in its npm package) against our 'native' backend,
// minus the specs listed with a reason in exclusions.ts. Prints every failure and `conformance: N passed, M failed`;
// exits non-zero when a spec fails.
//
//   node test/conformance/run.mjs [--grep TEXT] [--backend native|cuda] [--run-excluded] [--verbose]
//                                 [--build-only | --prebuilt]
// --build-only writes the bundle and exits; --prebuilt runs an existing bundle without esbuild (the GPU machine has
// no node_modules: benchmarks/gpu/prepare.sh builds the bundle here and carries jasmine-core along).
//
// tfjs-core's ESM sources use extension-less imports and its test files are marked side-effect free, so they are
// bundled with esbuild (ignoreAnnotations keeps the test files) into test/conformance/.bundle/, together with our
// backend's TypeScript sources. One copy of tfjs-core serves the tests and our backend: '@tensorflow/tfjs-core'
// resolves to its ESM dist (mainFields module first), the same files the tests import. The bundle is rebuilt only
// when one of its input files (from the last build's metafile) or this script changed.
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bundleDir = join(here, '.bundle');
const bundleFile = join(bundleDir, 'conformance.mjs');
const stampFile = join(bundleDir, 'inputs.json');
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const opts = {grep: '', backend: 'native', runExcluded: false, verbose: false, buildOnly: false, prebuilt: false};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--grep') opts.grep = argv[++i] ?? '';
    else if (a === '--backend') opts.backend = argv[++i] ?? 'native';
    else if (a === '--run-excluded') opts.runExcluded = true;
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--build-only') opts.buildOnly = true;
    else if (a === '--prebuilt') opts.prebuilt = true;
    else throw new Error(`conformance: unknown argument '${a}'`);
  }
  return opts;
}

// ---- bundle -----------------------------------------------------------------------------------------------------

/** A fingerprint of the input files (path, size, mtime) and of this script, which holds the build options. */
function fingerprint(inputs) {
  const h = createHash('sha256');
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const file of inputs) {
    const p = resolve(root, file);
    if (!existsSync(p)) return null;
    const s = statSync(p);
    h.update(`${file}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

function bundleIsFresh() {
  if (!existsSync(bundleFile) || !existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return stamp.hash === fingerprint(stamp.inputs);
  } catch {
    return false;
  }
}

// Our TypeScript sources find the native binary relative to their own location (import.meta.url); in the bundle
// that would be the bundle's location, so each bundled source file gets its own URL spelled out.
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({filter: /[\\/]packages[\\/].*\.ts$/}, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return {contents: text.replaceAll('import.meta.url', url), loader: 'ts'};
    });
  },
};

async function ensureBundle() {
  if (bundleIsFresh()) return false;
  mkdirSync(bundleDir, {recursive: true});
  const {build} = await import('esbuild');
  const result = await build({
    entryPoints: [join(here, 'entry.ts')],
    outfile: bundleFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Prefer ESM: '@tensorflow/tfjs-core' (imported by our backend and tfjs-backend-cpu) then resolves to the same
    // dist/*.js modules the test files import, rather than to the separate CommonJS bundle tf-core.node.js.
    mainFields: ['module', 'main'],
    conditions: ['source'],
    // tfjs-core's package.json marks its test files side-effect free; without this they are tree-shaken away.
    ignoreAnnotations: true,
    // jasmine_util.js requires jasmine-core itself; resolve it at run time from the repository's node_modules.
    external: ['jasmine-core', 'jasmine-core/*'],
    banner: {js: "import {createRequire as __createRequire} from 'node:module';\n" +
                 'const require = __createRequire(import.meta.url);'},
    plugins: [keepImportMetaUrl],
    metafile: true,
    sourcemap: 'linked',
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, resolve(process.cwd(), p)));
  writeFileSync(stampFile, JSON.stringify({hash: fingerprint(inputs), inputs}));
  return true;
}

// ---- run --------------------------------------------------------------------------------------------------------

const opts = parseArgs(process.argv.slice(2));
process.env['IBOT_QUIET_FALLBACK'] ??= '1';
const t0 = performance.now();
const rebuilt = opts.prebuilt ? false : await ensureBundle();
if (opts.buildOnly) {
  console.log(`conformance bundle ${rebuilt ? 'built' : 'up to date'}: ${relative(root, bundleFile)}`);
  process.exit(0);
}
const tBundle = performance.now();

// Boot jasmine-core programmatically (no browser, no jasmine CLI): this defines describe/it/expect/jasmine globals,
// which the test files need when they are evaluated.
const jasmineRequire = require('jasmine-core');
const jasmine = jasmineRequire.boot(jasmineRequire);
jasmine.DEFAULT_TIMEOUT_INTERVAL = 20000;  // what tfjs-core's jasmine_util sets on its own copy
const env = jasmine.getEnv();
env.configure({random: false, specFilter: (spec) => !opts.grep || spec.getFullName().includes(opts.grep)});

const suite = await import(pathToFileURL(bundleFile).href);
suite.configure(opts.backend, opts.runExcluded);
const exclusions = suite.exclusionsFor(opts.backend);
await suite.loadTests();
const runtime = suite.describeRuntime();
if (!runtime.backends.includes(opts.backend)) {
  console.error(`conformance: backend '${opts.backend}' is not registered ` +
                `(registered: ${runtime.backends.join(', ')})`);
  process.exit(1);
}

const counts = {passed: 0, failed: 0, excluded: 0, deselected: 0, pending: 0};
const failures = [];
const usedExclusions = new Set();
const suiteErrors = [];

function firstStackLine(stack) {
  const line = (stack ?? '').split('\n').find((l) => l.includes('.bundle') || l.includes('node_modules'));
  return line ? line.trim() : '';
}

env.addReporter({
  specDone(result) {
    if (result.status === 'passed') counts.passed++;
    else if (result.status === 'failed') {
      counts.failed++;
      failures.push(result);
      const msgs = result.failedExpectations.map((f) => f.message.split('\n')[0]);
      console.log(`FAIL ${result.fullName}\n     ${msgs.join('\n     ')}`);
      if (opts.verbose) for (const f of result.failedExpectations) console.log(`     ${firstStackLine(f.stack)}`);
    } else if (result.status === 'excluded') {
      // Filtered out: by an exclusion, or only by --grep.
      const matched = exclusions.filter((e) => result.fullName.includes(e.spec));
      for (const e of matched) usedExclusions.add(e.spec);
      if (matched.length && !opts.runExcluded) counts.excluded++;
      else counts.deselected++;
    } else counts.pending++;
  },
  suiteDone(result) {
    // Errors in beforeAll/afterAll hooks fail no spec but must not pass silently.
    if (result.failedExpectations?.length) {
      suiteErrors.push(result);
      const msgs = result.failedExpectations.map((f) => f.message);
      console.log(`FAIL (suite) ${result.fullName}\n     ${msgs.join('\n     ')}`);
    }
  },
  jasmineDone(result) {
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const bundleSeconds = ((tBundle - t0) / 1000).toFixed(1);
    if (result.failedExpectations?.length) {
      for (const f of result.failedExpectations) console.log(`FAIL (global) ${f.message}`);
    }
    const unused = opts.runExcluded || opts.grep ? [] :
        exclusions.filter((e) => !usedExclusions.has(e.spec));
    for (const e of unused) console.log(`warning: exclusion '${e.spec}' matches no spec (remove it?)`);
    const failed = counts.failed + suiteErrors.length + (result.failedExpectations?.length ?? 0);
    console.log(`tfjs-core ${runtime.version} op tests on '${opts.backend}': ${seconds} s ` +
                `(bundle ${rebuilt ? `rebuilt in ${bundleSeconds} s` : 'up to date'})`);
    console.log(`conformance: ${counts.passed} passed, ${failed} failed`);
    console.log(`conformance: ${counts.excluded} excluded by exclusions.ts (${exclusions.length} entries), ` +
                `${counts.pending} pending in tfjs-core itself` +
                (counts.deselected ? `, ${counts.deselected} not selected by --grep` : ''));
    process.exitCode = failed > 0 ? 1 : 0;
  },
});

env.execute();
