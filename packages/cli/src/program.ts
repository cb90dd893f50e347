// The `ibot` command line (commander): `ibot train` with every hyper-parameter as a flag, `ibot info`. Built by a
// function so that tests can parse arguments and capture output without a child process.
import {createRequire} from 'node:module';

import {presets} from '@ibotjs/ibot';
import {Command, InvalidArgumentError, Option} from 'commander';

import {type AttentionOptions, runAttention} from './attention_command.js';
import {type ConvertCliOptions, runConvert} from './convert_command.js';
import {DEVICES} from './device.js';
import {type EvalClusterOptions, runEvalCluster} from './eval_cluster_command.js';
import {type EvalKnnOptions, runEvalKnn} from './eval_command.js';
import {type EvalLinearOptions, runEvalLinear} from './eval_linear_command.js';
import {type ExportFeaturesOptions, runExportFeatures} from './export_features_command.js';
import {collectInfo, formatInfo} from './info_command.js';
import {addPlaceFlags, addSourceFlags, FEATURE_SOURCE} from './source_flags.js';
import {parseChoice, parseCountOrFraction, parseInteger, parseNumber, parseNumberList} from './parse.js';
import {flagName, presetDefaults, TRAIN_FLAGS} from './train_flags.js';
import {type Io, runTrain, type TrainCliOptions} from './train_command.js';

const TRAIN_DESCRIPTION = 'Pre-train a Vision Transformer with iBOT (masked image modelling with an online tokenizer), then ' +
    'report the k-NN accuracy of its teacher on held-out images.';

const TRAIN_DETAILS = `
Settings: preset < the saved run (with --resume) < --config FILE.json < flags. The preset values of each
hyper-parameter are shown in parentheses.

Written into --output:
  config.json    the resolved configuration (reusable with --config)
  cli.json       the preset, --data and --held-out of the run (read back by --resume)
  log.jsonl      one JSON line per step (type "step": loss, cls, patch, lr, wd, momentum, temperatures,
                 images/s), plus "epoch", "knn" and "run" lines
  checkpoints/   student, teacher, optimizer, centres and RNG state (safetensors + JSON, crash-safe);
                 the newest few are kept
  loss.png       the loss curve (total, CLS and patch terms)
  knn.json       the k-NN result (IBOT_SPEC §6.2: teacher, final-normed CLS, L2-normalised, cosine
                 top-k with exp(sim/T) voting, top-1 and top-5)

Ctrl-C stops after the current step and writes a checkpoint; continue with --output DIR --resume.
`;

const TRAIN_EXAMPLES = `
Examples:
  ibot train                                         the default: fmnist-vit-tiny on the embedded Fashion-MNIST
  ibot train --epochs 10 --batch-size 128 --output runs/a
  ibot train --output runs/a --resume                continue runs/a after an interruption
  ibot train --preset vit-s16-imagenet --data /data/imagenet/train --device cuda
  ibot train --config my.json --lr 5e-4              a JSON file of config fields (camelCase), one flag on top`;

/** This package's version (package.json sits one folder above both src/ and dist/). */
const CLI_VERSION = (createRequire(import.meta.url)('../package.json') as {version: string}).version;

function parsePositive(v: string): number {
  const t = parseNumber(v);
  if (!(t > 0)) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return t;
}

function parsePositiveList(v: string): number[] {
  const xs = parseNumberList(v);
  if (!xs.every((x) => x > 0)) throw new InvalidArgumentError(`expected comma-separated positive numbers, got '${v}'`);
  return xs;
}

function parseNonNegative(v: string): number {
  const t = parseNumber(v);
  if (!(t >= 0)) throw new InvalidArgumentError(`expected a number ≥ 0, got '${v}'`);
  return t;
}

