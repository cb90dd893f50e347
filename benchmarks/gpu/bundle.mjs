// Bundles the GPU-session programs into .gpu/ so they run with a bare Node binary (no node_modules on the GPU machine):
//   parity.mjs      every kernel parity test file, run on 'cuda' through ava_shim.ts (same files as `pnpm test`)
//   kernels_gpu.mjs the stock-kernel benchmark on 'cuda'
//   fused_gpu.mjs   the fused-kernel benchmark on 'cuda' (fused_gpu.ts; run by extra.sh)
//   step_gpu.mjs    the paper-recipe training step on 'cuda' (step_gpu.ts; run.sh's stage 'step')
// With names as arguments (e.g. `node benchmarks/gpu/bundle.mjs step_gpu`), only those programs.
import {build} from 'esbuild';
import {readdirSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '..', '..');
const outDir = join(top, '.gpu');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  logLevel: 'warning',
  // tfjs packages declare their kernel-registering modules side-effect free; registration IS the side effect we need.
  ignoreAnnotations: true,
  alias: {ava: join(here, 'ava_shim.ts')},
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: {js: "import {createRequire as __cr} from 'node:module'; const require = __cr(import.meta.url);"},
};

// The kernel-level tests: the backend's kernels/ and gradients/ tests and every @ibotjs/ops test.
const testFiles = readdirSync(join(top, 'packages'), {recursive: true})
    .map((f) => join('packages', String(f)))
    .filter((f) => /^packages\/tfjs-backend-native\/src\/(kernels|gradients)\/.*\.test\.ts$/.test(f) ||
                   /^packages\/ops\/src\/.*\.test\.ts$/.test(f))
    .sort();
const entry = [
  `import {runAll, setCurrentFile} from ${JSON.stringify(join(here, 'ava_shim.ts'))};`,
  ...testFiles.map((f) => `setCurrentFile(${JSON.stringify(f)}); await import(${JSON.stringify(join(top, f))});`),
  'const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;',
  'const {passed, failed} = await runAll(filter);',
  "console.log(`cuda parity: ${passed} passed, ${failed} failed`);",
  'process.exitCode = failed ? 1 : 0;',
].join('\n');
const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);
const built = [];
if (wanted('parity')) {
  await build({...common, stdin: {contents: entry, resolveDir: top, sourcefile: 'parity_entry.ts', loader: 'ts'},
               outfile: join(outDir, 'parity.mjs')});
  built.push(`parity.mjs (${testFiles.length} test files)`);
}
for (const name of ['kernels_gpu', 'fused_gpu', 'step_gpu']) {
  if (!wanted(name)) continue;
  // sharp (image decoding, loaded on first use by @ibotjs/data) is never reached by these programs and has native parts.
  await build({...common, entryPoints: [join(here, `${name}.ts`)], outfile: join(outDir, `${name}.mjs`),
               external: ['sharp']});
  built.push(`${name}.mjs`);
}
console.log(`bundled into ${relative(top, outDir)}/: ${built.join(', ')}`);
