// The ViT's parameters as specifications: official names in the official order (PyTorch's named_parameters), the
// PyTorch shape, our on-device shape and how to initialise each (IBOT_SPEC §1.11). Counting needs no allocation.
import {gridSize, mlpHidden, type ViTConfig} from './config.js';

/**
 * How a parameter's PyTorch layout maps to ours:
 * - 'same': identical (cls_token, pos_embed, masked_embed, biases, LayerNorm);
 * - 'linear': PyTorch [out, in] ↔ ours [in, out] (transposed, so y = x·W + b);
 * - 'patch': the patch conv, PyTorch [D, C, p, p] ↔ ours [p·p·C, D] with row (py·p + px)·C + c, the order of a
 *   channels-last patch flattened row-major.
 */
export type ParamLayout = 'same' | 'linear' | 'patch';

/**
 * 'truncNormal': N(0, 0.02²) truncated at the absolute bounds ±2; 'zeros'; 'ones'; 'convUniform': PyTorch's default
 * Conv2d init, U(−1/√fan_in, 1/√fan_in) with fan_in = C·p·p, for the patch weight and bias alike.
 */
export type ParamInit = 'truncNormal' | 'zeros' | 'ones' | 'convUniform';

export interface ParamSpec {
  name: string;
  /** PyTorch (state-dict) shape. */
  torchShape: number[];
  /** Our shape (what the Variable holds). */
  shape: number[];
  layout: ParamLayout;
  init: ParamInit;
}

/** Every parameter of the backbone, in the official order. */
export function paramSpecs(config: ViTConfig): ParamSpec[] {
  const D = config.embedDim, p = config.patchSize, C = config.inChans, H = mlpHidden(config);
  const n = gridSize(config) ** 2;
  const specs: ParamSpec[] = [];
  const same = (name: string, shape: number[], init: ParamInit) =>
    specs.push({name, torchShape: shape, shape, layout: 'same', init});
  const lin = (name: string, inDim: number, outDim: number, bias: boolean) => {
    specs.push({name: `${name}.weight`, torchShape: [outDim, inDim], shape: [inDim, outDim], layout: 'linear',
                init: 'truncNormal'});
    if (bias) same(`${name}.bias`, [outDim], 'zeros');
  };
  const norm = (name: string) => {
    same(`${name}.weight`, [D], 'ones');
    same(`${name}.bias`, [D], 'zeros');
  };

  // Parameters of the module itself come first in named_parameters, then the submodules in creation order.
  same('cls_token', [1, 1, D], 'truncNormal');
  same('pos_embed', [1, 1 + n, D], 'truncNormal');
  if (config.maskedImModeling) same('masked_embed', [1, D], 'zeros');
  specs.push({name: 'patch_embed.proj.weight', torchShape: [D, C, p, p], shape: [p * p * C, D], layout: 'patch',
              init: 'convUniform'});
  same('patch_embed.proj.bias', [D], 'convUniform');
  for (let i = 0; i < config.depth; i++) {
    const b = `blocks.${i}`;
    norm(`${b}.norm1`);
    lin(`${b}.attn.qkv`, D, 3 * D, config.qkvBias);
    lin(`${b}.attn.proj`, D, D, true);
    norm(`${b}.norm2`);
    lin(`${b}.mlp.fc1`, D, H, true);
    lin(`${b}.mlp.fc2`, H, D, true);
  }
  norm('norm');
  return specs;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Number of scalars in the backbone (incl. masked_embed for a student), computed from shapes alone. */
export function countParameters(config: ViTConfig): number {
  return paramSpecs(config).reduce((acc, s) => acc + sizeOf(s.shape), 0);
}
