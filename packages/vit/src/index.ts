// @ibotjs/vit: the Vision Transformer of iBOT (IBOT_SPEC §1) on TensorFlow.js: official parameter names and
// PyTorch-shaped state dicts, NHWC images, the student's mask token, exact bicubic position-embedding resize.
export {
  dropPathRates, gridSize, headDim, LAYER_NORM_EPS, mlpHidden, numPatches, resolveViTConfig, VIT_VARIANTS,
  type ViTConfig, type ViTOptions, type ViTVariant,
} from './config.js';
export {countParameters, type ParamInit, type ParamLayout, type ParamSpec, paramSpecs} from './params.js';
export {
  fromTorchLayout, type LoadResult, type StateDict, type StateDictEntry, toTorchLayout,
} from './state_dict.js';
export {bicubicResizeMatrix, cubicTapWeights, interpolatePosEmbed, type ResizeBy, type ResizeMatrix} from './pos_embed.js';
export {extractPatches, patchEmbed} from './patch_embed.js';
export {dropPath} from './drop_path.js';
export {
  type ForwardOptions, prepareTokens, vitForward, vitIntermediateLayers, vitLastSelfAttention, type ViTParams,
} from './forward.js';
export {createViT, type CreateViTOptions, type LoadStateDictOptions, type StateDictOptions, ViT} from './vit.js';
