// Entry point of the `ibot` command: runs the program and turns errors into one line on stderr and exit code 1
// (usage errors: commander's message and exit code 1 as well).
import {pathToFileURL} from 'node:url';

import {CommanderError} from 'commander';

import {createProgram} from './program.js';
import type {Io} from './train_command.js';

/** Runs `ibot` with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = {stdout: process.stdout, stderr: process.stderr}): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], {from: 'user'});
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : e.exitCode || 1;
    io.stderr.write(`ibot: error: ${(e as Error).message}\n`);
    if (process.env['IBOT_DEBUG']) io.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

// Run directly (tsx packages/cli/src/main.ts, the root script `pnpm ibot`); bin/ibot.mjs calls main() itself.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e: unknown) => {
    process.stderr.write(`ibot: error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
