// `ibot convert`: an official iBOT/DINO PyTorch checkpoint (.pth) → a safetensors file of the backbone (official names,
// PyTorch shapes: what vit.loadStateDict reads), without Python. The .pth is read by @ibotjs/eval's restricted reader:
// state-dict structures and tensor storage only, never object construction or code (anything else is an error).
import {existsSync} from 'node:fs';

import {encodeSafetensors, writeFileAtomicSync} from '@ibotjs/ibot';
import {convertOfficialCheckpoint, readPthFile} from '@ibotjs/eval';

import type {Io} from './train_command.js';

export interface ConvertCliOptions {
  key: 'teacher' | 'student';
  /** Also write the projection head's parameters, under 'head.'. */
  withHead?: boolean;
  /** Read argparse.Namespace objects (the `args` of full training checkpoints) as plain dicts. */
  allowArgs?: boolean;
}

export function runConvert(input: string, output: string, opts: ConvertCliOptions, io: Io): void {
  if (!existsSync(input)) throw new Error(`ibot convert: ${input} does not exist`);
  const obj = readPthFile(input, {namespaces: opts.allowArgs ?? false});
  const converted = convertOfficialCheckpoint(obj, {key: opts.key});
  const names = Object.keys(converted.backbone);
  if (names.length === 0) throw new Error(`ibot convert: ${input} holds no backbone tensors (key '${opts.key}')`);
  const tensors: Record<string, {shape: number[]; data: Float32Array}> = {...converted.backbone};
  if (opts.withHead) {
    for (const [name, t] of Object.entries(converted.head)) tensors[`head.${name}`] = t;
  }
  const params = Object.values(converted.backbone).reduce((n, t) => n + t.data.length, 0);
  // Atomic (temp file, fsync, rename): an interrupted conversion never leaves a truncated file under the output name.
  writeFileAtomicSync(output, encodeSafetensors(tensors, {source: input, key: converted.source || '(the file itself)', format: 'pt'}));
  io.stdout.write(`${output}: ${names.length} backbone tensors (${params.toLocaleString('en-US')} parameters) from ` +
                  `${converted.source ? `'${converted.source}'` : 'the bare state dict'}` +
                  `${opts.withHead ? `, ${Object.keys(converted.head).length} head tensors` : ''}` +
                  `${converted.skipped.length ? `; left out: ${converted.skipped.join(', ')}` : ''}\n`);
}
