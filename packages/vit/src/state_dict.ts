// State dicts with the official names and PyTorch shapes, and the one-time conversions between PyTorch layouts and
// ours (IBOT_SPEC §1.2, DESIGN §6). A state dict holds host arrays: what a safetensors file stores, with no device
// memory to manage.
import type {ParamSpec} from './params.js';
import {sizeOf} from './params.js';

/** One tensor of a state dict: PyTorch shape and row-major float32 values. */
export interface StateDictEntry {
  shape: number[];
  data: Float32Array;
}

/** name → tensor, PyTorch shapes (e.g. blocks.0.attn.qkv.weight [3D, D], patch_embed.proj.weight [D, C, p, p]). */
export type StateDict = Record<string, StateDictEntry>;

/** What a non-strict load reports, as PyTorch's load_state_dict(strict=False) does. */
export interface LoadResult {
  /** Parameters of the model the dict does not have (they keep their values). */
  missingKeys: string[];
  /** Names in the dict the model has no parameter for (ignored). */
  unexpectedKeys: string[];
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Our layout → PyTorch layout (a new array). */
export function toTorchLayout(spec: ParamSpec, ours: Float32Array): Float32Array {
  switch (spec.layout) {
    case 'same':
      return Float32Array.from(ours);
    case 'linear': {
      const [inDim, outDim] = spec.shape as [number, number];
      const t = new Float32Array(ours.length);  // [out, in]
      for (let i = 0; i < inDim; i++) {
        for (let o = 0; o < outDim; o++) t[o * inDim + i] = ours[i * outDim + o]!;
      }
      return t;
    }
    case 'patch': {
      const [D, C, p] = spec.torchShape as [number, number, number, number];
      const t = new Float32Array(ours.length);  // [D, C, p, p]
      for (let py = 0; py < p; py++) {
        for (let px = 0; px < p; px++) {
          for (let c = 0; c < C; c++) {
            const row = ((py * p + px) * C + c) * D;
            for (let d = 0; d < D; d++) t[((d * C + c) * p + py) * p + px] = ours[row + d]!;
          }
        }
      }
      return t;
    }
  }
}

/** PyTorch layout → our layout (a new array). */
export function fromTorchLayout(spec: ParamSpec, torch: Float32Array): Float32Array {
  switch (spec.layout) {
    case 'same':
      return Float32Array.from(torch);
    case 'linear': {
      const [inDim, outDim] = spec.shape as [number, number];
      const ours = new Float32Array(torch.length);  // [in, out]
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) ours[i * outDim + o] = torch[o * inDim + i]!;
      }
      return ours;
    }
    case 'patch': {
      const [D, C, p] = spec.torchShape as [number, number, number, number];
      const ours = new Float32Array(torch.length);  // [p·p·C, D]
      for (let d = 0; d < D; d++) {
        for (let c = 0; c < C; c++) {
          for (let py = 0; py < p; py++) {
            for (let px = 0; px < p; px++) ours[((py * p + px) * C + c) * D + d] = torch[((d * C + c) * p + py) * p + px]!;
          }
        }
      }
      return ours;
    }
  }
}

export interface MatchOptions {
  strict: boolean;
  /** Only names starting with it are considered, with it removed (e.g. 'backbone.' in a full iBOT checkpoint). */
  prefix: string;
}

/**
 * Matches a dict against the parameter specs: checks every shape and returns the values in our layout keyed by
 * parameter name, plus the missing and unexpected names. Throws (naming every problem) on a shape or dtype mismatch
 * always, and on missing or unexpected names when strict; nothing is converted unless everything matches.
 */
export function matchStateDict(specs: readonly ParamSpec[], dict: Readonly<Record<string, StateDictEntry>>,
                               opts: MatchOptions): {values: Map<string, Float32Array>} & LoadResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const unexpectedKeys: string[] = [];
  const problems: string[] = [];
  const accepted: [ParamSpec, Float32Array][] = [];
  for (const [key, entry] of Object.entries(dict)) {
    if (!key.startsWith(opts.prefix)) continue;
    const name = key.slice(opts.prefix.length);
    const spec = byName.get(name);
    if (!spec) {
      unexpectedKeys.push(key);
      continue;
    }
    seen.add(name);
    if (!entry || !Array.isArray(entry.shape) || !(entry.data instanceof Float32Array)) {
      problems.push(`${key}: expected {shape, data: Float32Array}`);
      continue;
    }
    const same = entry.shape.length === spec.torchShape.length && entry.shape.every((d, i) => d === spec.torchShape[i]);
    if (!same) {
      problems.push(`${key}: shape ${shapeStr(entry.shape)} in the dict, ${shapeStr(spec.torchShape)} in the model`);
      continue;
    }
    if (entry.data.length !== sizeOf(spec.torchShape)) {
      problems.push(`${key}: ${entry.data.length} values for shape ${shapeStr(entry.shape)}`);
      continue;
    }
    accepted.push([spec, entry.data]);
  }
  const missingKeys = specs.filter((s) => !seen.has(s.name)).map((s) => opts.prefix + s.name);
  if (opts.strict) {
    if (missingKeys.length) problems.push(`missing: ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length) problems.push(`unexpected: ${unexpectedKeys.join(', ')}`);
  }
  if (problems.length) throw new Error(`loadStateDict: ${problems.join('; ')}`);
  const values = new Map(accepted.map(([spec, data]) => [spec.name, fromTorchLayout(spec, data)]));
  return {values, missingKeys, unexpectedKeys};
}
