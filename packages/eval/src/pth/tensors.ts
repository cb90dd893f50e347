// Tensors of a .pth file: the storage types torch.save writes, and the conversion of a (storage, offset, size, stride)
// view to a row-major float32 array, honouring strides, offsets and the file's byte order.
import {PthError} from './errors.js';

export type PthDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** The storage classes torch.save names in a persistent id (the only ones the reader accepts). */
export const STORAGE_TYPES: Readonly<Record<string, {dtype: PthDType; bytes: number}>> = {
  FloatStorage: {dtype: 'float32', bytes: 4},
  HalfStorage: {dtype: 'float16', bytes: 2},
  BFloat16Storage: {dtype: 'bfloat16', bytes: 2},
  DoubleStorage: {dtype: 'float64', bytes: 8},
  LongStorage: {dtype: 'int64', bytes: 8},
  IntStorage: {dtype: 'int32', bytes: 4},
  ByteStorage: {dtype: 'uint8', bytes: 1},
  BoolStorage: {dtype: 'bool', bytes: 1},
};

/**
 * A tensor read from a .pth file: PyTorch shape, row-major float32 values (float16/bfloat16 exact, float64 rounded,
 * int64 exact up to 2^24), and the dtype it was stored in. Structurally a @ibotjs/vit StateDictEntry.
 */
export class PthTensor {
  constructor(readonly dtype: PthDType, readonly shape: number[], readonly data: Float32Array) {}
}

/** A storage named by a persistent id: its bytes (from data/<key>), element type and element count. */
export interface PthStorage {
  key: string;
  dtype: PthDType;
  bytesPerElement: number;
  numel: number;
  bytes: Uint8Array;
  littleEndian: boolean;
}

/** IEEE half → float (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A reader of element i of a storage as a JS number. */
function elementReader(s: PthStorage): (i: number) => number {
  const v = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  const le = s.littleEndian;
  if (s.dtype === 'float32' && le && s.bytes.byteOffset % 4 === 0) {
    // torch aligns storages in the zip, so the usual strided case reads through a typed view (several times faster).
    const f = new Float32Array(s.bytes.buffer, s.bytes.byteOffset, s.numel);
    return (i) => f[i]!;
  }
  switch (s.dtype) {
    case 'float32': return (i) => v.getFloat32(i * 4, le);
    case 'float64': return (i) => v.getFloat64(i * 8, le);
    case 'float16': return (i) => halfToFloat(v.getUint16(i * 2, le));
    case 'bfloat16': {
      const f = new DataView(new ArrayBuffer(4));
      return (i) => {
        f.setUint32(0, v.getUint16(i * 2, le) << 16);
        return f.getFloat32(0);
      };
    }
    case 'int64': return (i) => Number(v.getBigInt64(i * 8, le));
    case 'int32': return (i) => v.getInt32(i * 4, le);
    case 'uint8': return (i) => v.getUint8(i);
    case 'bool': return (i) => (v.getUint8(i) ? 1 : 0);
  }
}

/** Whether strides are those of a contiguous row-major tensor (size-1 dimensions may have any stride). */
function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d]!;
  }
  return true;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

/**
 * The tensor torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) describes, copied out as float32.
 * Every index is checked against the storage, so a hostile view cannot read outside it.
 */
export function rebuildTensor(storage: PthStorage, offset: unknown, size: unknown, stride: unknown,
                              where: string): PthTensor {
  const bad = (msg: string): never => {
    throw new PthError(`${where}: _rebuild_tensor_v2: ${msg}`);
  };
  if (!isInt(offset) || offset < 0) return bad(`storage offset ${String(offset)} is not a non-negative integer`);
  if (!Array.isArray(size) || !size.every((d) => isInt(d) && d >= 0)) {
    return bad('size is not a tuple of non-negative integers');
  }
  if (!Array.isArray(stride) || stride.length !== size.length || !stride.every((d) => isInt(d) && d >= 0)) {
    bad('stride is not a tuple of non-negative integers of the same length as size');
  }
  const shape = (size as number[]).slice(), strides = stride as number[];
  const numel = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(numel);
  if (numel === 0) return new PthTensor(storage.dtype, shape, out);
  const last = offset + shape.reduce((acc, d, i) => acc + (d - 1) * strides[i]!, 0);
  if (last >= storage.numel) {
    bad(`view (offset ${offset}, size [${shape}], stride [${strides}]) reads element ${last} of storage ` +
        `${storage.key}, which has ${storage.numel}`);
  }
  const rank = shape.length;
  if (storage.dtype === 'float32' && storage.littleEndian && isRowMajor(shape, strides)) {
    // The common case: one copy of the bytes (slice() also aligns them for the Float32Array).
    const start = storage.bytes.byteOffset + offset * 4;
    return new PthTensor(storage.dtype, shape, new Float32Array(storage.bytes.buffer.slice(start, start + numel * 4)));
  }
  const at = elementReader(storage);
  // Odometer over the index, innermost dimension fastest: out is row-major whatever the strides.
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  for (let o = 0; o < numel; o++) {
    out[o] = at(src);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) {
        src += strides[d]!;
        break;
      }
      src -= (shape[d]! - 1) * strides[d]!;
      idx[d] = 0;
    }
  }
  return new PthTensor(storage.dtype, shape, out);
}
