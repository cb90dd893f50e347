// safetensors reading and writing (the Hugging Face format: u64 little-endian header length, a JSON header, then the raw
// little-endian tensor bytes). Every read is validated, so a truncated or hostile file gives an error naming the file and
// the entry instead of garbage weights.
import {closeSync, openSync, readSync, writeSync, fstatSync} from 'node:fs';

/** A host tensor: float32 values in row-major order and the shape they fill (PyTorch layout for weights). */
export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

/** Named tensors, as a Map or a plain object; iteration order is the order written to disk. */
export type TensorDict = ReadonlyMap<string, FloatTensor> | Readonly<Record<string, FloatTensor>>;

/** An int32 host tensor (labels): written as I32; read back, like every dtype, as float32 (exact below 2^24). */
export interface IntTensor {
  shape: number[];
  data: Int32Array;
}

/** What the writers take: float32 tensors (F32) and int32 tensors (I32). */
export type WritableTensorDict =
  | ReadonlyMap<string, FloatTensor | IntTensor>
  | Readonly<Record<string, FloatTensor | IntTensor>>;

/** The dtypes this reader converts to float32 (exactly for all but F64 and I32 beyond 2^24). */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};
/** Valid safetensors dtypes that we recognise but do not convert (so the error says "unsupported", not "unknown"). */
const UNSUPPORTED_DTYPES = new Set(['I64', 'U64', 'U32', 'U16', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2',
  'F4', 'C64']);

/** A tensor as read from disk: float32 values plus the dtype it was stored in. */
export interface ReadTensor extends FloatTensor {
  dtype: SafetensorsDType;
}

export interface SafetensorsContents {
  /** In the header's order. */
  tensors: Map<string, ReadTensor>;
  metadata: Record<string, string>;
}

/** The format's own limit on the header (the reference implementation rejects larger headers the same way). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Thrown for every malformed file or invalid argument; the message names the file (or 'safetensors') first. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Something that receives every byte of a file in order (a hash, for checkpoint manifests). */
export interface ByteSink {
  update(bytes: Uint8Array): unknown;
}

// ---------------------------------------------------------------------------------------------------------------------
// Writing

/** The entries of a dict in order, checked: finite shapes whose product is the data length, no reserved name. */
function dictEntries(tensors: WritableTensorDict, label: string): [string, FloatTensor | IntTensor][] {
  const entries: [string, FloatTensor | IntTensor][] =
      tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, FloatTensor | IntTensor>);
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new SafetensorsError(`${label}: '${METADATA_KEY}' cannot be a tensor name`);
    if (!(t?.data instanceof Float32Array) && !(t?.data instanceof Int32Array)) {
      throw new SafetensorsError(`${label}: tensor '${name}' must have a Float32Array or an Int32Array as data`);
    }
    const numel = shapeNumel(t.shape, () => `${label}: tensor '${name}'`);
    if (numel !== t.data.length) {
      throw new SafetensorsError(
          `${label}: tensor '${name}' has shape [${t.shape}] (${numel} elements) but ${t.data.length} values`);
    }
  }
  return entries;
}

/**
 * The file's first bytes: length prefix and JSON header, padded with spaces so that the data starts at a multiple of 8
 * bytes (as the reference writer does), which keeps every F32 tensor 4-byte aligned in a memory-mapped file.
 */
function encodeHead(entries: [string, FloatTensor | IntTensor][], metadata: Readonly<Record<string, string>> | undefined,
                    label: string): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`${label}: metadata value '${k}' must be a string`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = t.data.length * 4;
    header[name] = {dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: t.shape, data_offsets: [offset, offset + bytes]};
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (padded > MAX_HEADER_BYTES) throw new SafetensorsError(`${label}: header of ${padded} bytes is too large`);
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return head;
}

/** A tensor's bytes in little-endian order (a view of its own memory on little-endian hosts). */
function leBytes(data: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Int32Array) view.setInt32(4 * i, data[i]!, true);
    else view.setFloat32(4 * i, data[i]!, true);
  }
  return out;
}

