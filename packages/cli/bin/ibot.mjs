#!/usr/bin/env node
// The `ibot` command: the compiled CLI (dist/, built by `pnpm build`).
import {main} from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
