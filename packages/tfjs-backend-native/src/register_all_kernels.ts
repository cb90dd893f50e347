// The one list of native kernels, registered for both native backends. Every other kernel tfjs knows (any kernel the
// cpu backend registers) is registered as a counted fallback that runs the cpu kernel through a copy.
import '@tensorflow/tfjs-backend-cpu';  // registers the cpu kernels the fallback runs

import {getKernelsForBackend, type KernelFunc, registerKernel, type TensorInfo} from '@tensorflow/tfjs-core';

import {isNativeDtype, type NativeBackend} from './backend.js';
import type {KernelSpec} from './kernel_utils.js';
// ---- elementwise ----
import {absConfig} from './kernels/Abs.js';
import {addConfig} from './kernels/Add.js';
import {addNConfig} from './kernels/AddN.js';
import {atan2Config} from './kernels/Atan2.js';
import {castConfig} from './kernels/Cast.js';
import {ceilConfig} from './kernels/Ceil.js';
import {clipByValueConfig} from './kernels/ClipByValue.js';
import {cosConfig} from './kernels/Cos.js';
import {eluConfig} from './kernels/Elu.js';
import {eluGradConfig} from './kernels/EluGrad.js';
import {equalConfig} from './kernels/Equal.js';
import {erfConfig} from './kernels/Erf.js';
import {expConfig} from './kernels/Exp.js';
import {expm1Config} from './kernels/Expm1.js';
import {fillConfig} from './kernels/Fill.js';
import {floorConfig} from './kernels/Floor.js';
import {floorDivConfig} from './kernels/FloorDiv.js';
import {greaterConfig} from './kernels/Greater.js';
import {greaterEqualConfig} from './kernels/GreaterEqual.js';
import {isFiniteConfig} from './kernels/IsFinite.js';
import {isInfConfig} from './kernels/IsInf.js';
import {isNanConfig} from './kernels/IsNan.js';
import {leakyReluConfig} from './kernels/LeakyRelu.js';
import {lessConfig} from './kernels/Less.js';
import {lessEqualConfig} from './kernels/LessEqual.js';
import {logConfig} from './kernels/Log.js';
import {log1pConfig} from './kernels/Log1p.js';
import {logicalAndConfig} from './kernels/LogicalAnd.js';
import {logicalNotConfig} from './kernels/LogicalNot.js';
import {logicalOrConfig} from './kernels/LogicalOr.js';
import {maximumConfig} from './kernels/Maximum.js';
import {minimumConfig} from './kernels/Minimum.js';
import {modConfig} from './kernels/Mod.js';
import {multiplyConfig} from './kernels/Multiply.js';
import {negConfig} from './kernels/Neg.js';
import {notEqualConfig} from './kernels/NotEqual.js';
import {onesLikeConfig} from './kernels/OnesLike.js';
import {powConfig} from './kernels/Pow.js';
import {preluConfig} from './kernels/Prelu.js';
import {rangeConfig} from './kernels/Range.js';
import {realDivConfig} from './kernels/RealDiv.js';
import {reciprocalConfig} from './kernels/Reciprocal.js';
import {reluConfig} from './kernels/Relu.js';
import {relu6Config} from './kernels/Relu6.js';
import {roundConfig} from './kernels/Round.js';
import {rsqrtConfig} from './kernels/Rsqrt.js';
import {selectConfig} from './kernels/Select.js';
import {seluConfig} from './kernels/Selu.js';
import {sigmoidConfig} from './kernels/Sigmoid.js';
import {signConfig} from './kernels/Sign.js';
import {sinConfig} from './kernels/Sin.js';
import {softplusConfig} from './kernels/Softplus.js';
import {sqrtConfig} from './kernels/Sqrt.js';
import {squareConfig} from './kernels/Square.js';
import {squaredDifferenceConfig} from './kernels/SquaredDifference.js';
import {stepConfig} from './kernels/Step.js';
import {subConfig} from './kernels/Sub.js';
import {tanhConfig} from './kernels/Tanh.js';
import {zerosLikeConfig} from './kernels/ZerosLike.js';
// ---- reduce ----
import {allConfig} from './kernels/All.js';
import {anyConfig} from './kernels/Any.js';
import {argMaxConfig} from './kernels/ArgMax.js';
import {argMinConfig} from './kernels/ArgMin.js';
import {cumprodConfig} from './kernels/Cumprod.js';
import {cumsumConfig} from './kernels/Cumsum.js';
import {maxConfig} from './kernels/Max.js';
import {meanConfig} from './kernels/Mean.js';
import {minConfig} from './kernels/Min.js';
import {prodConfig} from './kernels/Prod.js';
import {softmaxConfig} from './kernels/Softmax.js';
import {sumConfig} from './kernels/Sum.js';
import {topKConfig} from './kernels/TopK.js';
// ---- matmul ----
import {_fusedMatMulConfig} from './kernels/_FusedMatMul.js';
import {batchMatMulConfig} from './kernels/BatchMatMul.js';
// ---- layout ----
import {concatConfig} from './kernels/Concat.js';
import {gatherNdConfig} from './kernels/GatherNd.js';
import {gatherV2Config} from './kernels/GatherV2.js';
import {identityConfig} from './kernels/Identity.js';
import {mirrorPadConfig} from './kernels/MirrorPad.js';
import {oneHotConfig} from './kernels/OneHot.js';
import {packConfig} from './kernels/Pack.js';
import {padV2Config} from './kernels/PadV2.js';
import {reshapeConfig} from './kernels/Reshape.js';
import {reverseConfig} from './kernels/Reverse.js';
import {scatterNdConfig} from './kernels/ScatterNd.js';
import {sliceConfig} from './kernels/Slice.js';
import {splitVConfig} from './kernels/SplitV.js';
import {stridedSliceConfig} from './kernels/StridedSlice.js';
import {tileConfig} from './kernels/Tile.js';
import {transposeConfig} from './kernels/Transpose.js';
import {unpackConfig} from './kernels/Unpack.js';
import {unsortedSegmentSumConfig} from './kernels/UnsortedSegmentSum.js';
// ---- conv ----
import {conv2DConfig} from './kernels/Conv2D.js';
import {conv2DBackpropFilterConfig} from './kernels/Conv2DBackpropFilter.js';
import {conv2DBackpropInputConfig} from './kernels/Conv2DBackpropInput.js';
// ---- attention ----
// ---- norm ----
// ---- distill ----
// ---- mask ----
import {blockMaskConfig} from './kernels/BlockMask.js';
import {maskApplyConfig} from './kernels/MaskApply.js';
import {maskApplyGradConfig} from './kernels/MaskApplyGrad.js';
// ---- optim ----

