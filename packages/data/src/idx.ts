// IDX files (the MNIST / Fashion-MNIST format), raw or gzipped: header checks that name the file, big-endian decoding.
import {readFile} from 'node:fs/promises';
import {gunzip} from 'node:zlib';
import {promisify} from 'node:util';

const gunzipAsync = promisify(gunzip);

/** IDX element types by their type byte. */
const IDX_TYPES = {
  0x08: {name: 'ubyte', bytes: 1},
  0x09: {name: 'sbyte', bytes: 1},
  0x0b: {name: 'short', bytes: 2},
  0x0c: {name: 'int', bytes: 4},
  0x0d: {name: 'float', bytes: 4},
  0x0e: {name: 'double', bytes: 8},
} as const;
type IdxTypeCode = keyof typeof IDX_TYPES;
export type IdxDType = (typeof IDX_TYPES)[IdxTypeCode]['name'];

export interface IdxArray {
  dtype: IdxDType;
  /** Dimensions in file order, e.g. [10000, 28, 28]. */
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Reads a file's bytes and gunzips them when they start with the gzip magic (1f 8b), whatever the file is called. */
export async function readMaybeGzipped(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (e) {
      throw new Error(`${path}: corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  return bytes;
}

/** Parses IDX bytes; `name` is used in error messages. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) throw new Error(`${name}: not an IDX file (${bytes.length} bytes, the header alone needs 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const code = bytes[2]!;
  const ndim = bytes[3]!;
  const type = IDX_TYPES[code as IdxTypeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    throw new Error(
      `${name}: not an IDX file (magic number 0x${magic.toString(16).padStart(8, '0')}; expected 0x0000TTNN with type TT ` +
        `in {08, 09, 0b, 0c, 0d, 0e} and NN ≥ 1 dimensions)`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(`${name}: truncated header (${bytes.length} bytes; ${ndim} dimensions need ${headerBytes})`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(
      `${name}: ${what}: the header says ${dims.join('×')} ${type.name} (${count * type.bytes} data bytes), ` +
        `the file has ${bytes.length - headerBytes} data bytes`,
    );
  }
  return {dtype: type.name, dims, data: decodeElements(bytes, headerBytes, count, code as IdxTypeCode)};
}

function decodeElements(bytes: Uint8Array, offset: number, count: number, code: IdxTypeCode): IdxArray['data'] {
  if (code === 0x08) return bytes.subarray(offset, offset + count);
  if (code === 0x09) return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
  // Multi-byte elements are big-endian and possibly unaligned: decode through a DataView.
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const size = IDX_TYPES[code].bytes;
  const out =
    code === 0x0b ? new Int16Array(count) : code === 0x0c ? new Int32Array(count) : code === 0x0d ? new Float32Array(count) : new Float64Array(count);
  const get =
    code === 0x0b
      ? (i: number) => view.getInt16(i)
      : code === 0x0c
        ? (i: number) => view.getInt32(i)
        : code === 0x0d
          ? (i: number) => view.getFloat32(i)
          : (i: number) => view.getFloat64(i);
  for (let i = 0; i < count; i++) out[i] = get(i * size);
  return out;
}

/** Reads and parses a raw or gzipped IDX file. */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readMaybeGzipped(path), path);
}

/** Reads an IDX image file: ubyte, [N, H, W] (grey) or [N, H, W, C]. */
export async function readIdxImages(path: string): Promise<{images: Uint8Array; count: number; height: number; width: number; channels: number}> {
  const idx = await readIdx(path);
  if (idx.dtype !== 'ubyte' || (idx.dims.length !== 3 && idx.dims.length !== 4)) {
    throw new Error(`${path}: expected ubyte images [N, H, W] or [N, H, W, C], got ${idx.dtype} [${idx.dims.join(', ')}]`);
  }
  const [count, height, width, channels = 1] = idx.dims as [number, number, number, number?];
  if (height === 0 || width === 0 || channels === 0) throw new Error(`${path}: empty image dimensions [${idx.dims.join(', ')}]`);
  return {images: idx.data as Uint8Array, count, height, width, channels};
}

/** Reads an IDX label file: ubyte, [N]. */
export async function readIdxLabels(path: string): Promise<Uint8Array> {
  const idx = await readIdx(path);
  if (idx.dtype !== 'ubyte' || idx.dims.length !== 1) {
    throw new Error(`${path}: expected ubyte labels [N], got ${idx.dtype} [${idx.dims.join(', ')}]`);
  }
  return idx.data as Uint8Array;
}
