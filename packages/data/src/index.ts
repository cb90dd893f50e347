// @ibotjs/data: datasets (Fashion-MNIST IDX, ImageFolder, synthetic), iBOT multi-crop augmentation, and a deterministic
// data loader that decodes and augments in worker threads.
export {
  InMemoryDataset,
  SubsetDataset,
  splitDataset,
  type Dataset,
  type DatasetDescription,
  type Sample,
  type SkipRecord,
  type SyntheticOptions,
} from './dataset.js';
export {parseIdx, readIdx, readIdxImages, readIdxLabels, readMaybeGzipped, type IdxArray, type IdxDType} from './idx.js';
export {
  DEBIAN_FASHION_MNIST_DIR,
  EMBEDDED_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  embeddedFashionMnist,
  fashionMnistFiles,
  hasFashionMnist,
  loadFashionMnist,
  loadIdxDataset,
  type FashionMnistSplit,
} from './fashion_mnist.js';
export {ImageFolderDataset, decodeImage, openImageFolder, type ImageFolderOptions, type ImageFolderReport} from './image_folder.js';
export {SyntheticDataset, syntheticDataset} from './synthetic.js';
export {openDataset} from './open.js';
export {computeChannelStats} from './stats.js';
export {Rng, RngStream, philox4x32} from './rng.js';
export {toFloatImage, type FloatImage} from './augment/image.js';
export {resizeBicubic, cropImage, type Box} from './augment/resize.js';
export {adjustBrightness, adjustContrast, adjustHue, adjustSaturation, hflip, solarize, toGrayscale, SOLARIZE_THRESHOLD} from './augment/color.js';
export {gaussianBlur} from './augment/blur.js';
export {
  DEFAULT_BLUR_RADIUS,
  DEFAULT_RATIO,
  IBOT_JITTER,
  IMAGENET_MEAN,
  IMAGENET_STD,
  applyCropParams,
  augmentImage,
  centerCrop,
  checkCropSpec,
  cropRng,
  multiCropRecipe,
  normalizeInto,
  roundHalfEven,
  sampleCropParams,
  sampleResizedCropBox,
  type CenterCropSpec,
  type CropParams,
  type CropSpec,
  type JitterStrength,
  type MultiCropOptions,
  type RandomCropSpec,
} from './augment/multicrop.js';
export {assembleBatch, ItemError, type AugmentConfig, type BatchData, type BatchJob} from './batch.js';
export {createLoader, LoaderError, type Batch, type Loader, type LoaderOptions} from './loader.js';