export const nativeKernels: readonly KernelSpec[] = [
  // ---- elementwise ----
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  squaredDifferenceConfig,
  maximumConfig,
  minimumConfig,
  powConfig,
  floorDivConfig,
  modConfig,
  atan2Config,
  preluConfig,
  eluGradConfig,
  equalConfig,
  notEqualConfig,
  lessConfig,
  lessEqualConfig,
  greaterConfig,
  greaterEqualConfig,
  logicalAndConfig,
  logicalOrConfig,
  negConfig,
  squareConfig,
  sqrtConfig,
  rsqrtConfig,
  expConfig,
  expm1Config,
  logConfig,
  log1pConfig,
  erfConfig,
  tanhConfig,
  absConfig,
  signConfig,
  reluConfig,
  relu6Config,
  eluConfig,
  seluConfig,
  leakyReluConfig,
  stepConfig,
  sigmoidConfig,
  softplusConfig,
  floorConfig,
  ceilConfig,
  roundConfig,
  reciprocalConfig,
  logicalNotConfig,
  isNanConfig,
  isInfConfig,
  isFiniteConfig,
  sinConfig,
  cosConfig,
  clipByValueConfig,
  castConfig,
  selectConfig,
  addNConfig,
  fillConfig,
  zerosLikeConfig,
  onesLikeConfig,
  rangeConfig,
  // ---- reduce ----
  allConfig,
  anyConfig,
  argMaxConfig,
  argMinConfig,
  cumprodConfig,
  cumsumConfig,
  maxConfig,
  meanConfig,
  minConfig,
  prodConfig,
  softmaxConfig,
  sumConfig,
  topKConfig,
  // ---- matmul ----
  batchMatMulConfig,
  _fusedMatMulConfig,
  // ---- layout ----
  concatConfig,
  gatherNdConfig,
  gatherV2Config,
  identityConfig,
  mirrorPadConfig,
  oneHotConfig,
  packConfig,
  padV2Config,
  reshapeConfig,
  reverseConfig,
  scatterNdConfig,
  sliceConfig,
  splitVConfig,
  stridedSliceConfig,
  tileConfig,
  transposeConfig,
  unpackConfig,
  unsortedSegmentSumConfig,
  // ---- conv ----
  conv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  // ---- attention ----
  // ---- norm ----
  // ---- distill ----
  // ---- mask ----
  blockMaskConfig,
  maskApplyConfig,
  maskApplyGradConfig,
  // ---- optim ----
];

function hasJsOnlyInput(inputs: Record<string, unknown>): boolean {
  for (const v of Object.values(inputs)) {
    // Some kernels (Concat, Pack, AddN) take a list of tensors under one name.
    for (const t of Array.isArray(v) ? v : [v]) {
      if (t != null && !isNativeDtype((t as TensorInfo).dtype)) return true;
    }
  }
  return false;
}

/** Registers every native kernel and a fallback for every other cpu kernel under `backendName`. */
export function registerAllKernels(backendName: 'native' | 'cuda'): void {
  const native = new Set<string>();
  for (const spec of nativeKernels) {
    native.add(spec.kernelName);
    const kernelFunc: KernelFunc = spec.anyDtype ? spec.kernelFunc : (args) => hasJsOnlyInput(args.inputs) ?
        (args.backend as NativeBackend).runOnCpu(spec.kernelName, args.inputs, args.attrs) :
        spec.kernelFunc(args);
    registerKernel({kernelName: spec.kernelName, backendName, kernelFunc});
  }
  for (const config of getKernelsForBackend('cpu')) {
    if (native.has(config.kernelName)) continue;
    const name = config.kernelName;
    registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: (args) => (args.backend as NativeBackend).runOnCpu(name, args.inputs, args.attrs),
    });
  }
}