/** The whole file in memory. */
export function encodeSafetensors(tensors: WritableTensorDict, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const entries = dictEntries(tensors, 'safetensors');
  const head = encodeHead(entries, metadata, 'safetensors');
  const out = new Uint8Array(head.length + entries.reduce((s, [, t]) => s + t.data.byteLength, 0));
  out.set(head, 0);
  let at = head.length;
  for (const [, t] of entries) {
    out.set(leBytes(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

function writeAll(fd: number, bytes: Uint8Array, label: string): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    if (n <= 0) throw new SafetensorsError(`${label}: write returned ${n}`);
    done += n;
  }
}

/**
 * Writes a safetensors file to an open file descriptor (from its current position), tensor by tensor without building
 * the whole file in memory; `sink` sees every byte written. Returns the number of bytes written.
 */
export function writeSafetensorsFd(fd: number, tensors: WritableTensorDict, metadata?: Readonly<Record<string, string>>,
                                   sink?: ByteSink, label = 'safetensors'): number {
  const entries = dictEntries(tensors, label);
  const head = encodeHead(entries, metadata, label);
  writeAll(fd, head, label);
  sink?.update(head);
  let total = head.length;
  for (const [, t] of entries) {
    const bytes = leBytes(t.data);
    writeAll(fd, bytes, label);
    sink?.update(bytes);
    total += bytes.length;
  }
  return total;
}

/** Writes a safetensors file (plainly: for crash-safe checkpoints use CheckpointStore, which writes atomically). */
export function saveSafetensors(path: string, tensors: WritableTensorDict, metadata?: Readonly<Record<string, string>>): void {
  const fd = openSync(path, 'w');
  try {
    writeSafetensorsFd(fd, tensors, metadata, undefined, path);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading

/** Random-access bytes: a file descriptor or an in-memory buffer. */
interface ByteSource {
  size: number;
  /** Fills `into` from `position` or throws. */
  read(into: Uint8Array, position: number): void;
}

function memorySource(bytes: Uint8Array, label: string): ByteSource {
  return {
    size: bytes.length,
    read(into, position) {
      if (position + into.length > bytes.length) throw new SafetensorsError(`${label}: unexpected end of data`);
      into.set(bytes.subarray(position, position + into.length));
    },
  };
}

function fdSource(fd: number, label: string): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(into, position) {
      let done = 0;
      while (done < into.length) {
        const n = readSync(fd, into, done, Math.min(into.length - done, 1 << 30), position + done);
        if (n === 0) throw new SafetensorsError(`${label}: file ended while reading (it changed under us?)`);
        done += n;
      }
    },
  };
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function shapeNumel(shape: unknown, where: () => string): number {
  if (!Array.isArray(shape)) throw new SafetensorsError(`${where()}: shape must be an array, got ${JSON.stringify(shape)}`);
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) {
      throw new SafetensorsError(`${where()}: shape [${shape}] must hold non-negative integers`);
    }
    numel *= d as number;
    if (!Number.isSafeInteger(numel)) throw new SafetensorsError(`${where()}: shape [${shape}] is too large`);
  }
  return numel;
}

function parseEntry(name: string, raw: unknown, label: string): Entry {
  const where = () => `${label}: tensor '${name}'`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError(`${where()}: header entry must be an object`);
  }
  const info = raw as Record<string, unknown>;
  const extra = Object.keys(info).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length > 0) throw new SafetensorsError(`${where()}: unexpected header field(s) ${extra.join(', ')}`);
  const dtype = info['dtype'];
  if (typeof dtype !== 'string') throw new SafetensorsError(`${where()}: dtype must be a string`);
  if (!(dtype in DTYPE_BYTES)) {
    throw new SafetensorsError(UNSUPPORTED_DTYPES.has(dtype) ?
        `${where()}: dtype ${dtype} is not supported (readable: ${Object.keys(DTYPE_BYTES).join(', ')})` :
        `${where()}: unknown dtype ${JSON.stringify(dtype)}`);
  }
  const numel = shapeNumel(info['shape'], where);
  const offsets = info['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]) {
    throw new SafetensorsError(`${where()}: data_offsets must be [begin, end] with 0 <= begin <= end, got ` +
                               JSON.stringify(offsets));
  }
  const [begin, end] = offsets as [number, number];
  const bytes = numel * DTYPE_BYTES[dtype as SafetensorsDType];
  if (end - begin !== bytes) {
    throw new SafetensorsError(`${where()}: ${dtype} shape [${info['shape'] as number[]}] needs ${bytes} bytes but ` +
                               `data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return {name, dtype: dtype as SafetensorsDType, shape: (info['shape'] as number[]).slice(), begin, end};
}

interface Header {
  entries: Entry[];  // header order
  metadata: Record<string, string>;
  dataStart: number;
}

function readHeader(src: ByteSource, label: string, sink?: ByteSink): Header {
  if (src.size < 8) throw new SafetensorsError(`${label}: ${src.size} bytes is too short for a safetensors file`);
  const prefix = new Uint8Array(8);
  src.read(prefix, 0);
  sink?.update(prefix);
  const n = new DataView(prefix.buffer).getBigUint64(0, true);
  if (n === 0n || n > BigInt(MAX_HEADER_BYTES) || n > BigInt(src.size - 8)) {
    throw new SafetensorsError(`${label}: header length ${n} is invalid (file of ${src.size} bytes; limit ` +
                               `${MAX_HEADER_BYTES})`);
  }
  const headerBytes = new Uint8Array(Number(n));
  src.read(headerBytes, 8);
  sink?.update(headerBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`${label}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new SafetensorsError(`${label}: header does not start with '{'`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`${label}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError(`${label}: header must be a JSON object`);
  }
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SafetensorsError(`${label}: ${METADATA_KEY} must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(`${label}: ${METADATA_KEY}['${k}'] must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, raw, label));
  }
  const dataStart = 8 + Number(n);
  // The tensors must tile the data section exactly: no gaps, no overlaps, nothing past the end and nothing after it.
  // (A name repeated in the JSON keeps its last entry and leaves a gap, so it is caught here too.)
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) {
      throw new SafetensorsError(`${label}: tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] ` +
          (e.begin < expected ? `overlap the previous tensor (which ends at ${expected})` :
                                `leave a gap after byte ${expected}`));
    }
    expected = e.end;
  }
  const dataBytes = src.size - dataStart;
  if (expected !== dataBytes) {
    throw new SafetensorsError(expected > dataBytes ?
        `${label}: truncated: the header describes ${expected} data bytes but the file holds ${dataBytes}` :
        `${label}: ${dataBytes - expected} bytes after the last tensor (file of ${src.size} bytes)`);
  }
  return {entries, metadata, dataStart};
}

/** Converts `bytes` (little-endian `dtype` values) to float32. */
function toFloat32(bytes: Uint8Array, dtype: SafetensorsDType, numel: number): Float32Array {
  const out = new Float32Array(numel);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < numel; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < numel; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case 'I32':
      for (let i = 0; i < numel; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < numel; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < numel; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < numel; i++) out[i] = bytes[i]!;
      break;
    case 'BOOL':
      for (let i = 0; i < numel; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

/** IEEE binary16 bits to a number (exact: every half value is a float32 value). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function readContents(src: ByteSource, label: string, sink?: ByteSink): SafetensorsContents {
  const header = readHeader(src, label, sink);
  const tensors = new Map<string, ReadTensor>();
  for (const e of header.entries) tensors.set(e.name, {dtype: e.dtype, shape: e.shape, data: new Float32Array(0)});
  // Read in file order so that a sink sees the file's bytes exactly once, front to back.
  for (const e of header.entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    const numel = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
    let data: Float32Array, bytes: Uint8Array;
    if (e.dtype === 'F32' && LITTLE_ENDIAN) {
      data = new Float32Array(numel);
      bytes = new Uint8Array(data.buffer);
      src.read(bytes, header.dataStart + e.begin);
    } else {
      bytes = new Uint8Array(e.end - e.begin);
      src.read(bytes, header.dataStart + e.begin);
      data = toFloat32(bytes, e.dtype, numel);
    }
    sink?.update(bytes);
    tensors.get(e.name)!.data = data;
  }
  return {tensors, metadata: header.metadata};
}

/** Parses a safetensors file held in memory. */
export function decodeSafetensors(bytes: Uint8Array, label = 'safetensors'): SafetensorsContents {
  return readContents(memorySource(bytes, label), label);
}

/** Reads and validates a safetensors file; `sink` sees every byte of the file in order (for a checksum). */
export function loadSafetensors(path: string, sink?: ByteSink): SafetensorsContents {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot open (${(e as Error).message})`);
  }
  try {
    return readContents(fdSource(fd, path), path, sink);
  } finally {
    closeSync(fd);
  }
}

/** Only the header of a file: names, dtypes, shapes and metadata, without reading the data. */
export function inspectSafetensors(path: string):
    {tensors: Map<string, {dtype: SafetensorsDType; shape: number[]}>; metadata: Record<string, string>} {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot open (${(e as Error).message})`);
  }
  try {
    const header = readHeader(fdSource(fd, path), path);
    return {
      tensors: new Map(header.entries.map((e) => [e.name, {dtype: e.dtype, shape: e.shape}])),
      metadata: header.metadata,
    };
  } finally {
    closeSync(fd);
  }
}