function parseFraction(v: string): number {
  const t = parseNumber(v);
  if (!(t >= 0 && t <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1], got '${v}'`);
  return t;
}

export function createProgram(io: Io): Command {
  const program = new Command('ibot')
    .description('iBOT self-supervised pre-training of Vision Transformers on TensorFlow.js with a native CPU/CUDA backend')
    .configureOutput({writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s)})
    .version(CLI_VERSION, '-V, --version', 'print the version of ibotjs')
    .showHelpAfterError('(run with --help for usage)')
    // Errors become CommanderError exceptions (main() turns them into exit codes); set before the subcommands are
    // added, which inherit it.
    .exitOverride();

  const train = program.command('train').summary('pre-train a ViT with iBOT, then report the k-NN accuracy of its teacher').description(TRAIN_DESCRIPTION).addHelpText('after', TRAIN_DETAILS + TRAIN_EXAMPLES);
  train.optionsGroup('Run:');
  train.addOption(new Option('-p, --preset <name>', 'starting configuration').choices(Object.keys(presets)).default(undefined, 'fmnist-vit-tiny'));
  train.option('-c, --config <file.json>', 'JSON object of config fields (camelCase names, as in config.json) applied over the preset');
  train.option('-d, --data <source>',
      "training images: 'embedded' (the Fashion-MNIST 10k split shipped with ibotjs), 'fmnist' (the Debian package " +
      "dataset-fashion-mnist: train on its 60k, k-NN on its 10k test split), 'synthetic[:N]' (generated, for smoke tests), " +
      'or a folder: Fashion-MNIST IDX files, or an ImageFolder of JPEG/PNG (one sub-folder per class)', undefined);
  train.option('--held-out <n|fraction>', 'images held out of training for the k-NN test set (default 0.2), unless the data has a test split', parseCountOrFraction);
  train.addOption(new Option('--device <name>', 'where to compute: native (C++ CPU), cuda (GPU), wasm, cpu (tfjs)').choices(DEVICES).default(undefined, 'cuda if usable, else native'));
  train.option('--threads <n>', 'CPU threads of the native device (default: all cores)', (v) => parseInteger(v, 1));
  train.option('-o, --output <dir>', 'run folder (default runs/<preset>-<time>)');
  train.option('--resume', 'continue the run in --output from its latest checkpoint (settings are read from the folder)');
  train.option('--no-progress', 'no progress bar or step lines');
  train.option('--log-every <n>', 'when stderr is not a terminal: a progress line every n steps (default 10)', (v) => parseInteger(v, 1));
  train.optionsGroup('k-NN evaluation at the end (IBOT_SPEC §6.2):');
  train.option('--no-knn', 'skip the k-NN evaluation');
  train.option('--knn-k <k>', 'neighbours (default 20)', (v) => parseInteger(v, 1));
  train.option('--knn-t <T>', 'temperature of the exp(sim/T) vote (default 0.07)', parsePositive);
  train.option('--avgpool <0|1|2>', 'features: 0 CLS (default), 1 mean patch token, 2 both', (v) => Number(parseChoice(['0', '1', '2'] as const)(v)));
  train.option('--eval-batch-size <n>', 'images per forward pass when extracting features (default 256)', (v) => parseInteger(v, 1));
  let group = '';
  for (const f of TRAIN_FLAGS) {
    if (f.group !== group) train.optionsGroup((group = f.group));
    train.option(`--${flagName(f.key)} <${f.arg}>`, `${f.help} ${presetDefaults(f.key, presets)}`, f.parse);
  }
  train.action(async (opts: TrainCliOptions) => {
    await runTrain(opts, io);
  });

  const evalCmd = program.command('eval').description('evaluate the features of a trained run or of a baseline (IBOT_SPEC §6)');
  const knn = evalCmd.command('knn')
    .summary('k-NN accuracy (k = 10, 20, 100, 200; IBOT_SPEC §6.2)')
    .description("k-NN accuracy of a run's checkpoint (IBOT_SPEC §6.2: final-normed CLS, L2-normalised, cosine top-k, " +
                 'exp(sim/T) voting) on the run\'s held-out images, for several k from one similarity pass');
  addSourceFlags(knn, FEATURE_SOURCE);
  knn
    .option('--knn-k <k[,k...]>', 'neighbours (default 10,20,100,200)', (v) => parseNumberList(v).map((k) => parseInteger(String(k), 1)))
    .option('--knn-t <T>', 'temperature of the exp(sim/T) vote (default 0.07)', parsePositive)
    .option('--avgpool <0|1|2>', 'features: 0 CLS (default), 1 mean patch token, 2 both', (v) => Number(parseChoice(['0', '1', '2'] as const)(v)));
  addPlaceFlags(knn);
  knn.action(async (opts: EvalKnnOptions) => {
    await runEvalKnn(opts, io);
  });

  const cluster = evalCmd.command('cluster')
    .summary('clustering by the head\'s prototypes: NMI, ARI, FMI, Hungarian accuracy (§6.6)')
    .description('unsupervised classification (IBOT_SPEC §6.6): each image goes to the argmax of the head\'s CLS logits ' +
                 'over its K prototypes (raw logits, no centring); NMI, ARI, Fowlkes-Mallows and Hungarian-matched accuracy ' +
                 'against the labels');
  addSourceFlags(cluster, {
    baselines: ['random'], baselineHelp: 'cluster with a randomly initialised ViT and head of the preset instead of a run',
    presetShapes: 'the ViT and head', keyHelp: 'backbone and head to use',
  });
  cluster
    .addOption(new Option('--split <which>', 'images to cluster').choices(['held-out', 'train']).default('held-out'));
  addPlaceFlags(cluster);
  cluster.action(async (opts: EvalClusterOptions) => {
    await runEvalCluster(opts, io);
  });

  const linear = evalCmd.command('linear')
    .summary('linear-probe accuracy over a sweep of learning rates (§6.3)')
    .description("linear-probe accuracy of a run's checkpoint (IBOT_SPEC §6.3): frozen features of the training images, " +
                 'one linear classifier per learning rate trained together (SGD momentum 0.9, lr × batch/256, cosine to 0 ' +
                 'per epoch, weights ~ N(0, 0.01²)), validated every epoch on the held-out images; the best top-1 over ' +
                 'all learning rates and epochs is reported. Deviation from §6.3: the features are computed once from the ' +
                 'centre view, so the training augmentation (RandomResizedCrop + flip) is not applied');
  addSourceFlags(linear, FEATURE_SOURCE);
  linear
    .option('--epochs <n>', 'training epochs (default 100)', (v) => parseInteger(v, 1))
    .option('--batch-size <n>', 'training features per SGD step (default 128)', (v) => parseInteger(v, 1))
    .option('--lrs <lr[,lr...]>', 'learning rates for a batch of 256, one classifier each (default: the official 45, {1..9} × {1e-4, 1e-3, 1e-2, 1e-1, 1})',
            parsePositiveList)
    .option('--weight-decay <wd>', 'L2 penalty of SGD (default 0)', parseNonNegative)
    .option('--n-last-blocks <n>', 'concatenate the final-normed CLS of the last n blocks (default: 4 for tiny/small, 1 for base/large)',
            (v) => parseInteger(v, 1))
    .option('--avgpool <0|1|2>', 'features: 0 CLS (default for tiny/small), 1 mean patch token, 2 CLS + mean patch token (default for base/large)',
            (v) => Number(parseChoice(['0', '1', '2'] as const)(v)))
    .option('--eval-every <n>', 'validate every n epochs (and after the last; default 1)', (v) => parseInteger(v, 1))
    .option('--seed <n>', 'seeds the weight init and the shuffles (default 0)', (v) => parseInteger(v, 0))
    .option('--json <file>', 'also write every learning rate\'s best result and the validation history as JSON');
  addPlaceFlags(linear, {
    heldOutHelp: "held-out part, the validation set (default: the run's)",
    evalBatchHelp: 'images per forward pass when extracting features (default 256)',
  });
  linear.action(async (opts: EvalLinearOptions) => {
    await runEvalLinear(opts, io);
  });

  const attention = program.command('attention')
    .summary('per-head [CLS] attention maps of the last block, as PNG (§6.7)')
    .description("attention maps of the last block's [CLS] query, one per head (IBOT_SPEC §6.7, DINO's " +
                 'visualize_attention.py): per image <name>-attn-head<h>.png (the map, scaled to 0..255), ' +
                 "<name>-mask-head<h>.png (the patches holding the top --threshold of the head's mass) and " +
                 '<name>-overlay.png (the mean map over the heads, in colour over the image)')
    .argument('[images...]', 'JPEG/PNG files (grey for a 1-channel model); resized to --image-size');
  addSourceFlags(attention, {
    baselines: ['random'], baselineHelp: 'a randomly initialised ViT of the preset instead of a run', presetShapes: 'the ViT',
    keyHelp: 'backbone',
  });
  attention
    .option('--image-size <px>', "side of the square images (default: the model's imgSize; a multiple of the patch size, " +
            'other sizes through position-embedding interpolation)', (v) => parseInteger(v, 1))
    .option('--threshold <t>', 'mass kept by the masks, in [0, 1] (default 0.6)', parseFraction)
    .option('--out-dir <dir>', 'where the PNGs go (default ./attention)')
    .option('--from-data <n>', 'also the first n held-out images of the data (named sample<i>-label<k>)', (v) => parseInteger(v, 1));
  addPlaceFlags(attention, {dataHelp: "images for --from-data (default: the run's --data), as for ibot train", evalBatchHelp: null});
  attention.action(async (images: string[], opts: AttentionOptions) => {
    await runAttention(images, opts, io);
  });

  const exportFeatures = program.command('export-features')
    .summary('write frozen features and labels to safetensors or .npy')
    .description('write the frozen features (IBOT_SPEC §6.1: eval mode, centre view) and labels of the training and/or ' +
                 'held-out images: one safetensors file (tensors train.features [N, D] F32, train.labels [N] I32, ' +
                 'held-out.features, held-out.labels; metadata: source, model, avgpool, l2) or .npy files ' +
                 '(<prefix>-train-features.npy, <prefix>-train-labels.npy, ...)');
  addSourceFlags(exportFeatures, FEATURE_SOURCE);
  exportFeatures
    .addOption(new Option('--split <which>', 'images to export').choices(['train', 'held-out', 'both']).default('both'))
    .option('--avgpool <0|1|2>', 'features: 0 CLS (default), 1 mean patch token, 2 both', (v) => Number(parseChoice(['0', '1', '2'] as const)(v)))
    .option('--l2', 'L2-normalise each feature (default: as the backbone gives them)')
    .addOption(new Option('--format <which>', 'file format').choices(['safetensors', 'npy']).default('safetensors'))
    .option('--out <path>', 'the safetensors file, or the .npy prefix (default <run>/features[.safetensors], or ' +
            'features-<baseline>[.safetensors] here); written atomically');
  addPlaceFlags(exportFeatures);
  exportFeatures.action(async (opts: ExportFeaturesOptions) => {
    await runExportFeatures(opts, io);
  });

  program.command('convert')
    .summary('convert an official iBOT/DINO .pth checkpoint to safetensors, without Python')
    .description('convert an official iBOT/DINO PyTorch checkpoint (.pth) into a safetensors file of the backbone ' +
                 '(official parameter names and shapes, what vit.loadStateDict reads), without Python: the .pth is ' +
                 'read by a restricted reader that accepts state dicts and tensor storage only')
    .argument('<input.pth>', 'the PyTorch checkpoint (a full training checkpoint or a released backbone)')
    .argument('<output.safetensors>', 'where to write the backbone (atomically)')
    .addOption(new Option('--key <which>', 'network of a full training checkpoint').choices(['teacher', 'student'])
                   .default('teacher'))
    .option('--with-head', "also write the projection head's parameters, under 'head.'")
    .option('--allow-args', "read the 'args' namespace of full training checkpoints as plain data (otherwise refused)")
    .action((input: string, output: string, opts: ConvertCliOptions) => {
      runConvert(input, output, opts, io);
    });

  program.command('info')
    .summary('devices, build and versions')
    .description('print the devices (native CPU, CUDA GPUs, wasm, cpu), what the native binary was built with, and versions')
    .option('--json', 'machine-readable output')
    .action(async (opts: {json?: boolean}) => {
      const report = await collectInfo();
      io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatInfo(report));
    });
  return program;
}
