// The flags every evaluation command shares: what to evaluate (a run folder's checkpoint, or a baseline) and where
// (which images, which device). One definition, so that `eval knn|linear|cluster`, `attention` and `export-features`
// spell, parse and document them the same way.
import {DEFAULT_PRESET} from '@ibotjs/ibot';
import {type Command, Option} from 'commander';

import {DEVICES} from './device.js';
import {parseCountOrFraction, parseInteger} from './parse.js';

export interface SourceFlagTexts {
  /** The --baseline values the command accepts. */
  baselines: ReadonlyArray<'random' | 'pixels'>;
  baselineHelp: string;
  /** What the preset shapes, in `--preset`'s help. */
  presetShapes: string;
  keyHelp: string;
}

/** The source of commands that read features: a run, a random ViT, or raw pixels. */
export const FEATURE_SOURCE: SourceFlagTexts = {
  baselines: ['random', 'pixels'],
  baselineHelp: 'evaluate a reference instead of a run: a randomly initialised ViT of the preset, or raw pixels',
  presetShapes: 'the ViT and its image size',
  keyHelp: 'backbone to evaluate',
};

/** --output, --baseline, --preset, --checkpoint, --key (the options of openEvalSource). */
export function addSourceFlags(cmd: Command, texts: SourceFlagTexts): Command {
  return cmd
    .option('-o, --output <dir>', 'the run folder (written by ibot train)')
    .addOption(new Option('--baseline <which>', texts.baselineHelp).choices([...texts.baselines]))
    .option('--preset <name>', `with --baseline: the preset that shapes ${texts.presetShapes} (default ${DEFAULT_PRESET})`)
    .option('--checkpoint <name>', 'a checkpoint in <dir>/checkpoints (default: the latest)')
    .addOption(new Option('--key <which>', texts.keyHelp).choices(['teacher', 'student']).default('teacher'));
}

export interface PlaceFlagTexts {
  dataHelp?: string;
  heldOutHelp?: string;
  /** --eval-batch-size's help; null: the command has no such flag. */
  evalBatchHelp?: string | null;
}

/** --data, --held-out, --device, --threads and (unless evalBatchHelp is null) --eval-batch-size. */
export function addPlaceFlags(cmd: Command, texts: PlaceFlagTexts = {}): Command {
  cmd.option('-d, --data <source>', texts.dataHelp ?? "images (default: the run's --data), as for ibot train")
    .option('--held-out <n|fraction>', texts.heldOutHelp ?? "held-out part (default: the run's)", parseCountOrFraction)
    .addOption(new Option('--device <name>', 'where to compute').choices(DEVICES).default(undefined, 'cuda if usable, else native'))
    .option('--threads <n>', 'CPU threads of the native device', (v) => parseInteger(v, 1));
  if (texts.evalBatchHelp !== null) {
    cmd.option('--eval-batch-size <n>', texts.evalBatchHelp ?? 'images per forward pass (default 256)', (v) => parseInteger(v, 1));
  }
  return cmd;
}
