// The deterministic inputs of IBOT_SPEC §9: the "f(shape; a, b, c, s)" input convention and the parameter-fill rule
// (official named-parameter order, PyTorch layouts), for tests that compare against the spec's listed values.
import type {FloatTensor} from '../checkpoint/safetensors.js';
import type {ParamInfo} from '../head.js';

/** x[j] = s·sin(a + b·j) + c·cos(0.5·j) over the row-major flattening, as float32. */
export function specInput(shape: readonly number[], a: number, b: number, c: number, s: number): Float32Array {
  const n = shape.reduce((x, y) => x * y, 1);
  return Float32Array.from({length: n}, (_, j) => s * Math.sin(a + b * j) + c * Math.cos(0.5 * j));
}

/** x[j] = sin(a + b·j): the T5/T6/T13 images and token inputs. */
export function sinInput(shape: readonly number[], a: number, b: number): Float32Array {
  const n = shape.reduce((x, y) => x * y, 1);
  return Float32Array.from({length: n}, (_, j) => Math.sin(a + b * j));
}

/**
 * Parameter π of the official order: value[j] = 0.2·sin(1.3π + 0.7 + 0.9j); 1-D LayerNorm weights get
 * 1 + 0.1·sin(...); `weight_g` stays 1.
 */
export function fillRule(index: number, info: ParamInfo, layerNormWeight = false): FloatTensor {
  const n = info.shape.reduce((x, y) => x * y, 1);
  const phase = 1.3 * index + 0.7;
  let data: Float32Array;
  if (info.name.endsWith('weight_g')) data = new Float32Array(n).fill(1);
  else if (layerNormWeight) data = Float32Array.from({length: n}, (_, j) => 1 + 0.1 * Math.sin(phase + 0.9 * j));
  else data = Float32Array.from({length: n}, (_, j) => 0.2 * Math.sin(phase + 0.9 * j));
  return {shape: info.shape.slice(), data};
}

/** A state dict filled by the rule, indices counted from `firstIndex` in the given (official) order. */
export function filledStateDict(infos: readonly ParamInfo[], firstIndex = 0): Map<string, FloatTensor> {
  return new Map(infos.map((p, i) => [p.name, fillRule(firstIndex + i, p)]));
}
