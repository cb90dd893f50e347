// @ibotjs/eval: frozen-feature evaluation of ibotjs backbones (IBOT_SPEC §6): feature extraction, weighted k-NN,
// the linear probe, clustering metrics, and the restricted reader of official PyTorch (.pth) checkpoints.
export {
  knnClassify, knnClassifyMany, KNN_DEFAULT_K, KNN_DEFAULT_T, l2NormalizeRows, rankOf, type KnnOptions, type KnnResult,
} from './knn.js';
export {
  defaultNormalization, extractFeatures, linearPooling, poolFeatures, type AvgPool, type ExtractOptions, type Features,
} from './features.js';
export {
  cosineFactor, LINEAR_DEFAULT_LRS, type LinearProbeEpoch, type LinearProbeLrResult, type LinearProbeOptions, type LinearProbeResult,
  trainLinearProbes,
} from './linear_probe.js';
export {
  adjustedRandIndex, clusteringMetrics, type ClusteringMetrics, contingency, type Contingency, fowlkesMallows,
  hungarian, hungarianAccuracy, normalizedMutualInfo,
} from './cluster.js';
export {
  convertOfficialCheckpoint, type ConvertedCheckpoint, type ConvertOptions, PthError, type PthDict, type PthDType,
  PthTensor, type PthValue, readPth, readPthFile, type ReadPthOptions, type UnpickleOptions,
} from './pth/index.js';
export {
  ATTENTION_DEFAULT_THRESHOLD, attentionMaps, clsAttention, thresholdHead, thresholdMask, upsampleNearest,
} from './attention_maps.js';
export {decodeNpy, encodeNpy, NPY_ALIGN, type NpyArray, type NpyDType, npyHeader} from './npy.js';
