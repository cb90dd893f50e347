// ImageFolder: JPEG/PNG/WebP files in one subfolder per class (torchvision's layout), decoded with sharp. Files that are
// not images, or that fail to decode, are skipped, counted and reported; they never stop a run.
import {readdir, stat} from 'node:fs/promises';
import {extname, join, relative} from 'node:path';
import type {Sharp, SharpOptions} from 'sharp';
import {checkIndex, type Dataset, type DatasetDescription, type Sample, type SkipRecord} from './dataset.js';

type SharpFactory = (input: string, options?: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | null = null;

/**
 * Loads sharp on first use, so that importing @ibotjs/data does not need it. The loader calls this in the main thread
 * before starting workers that decode images: sharp's docs ask for that (its shared libraries must stay loaded while
 * worker threads come and go).
 */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => m.default as unknown as SharpFactory);
  return sharpModule;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const IMAGE_FORMATS = new Set(['jpeg', 'png', 'webp']);

export interface ImageFolderOptions {
  /** Decode to 3 channels (sRGB; grey images are replicated) or 1 (luminance). Alpha is dropped. Default 3. */
  channels?: 1 | 3;
  /**
   * How files are checked when the folder is scanned: 'header' (default) reads each file's header with sharp and skips
   * what is not a JPEG/PNG/WebP; 'decode' decodes every image (slow, catches truncated data up front); 'none' trusts the
   * extension. Images that still fail to decode later are replaced at `get` time (see ImageFolderDataset.get).
   */
  verify?: 'none' | 'header' | 'decode';
  /** Files checked at once during the scan (default 8). */
  concurrency?: number;
}

export interface ImageFolderReport {
  root: string;
  /** Usable images found. */
  images: number;
  /** Files skipped during the scan and, later, images that failed to decode. */
  skipped: SkipRecord[];
}

export class ImageFolderDataset implements Dataset {
  readonly numClasses: number;
  readonly imageShape = null;
  readonly description: DatasetDescription;
  /** Everything skipped so far: at the scan, then every image that failed to decode (each once). */
  readonly skipped: SkipRecord[];
  private readonly failed = new Set<number>();
  private pending: SkipRecord[] = [];

  constructor(
    readonly root: string,
    readonly classNames: readonly string[],
    /** [path relative to root, label] per image, sorted by class then path. */
    readonly entries: ReadonlyArray<readonly [string, number]>,
    readonly channels: 1 | 3,
    scanSkipped: SkipRecord[] = [],
  ) {
    if (entries.length === 0) throw new Error(`ImageFolder ${root}: no readable images (${scanSkipped.length} files skipped)`);
    this.numClasses = classNames.length;
    this.skipped = [...scanSkipped];
    this.description = {kind: 'image-folder', root, channels, classNames: [...classNames], entries: entries.map(([p, l]) => [p, l])};
  }

  get size(): number {
    return this.entries.length;
  }

  report(): ImageFolderReport {
    return {root: this.root, images: this.entries.length - this.failed.size, skipped: [...this.skipped]};
  }

  labelOf(index: number): number {
    checkIndex(this, index, 'ImageFolder.labelOf');
    return this.entries[index]![1];
  }

  /**
   * Decodes item `index`. An image that fails to decode is recorded as skipped and replaced by the next item that decodes
   * ((index + 1) mod size, ...), with that item's label: deterministic, and never fatal unless no image decodes at all.
   */
  async get(index: number): Promise<Sample> {
    checkIndex(this, index, 'ImageFolder.get');
    for (let k = 0; k < this.size; k++) {
      const i = (index + k) % this.size;
      if (this.failed.has(i)) continue;
      const [path, label] = this.entries[i]!;
      try {
        return {...(await decodeImage(join(this.root, path), this.channels)), label};
      } catch (e) {
        this.failed.add(i);
        const record = {path: join(this.root, path), reason: `decode failed: ${(e as Error).message.split('\n')[0]}`};
        this.skipped.push(record);
        this.pending.push(record);
      }
    }
    throw new Error(`ImageFolder ${this.root}: none of its ${this.size} images decodes (${this.skipped.length} skipped)`);
  }

  takeSkipped(): SkipRecord[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** Decodes one image file to HWC bytes with the requested channel count. */
export async function decodeImage(path: string, channels: 1 | 3): Promise<Omit<Sample, 'label'>> {
  // failOn 'warning' (sharp's default, stated here because it matters): truncated data is an error, not a grey half image.
  const sharp = await loadSharp();
  let pipeline = sharp(path, {failOn: 'warning'}).removeAlpha();
  pipeline = channels === 3 ? pipeline.toColourspace('srgb') : pipeline.greyscale();
  const {data, info} = await pipeline.raw().toBuffer({resolveWithObject: true});
  if (info.channels !== channels) throw new Error(`${path}: decoded to ${info.channels} channels, expected ${channels}`);
  return {image: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width, channels};
}

/**
 * Scans `root` (one subfolder per class, class index = position in the sorted folder names, images found recursively and
 * sorted) and returns the dataset. A missing folder, a folder without class subfolders, or no usable image is an error.
 */
export async function openImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const {channels = 3, verify = 'header', concurrency = 8} = options;
  if (channels !== 1 && channels !== 3) throw new Error(`ImageFolder: channels must be 1 or 3, got ${String(channels)}`);
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch (e) {
    throw new Error(`ImageFolder: cannot open ${root}: ${(e as Error).message}`);
  }
  if (!rootStat.isDirectory()) throw new Error(`ImageFolder: ${root} is not a directory`);
  const classNames = (await readdir(root, {withFileTypes: true}))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (classNames.length === 0) throw new Error(`ImageFolder: ${root} has no class subfolders (expected root/<class>/<image>)`);

  const skipped: SkipRecord[] = [];
  const candidates: Array<[string, number]> = [];
  for (let label = 0; label < classNames.length; label++) {
    for (const file of await listFiles(join(root, classNames[label]!))) {
      const rel = relative(root, file);
      if (IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) candidates.push([rel, label]);
      else skipped.push({path: file, reason: `not an image (extension ${extname(file) || 'none'}; expected .jpg, .jpeg, .png or .webp)`});
    }
  }

  const ok = new Array<boolean>(candidates.length).fill(true);
  if (verify !== 'none') {
    const sharp = await loadSharp();
    let next = 0;
    const check = async () => {
      for (let i = next++; i < candidates.length; i = next++) {
        const path = join(root, candidates[i]![0]);
        try {
          if (verify === 'decode') {
            await decodeImage(path, channels);
          } else {
            const meta = await sharp(path).metadata();
            if (!IMAGE_FORMATS.has(meta.format ?? '')) throw new Error(`format ${meta.format ?? 'unknown'} is not JPEG, PNG or WebP`);
            if (!(meta.width! > 0 && meta.height! > 0)) throw new Error('no image dimensions');
          }
        } catch (e) {
          ok[i] = false;
          skipped.push({path, reason: `unreadable: ${(e as Error).message.split('\n')[0]}`});
        }
      }
    };
    await Promise.all(Array.from({length: Math.max(1, concurrency)}, check));
  }
  const entries = candidates.filter((_, i) => ok[i]);
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return new ImageFolderDataset(root, classNames, entries, channels, skipped);
}

/** Regular files under `dir`, recursively, sorted; dot files and folders are ignored. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, {withFileTypes: true})).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path)));
    else if (e.isFile() || e.isSymbolicLink()) out.push(path);
  }
  return out;
}
