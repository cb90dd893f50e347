// @ibotjs/eval: frozen-feature evaluation of ibotjs backbones (IBOT_SPEC §6): feature extraction and weighted k-NN.
export {
  knnClassify, knnClassifyMany, KNN_DEFAULT_K, KNN_DEFAULT_T, l2NormalizeRows, rankOf, type KnnOptions, type KnnResult,
} from './knn.js';
export {defaultNormalization, extractFeatures, poolFeatures, type AvgPool, type ExtractOptions, type Features} from './features.js';
