// `ibot export-features`: the frozen features (IBOT_SPEC §6.1) of a run's backbone, a random ViT or raw pixels on the
// training and/or held-out images, with their labels, for use outside ibotjs: one safetensors file, or .npy files that
// numpy.load reads.
import {mkdirSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';

import type {Dataset} from '@ibotjs/data';
import {type AvgPool, encodeNpy, extractFeatures} from '@ibotjs/eval';
import {encodeSafetensors, type FloatTensor, type IntTensor, writeFileAtomicSync} from '@ibotjs/ibot';

import {type EvalSource, type EvalSourceOptions, openEvalSource} from './eval_backbone.js';
import type {Io} from './train_command.js';

export type FeatureSplit = 'train' | 'held-out' | 'both';
export type FeatureFormat = 'safetensors' | 'npy';

export interface ExportFeaturesOptions extends EvalSourceOptions {
  split?: FeatureSplit;
  avgpool?: AvgPool;
  /** L2-normalise each feature (default off: the features as the backbone gives them). */
  l2?: boolean;
  format?: FeatureFormat;
  /** The safetensors file, or the prefix of the .npy files (default: <run>/features, or features-<baseline>). */
  out?: string;
  evalBatchSize?: number;
}

/** One exported array: the tensor name (safetensors) or file (npy), its shape and dtype. */
export interface ExportedArray {
  name: string;
  path: string;
  shape: number[];
  dtype: 'F32' | 'I32';
}

/** Fixed-size images of the model's size are used as they are; others get the protocol's resize (256/224) + centre
 * crop, as the k-NN evaluation does (knn_step.ts). */
function resizeFor(ds: Dataset, size: number): number {
  return ds.imageShape && ds.imageShape[0] === size && ds.imageShape[1] === size ? size : Math.round((size * 256) / 224);
}

function describeModel(src: EvalSource): string {
  if (src.vit === null) return 'raw pixels';
  const c = src.vit.config;
  return JSON.stringify({arch: src.config.arch, embedDim: c.embedDim, depth: c.depth, numHeads: c.numHeads, patchSize: c.patchSize,
                         imgSize: c.imgSize, inChans: c.inChans});
}

export async function runExportFeatures(o: ExportFeaturesOptions, io: Io): Promise<ExportedArray[]> {
  const split = o.split ?? 'both';
  const format = o.format ?? 'safetensors';
  if (!['train', 'held-out', 'both'].includes(split)) throw new Error(`ibot export-features: --split must be train, held-out or both, got '${split}'`);
  if (format !== 'safetensors' && format !== 'npy') throw new Error(`ibot export-features: --format must be safetensors or npy, got '${String(format)}'`);
  const src = await openEvalSource(o, 'ibot export-features');
  try {
    const avgpool = o.avgpool ?? 0;
    const l2 = o.l2 ?? false;
    const size = src.config.imgSize;
    const base = o.out ?? (o.output !== undefined ? join(o.output, 'features') : `features-${o.baseline}`);
    const out = resolve(format === 'safetensors' && o.out === undefined ? `${base}.safetensors` : base);
    io.stderr.write(`ibot export-features: ${src.description}\n`);

    const splits: Array<[string, Dataset]> = [];
    if (split !== 'held-out') splits.push(['train', src.data.train]);
    if (split !== 'train') splits.push(['held-out', src.data.heldOut]);
    const tensors = new Map<string, FloatTensor | IntTensor>();
    for (const [name, ds] of splits) {
      const {features, labels} = await extractFeatures(src.vit, ds, {
        batchSize: o.evalBatchSize ?? 256, avgpool, imageSize: size, resize: resizeFor(ds, size), mean: src.norm.mean, std: src.norm.std, normalize: l2,
      });
      try {
        tensors.set(`${name}.features`, {shape: features.shape.slice(), data: (await features.data()) as Float32Array}); // [N, D]
        tensors.set(`${name}.labels`, {shape: [labels.length], data: labels}); // [N]
      } finally {
        features.dispose();
      }
    }

    mkdirSync(dirname(out), {recursive: true});
    const written: ExportedArray[] = [];
    const dtypeOf = (t: FloatTensor | IntTensor) => (t.data instanceof Int32Array ? 'I32' : 'F32');
    if (format === 'safetensors') {
      const metadata = {
        source: src.description, model: describeModel(src), avgpool: String(avgpool), l2: String(l2), image_size: String(size),
        normalization: JSON.stringify(src.norm),
      };
      writeFileAtomicSync(out, encodeSafetensors(tensors, metadata));
      for (const [name, t] of tensors) written.push({name, path: out, shape: t.shape, dtype: dtypeOf(t)});
      io.stdout.write(`wrote ${out}: ${written.map((w) => `${w.name} [${w.shape.join(', ')}] ${w.dtype}`).join(', ')}\n`);
    } else {
      for (const [name, t] of tensors) {
        const path = `${out}-${name.replace('.', '-')}.npy`;
        writeFileAtomicSync(path, encodeNpy(t.data, t.shape));
        written.push({name, path, shape: t.shape, dtype: dtypeOf(t)});
        io.stdout.write(`wrote ${path}: [${t.shape.join(', ')}] ${t.data instanceof Int32Array ? 'int32' : 'float32'}\n`);
      }
    }
    return written;
  } finally {
    src.vit?.dispose();
  }
}
