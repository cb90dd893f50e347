// NumPy .npy files, format version 1.0 (numpy.lib.format): features as little-endian float32 ('<f4') and labels as
// int32 ('<i4'), C order, so that `numpy.load` reads what `ibot export-features` writes; and a strict reader for tests.
// Layout: the magic "\x93NUMPY", version 1 0, a uint16 little-endian header length, then the header: a Python dict
// literal padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes.

export type NpyDType = '<f4' | '<i4';

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: Float32Array | Int32Array; // row-major
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy.lib.format.ARRAY_ALIGN: the data offset is a multiple of this. */
export const NPY_ALIGN = 64;
const PREAMBLE = MAGIC.length + 2 + 2; // magic, version, header length
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Python's repr of a shape tuple: (), (5,), (2, 3). */
function shapeTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function dtypeOf(data: Float32Array | Int32Array): NpyDType {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Int32Array) return '<i4';
  throw new Error(`npy: data must be a Float32Array or an Int32Array, got ${(data as object)?.constructor?.name ?? typeof data}`);
}

/** The header text numpy writes (dict keys sorted, a trailing ', '), padded and ended by '\n'. */
export function npyHeader(dtype: NpyDType, shape: readonly number[]): string {
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const total = Math.ceil((PREAMBLE + dict.length + 1) / NPY_ALIGN) * NPY_ALIGN;
  return dict + ' '.repeat(total - PREAMBLE - dict.length - 1) + '\n';
}

/** The whole .npy file of `data` (row-major) with `shape`. */
export function encodeNpy(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const dtype = dtypeOf(data);
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`npy: shape [${shape}] must hold non-negative integers`);
    numel *= d;
  }
  if (numel !== data.length) throw new Error(`npy: shape [${shape}] needs ${numel} values, got ${data.length}`);
  const header = npyHeader(dtype, shape);
  if (header.length > 0xffff) throw new Error(`npy: a header of ${header.length} bytes does not fit format 1.0`);
  const out = new Uint8Array(PREAMBLE + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; // version 1.0
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i);
  const at = PREAMBLE + header.length;
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
  } else {
    for (let i = 0; i < data.length; i++) {
      if (dtype === '<f4') view.setFloat32(at + 4 * i, data[i]!, true);
      else view.setInt32(at + 4 * i, data[i]!, true);
    }
  }
  return out;
}

const HEADER_RE = /^\{'descr': '(<f4|<i4)', 'fortran_order': False, 'shape': \(((?:\d+, )*\d+,?|)\), \} *\n$/;

/** Reads a .npy file of version 1.0 with a '<f4' or '<i4' C-order array (what encodeNpy writes, and numpy.save). */
export function decodeNpy(bytes: Uint8Array, label = 'npy'): NpyArray {
  if (bytes.length < PREAMBLE || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${label}: not a .npy file (no \\x93NUMPY magic)`);
  if (bytes[6] !== 1 || bytes[7] !== 0) throw new Error(`${label}: format version ${bytes[6]}.${bytes[7]}, only 1.0 is read`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint16(8, true);
  if (PREAMBLE + headerLength > bytes.length) throw new Error(`${label}: truncated header`);
  const header = String.fromCharCode(...bytes.subarray(PREAMBLE, PREAMBLE + headerLength));
  const m = HEADER_RE.exec(header);
  if (!m) throw new Error(`${label}: header ${JSON.stringify(header.trimEnd())} is not a C-order '<f4' or '<i4' array`);
  const dtype = m[1] as NpyDType;
  const shape = m[2] === '' ? [] : m[2]!.split(',').filter((s) => s.trim() !== '').map(Number);
  const numel = shape.reduce((a, b) => a * b, 1);
  const at = PREAMBLE + headerLength;
  if (bytes.length - at !== 4 * numel) throw new Error(`${label}: shape [${shape}] needs ${4 * numel} data bytes, the file holds ${bytes.length - at}`);
  const data = dtype === '<f4' ? new Float32Array(numel) : new Int32Array(numel);
  for (let i = 0; i < numel; i++) data[i] = dtype === '<f4' ? view.getFloat32(at + 4 * i, true) : view.getInt32(at + 4 * i, true);
  return {dtype, shape, data};
}
