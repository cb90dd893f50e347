// Fashion-MNIST from IDX files: the Debian package's copy when installed, or the 10k test split embedded in this package.
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {InMemoryDataset, type DatasetDescription} from './dataset.js';
import {readIdxImages, readIdxLabels} from './idx.js';

/** Where `apt-get install dataset-fashion-mnist` puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The embedded copy of the test split (t10k files, MIT licence; see assets/fashion-mnist/README.md). */
export const EMBEDDED_FASHION_MNIST_DIR = fileURLToPath(new URL('../assets/fashion-mnist/', import.meta.url));

/** Label names in label order (from the dataset's README). */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export type FashionMnistSplit = 'train' | 'test';

/** The image and label files of a split in `dir`: `<prefix>-images-idx3-ubyte[.gz]`, `<prefix>-labels-idx1-ubyte[.gz]`. */
export function fashionMnistFiles(dir: string, split: FashionMnistSplit): {images: string; labels: string} {
  if (split !== 'train' && split !== 'test') throw new Error(`Fashion-MNIST: split must be 'train' or 'test', got ${String(split)}`);
  const prefix = split === 'train' ? 'train' : 't10k';
  const pick = (base: string) => {
    const candidates = [join(dir, `${base}.gz`), join(dir, base)];
    const found = candidates.find((p) => existsSync(p));
    if (found === undefined) {
      throw new Error(
        `Fashion-MNIST ${split} split: ${candidates[0]} not found (nor ${candidates[1]}). ` +
          `On Debian/Ubuntu: apt-get install dataset-fashion-mnist (files in ${DEBIAN_FASHION_MNIST_DIR}); ` +
          `or use embeddedFashionMnist() (the 10k test split shipped with @ibotjs/data).`,
      );
    }
    return found;
  };
  return {images: pick(`${prefix}-images-idx3-ubyte`), labels: pick(`${prefix}-labels-idx1-ubyte`)};
}

/** True when `dir` (default: the Debian package's folder) holds both files of the split. */
export function hasFashionMnist(split: FashionMnistSplit, dir = DEBIAN_FASHION_MNIST_DIR): boolean {
  try {
    fashionMnistFiles(dir, split);
    return true;
  } catch {
    return false;
  }
}

/** Loads an IDX image file and its label file as one dataset; counts, shapes and label range are checked. */
export async function loadIdxDataset(images: string, labels: string, classNames?: readonly string[]): Promise<InMemoryDataset> {
  const [img, lab] = await Promise.all([readIdxImages(images), readIdxLabels(labels)]);
  if (img.count !== lab.length) {
    throw new Error(`IDX pair: ${images} has ${img.count} images but ${labels} has ${lab.length} labels`);
  }
  let maxLabel = -1;
  for (let i = 0; i < lab.length; i++) maxLabel = Math.max(maxLabel, lab[i]!);
  const names = classNames ?? Array.from({length: maxLabel + 1}, (_, i) => String(i));
  if (maxLabel >= names.length) {
    throw new Error(`IDX pair: ${labels} contains label ${maxLabel} but only ${names.length} classes are named (0..${names.length - 1})`);
  }
  const description: DatasetDescription = {kind: 'idx', images, labels, classNames: [...names]};
  return new InMemoryDataset(img.images, lab, [img.height, img.width, img.channels], names, description);
}

/** Fashion-MNIST from `dir` (default: the Debian package's folder). */
export async function loadFashionMnist(options: {dir?: string; split: FashionMnistSplit}): Promise<InMemoryDataset> {
  const {images, labels} = fashionMnistFiles(options.dir ?? DEBIAN_FASHION_MNIST_DIR, options.split);
  const ds = await loadIdxDataset(images, labels, FASHION_MNIST_CLASSES);
  const [h, w, c] = ds.imageShape;
  if (h !== 28 || w !== 28 || c !== 1) throw new Error(`Fashion-MNIST: ${images} holds [${h}, ${w}, ${c}] images, expected [28, 28, 1]`);
  return ds;
}

/** The embedded default: the 10,000-image Fashion-MNIST test split shipped with this package. */
export function embeddedFashionMnist(): Promise<InMemoryDataset> {
  return loadFashionMnist({dir: EMBEDDED_FASHION_MNIST_DIR, split: 'test'});
}
