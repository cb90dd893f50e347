#!/usr/bin/env node
// The `ibot` command: runs the compiled CLI (dist/). In a source checkout, build first (`pnpm build`) or run the
// sources directly with `pnpm ibot ...`.
let cli;
try {
  cli = await import('../dist/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write(`ibot: the compiled CLI is missing (${e.message.split('\n')[0]}).\n` +
                       'In a source checkout run `pnpm build` once, or use `pnpm ibot ...` (runs the TypeScript sources).\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
