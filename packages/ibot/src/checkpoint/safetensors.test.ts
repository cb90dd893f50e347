// safetensors: bit-exact round trips, the byte layout of the format, conversions of the other dtypes, and hostile
// files (each must give a SafetensorsError with a clear message, never garbage and never another kind of error).
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import test from 'ava';
import {seededRng} from '@ibotjs/tfjs-backend-native/testing/random';

import {
  decodeSafetensors, encodeSafetensors, halfToFloat, inspectSafetensors, loadSafetensors, saveSafetensors,
  SafetensorsError, type FloatTensor,
} from './safetensors.js';

/** A file from a header object (or raw header text) and data bytes, exactly as a foreign writer might produce it. */
function craft(header: unknown, data: Uint8Array | number = 0, declaredLength?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + bytes.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes, 8 + json.length);
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function throwsSafetensors(t: import('ava').ExecutionContext, bytes: Uint8Array, pattern: RegExp, label: string) {
  const err = t.throws(() => decodeSafetensors(bytes, 'hostile.safetensors'), {instanceOf: SafetensorsError}, label);
  if (err) {
    t.regex(err.message, /^hostile\.safetensors: /, label);
    t.regex(err.message, pattern, label);
  }
}

test('round trip is bit-exact, keeps names, order, shapes and metadata (incl. NaN, ±0, ±Inf, subnormals)', (t) => {
  const rng = seededRng(t);
  const tensors = new Map<string, FloatTensor>();
  const shapes = [[3, 5], [7], [], [0, 4], [2, 1, 3, 1], [1, 8192]];
  shapes.forEach((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let j = 0; j < n; j++) data[j] = rng.normal() * 10 ** rng.int(-40, 30);
    tensors.set(`blocks.${i}.attn.qkv.wéight`, {shape, data});
  });
  const special = new Float32Array([NaN, -0, 0, Infinity, -Infinity, 1.4e-45, -3.4028234663852886e38]);
  new Uint32Array(special.buffer)[0] = 0x7fc12345;  // a NaN with a payload
  tensors.set('special', {shape: [7], data: special});

  const bytes = encodeSafetensors(tensors, {format: 'pt', note: 'ünïcode'});
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  t.is((8 + headerLength) % 8, 0, 'data section starts 8-byte aligned');

  const back = decodeSafetensors(bytes);
  t.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  t.deepEqual(back.metadata, {format: 'pt', note: 'ünïcode'});
  for (const [name, want] of tensors) {
    const got = back.tensors.get(name)!;
    t.is(got.dtype, 'F32');
    t.deepEqual(got.shape, want.shape, name);
    t.deepEqual(bits(got.data), bits(want.data), name);
  }

  // The same through a file, and the file is byte-identical to the in-memory encoding.
  const dir = mkdtempSync(join(tmpdir(), 'ibot-st-'));
  try {
    const path = join(dir, 'x.safetensors');
    saveSafetensors(path, tensors, {format: 'pt', note: 'ünïcode'});
    t.deepEqual(new Uint8Array(readFileSync(path)), bytes);
    const fromFile = loadSafetensors(path);
    for (const [name, want] of tensors) t.deepEqual(bits(fromFile.tensors.get(name)!.data), bits(want.data));
    const head = inspectSafetensors(path);
    t.deepEqual(head.tensors.get('special'), {dtype: 'F32', shape: [7]});
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('the byte layout is the format: u64 LE length, JSON header, little-endian data in header order', (t) => {
  const bytes = encodeSafetensors({a: {shape: [2], data: new Float32Array([1, -2])}, b: {shape: [], data: new Float32Array([0.5])}});
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  t.deepEqual(header, {
    a: {dtype: 'F32', shape: [2], data_offsets: [0, 8]},
    b: {dtype: 'F32', shape: [], data_offsets: [8, 12]},
  });
  t.deepEqual([...bytes.subarray(8 + n)], [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
  // A file written by hand the way other writers do it (no padding, header in another key order) reads back.
  const foreign = craft({b: {data_offsets: [4, 8], shape: [1], dtype: 'F32'}, a: {dtype: 'F32', shape: [1], data_offsets: [0, 4]}},
                        new Uint8Array([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0x41]));
  const got = decodeSafetensors(foreign);
  t.deepEqual([...got.tensors.keys()], ['b', 'a']);
  t.deepEqual([...got.tensors.get('a')!.data], [1]);
  t.deepEqual([...got.tensors.get('b')!.data], [10]);
});

test('Int32Array tensors are written as I32 (little-endian two\'s complement) beside F32 ones, and read back exactly', (t) => {
  const labels = new Int32Array([0, -1, 7, 2 ** 24 - 1]);
  const bytes = encodeSafetensors({f: {shape: [1], data: new Float32Array([1])}, labels: {shape: [4], data: labels}});
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  t.deepEqual(header.labels, {dtype: 'I32', shape: [4], data_offsets: [4, 20]});
  t.deepEqual([...bytes.subarray(8 + n + 4)], [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0]);
  const got = decodeSafetensors(bytes).tensors.get('labels')!;
  t.is(got.dtype, 'I32');
  t.deepEqual([...got.data], [...labels]);
});

test('F16, BF16, F64, I32, I16, I8, U8 and BOOL read as float32', (t) => {
  const u16 = (xs: number[]) => new Uint8Array(new Uint16Array(xs).buffer);
  const cases: [string, Uint8Array, number[]][] = [
    ['F16', u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x3555]), [1, -2, 65504, 2 ** -24, Infinity, -0, 0.333251953125]],
    ['BF16', u16([0x3f80, 0x4049, 0xff80, 0x0001]), [1, 3.140625, -Infinity, 2 ** -133]],
    ['F64', new Uint8Array(new Float64Array([0.1, -1e300]).buffer), [Math.fround(0.1), -Infinity]],
    ['I32', new Uint8Array(new Int32Array([-7, 16777217]).buffer), [-7, 16777216]],
    ['I16', new Uint8Array(new Int16Array([-32768, 5]).buffer), [-32768, 5]],
    ['I8', new Uint8Array(new Int8Array([-128, 127]).buffer), [-128, 127]],
    ['U8', new Uint8Array([0, 255]), [0, 255]],
    ['BOOL', new Uint8Array([0, 1, 2]), [0, 1, 1]],
  ];
  for (const [dtype, data, want] of cases) {
    const got = decodeSafetensors(craft({x: {dtype, shape: [want.length], data_offsets: [0, data.length]}}, data));
    const x = got.tensors.get('x')!;
    t.is(x.dtype, dtype as never);
    t.deepEqual(Array.from(x.data), want, dtype);
    want.forEach((w, i) => t.true(Object.is(x.data[i], w) || w === 0, `${dtype} value ${i}`));
  }
  const nan = decodeSafetensors(craft({x: {dtype: 'F16', shape: [1], data_offsets: [0, 2]}}, u16([0x7e00])));
  t.true(Number.isNaN(nan.tensors.get('x')!.data[0]));
  t.true(Object.is(halfToFloat(0x8000), -0), 'F16 -0 keeps its sign');
  // halfToFloat agrees with float32 rounding of its exact value for every finite half.
  for (let h = 0; h < 0x7c00; h += 97) t.is(halfToFloat(h), Math.fround(halfToFloat(h)));
});

test('hostile headers: each gives a clear SafetensorsError', (t) => {
  const f32 = (offsets: unknown, shape: unknown = [2]) => ({dtype: 'F32', shape, data_offsets: offsets});
  throwsSafetensors(t, new Uint8Array(5), /too short/, 'under 8 bytes');
  throwsSafetensors(t, craft('{}', 0, 0n), /header length 0 is invalid/, 'zero header length');
  throwsSafetensors(t, craft('{}', 0, 1000n), /header length 1000 is invalid/, 'header length past the end');
  throwsSafetensors(t, craft('{}', 0, 2n ** 63n), /header length \d+ is invalid/, 'huge header length');
  throwsSafetensors(t, craft('{"a": '), /not valid JSON/, 'broken JSON');
  throwsSafetensors(t, craft('[1, 2]'), /does not start with/, 'JSON array');
  throwsSafetensors(t, craft('{"a": 1} x'), /not valid JSON/, 'trailing garbage in the header');
  const badUtf8 = craft('{"a":1}');
  badUtf8[10] = 0xff;
  throwsSafetensors(t, badUtf8, /not valid UTF-8/, 'invalid UTF-8');
  throwsSafetensors(t, craft({a: 5}), /'a': header entry must be an object/, 'entry not an object');
  throwsSafetensors(t, craft({a: {shape: [1], data_offsets: [0, 4]}}, 4), /'a': dtype must be a string/, 'no dtype');
  throwsSafetensors(t, craft({a: {dtype: 'F33', shape: [1], data_offsets: [0, 4]}}, 4), /unknown dtype "F33"/, 'bad dtype');
  throwsSafetensors(t, craft({a: {dtype: 'I64', shape: [1], data_offsets: [0, 8]}}, 8), /dtype I64 is not supported/, 'I64');
  throwsSafetensors(t, craft({a: f32([0, 8], [-2])}, 8), /non-negative integers/, 'negative dim');
  throwsSafetensors(t, craft({a: f32([0, 8], [2.5])}, 8), /non-negative integers/, 'fractional dim');
  throwsSafetensors(t, craft({a: f32([0, 8], 'x')}, 8), /shape must be an array/, 'shape not an array');
  throwsSafetensors(t, craft({a: f32([0, 8], [2 ** 40, 2 ** 40])}, 8), /too large/, 'overflowing shape');
  throwsSafetensors(t, craft({a: f32([0])}, 8), /data_offsets must be/, 'one offset');
  throwsSafetensors(t, craft({a: f32([8, 0])}, 8), /data_offsets must be/, 'begin > end');
  throwsSafetensors(t, craft({a: f32([0, -8])}, 8), /data_offsets must be/, 'negative offset');
  throwsSafetensors(t, craft({a: {...f32([0, 8]), extra: 1}}, 8), /unexpected header field\(s\) extra/, 'unknown field');
  throwsSafetensors(t, craft({a: f32([0, 12])}, 12), /needs 8 bytes but data_offsets \[0, 12\] span 12/,
                    'size does not match the shape');
  throwsSafetensors(t, craft({a: {dtype: 'F16', shape: [3], data_offsets: [0, 4]}}, 4), /needs 6 bytes/, 'F16 size');
  throwsSafetensors(t, craft({a: f32([0, 8]), b: f32([4, 12])}, 12), /'b' .*overlap/, 'overlapping tensors');
  throwsSafetensors(t, craft({a: f32([0, 8]), b: f32([0, 8])}, 8), /overlap/, 'two tensors on the same bytes');
  throwsSafetensors(t, craft({a: f32([0, 8]), b: f32([12, 20])}, 20), /'b' .*gap after byte 8/, 'gap');
  throwsSafetensors(t, craft({a: f32([4, 12])}, 12), /gap after byte 0/, 'data not starting at 0');
  throwsSafetensors(t, craft({a: f32([0, 8])}, 6), /truncated: the header describes 8 data bytes but the file holds 6/,
                    'truncated data');
  throwsSafetensors(t, craft({a: f32([0, 8])}, 9), /1 bytes after the last tensor/, 'trailing bytes');
  throwsSafetensors(t, craft('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],' +
                             '"data_offsets":[4,8]}}', 8), /gap after byte 0/, 'a name given twice');
  throwsSafetensors(t, craft({__metadata__: {k: 1}}), /__metadata__\['k'\] must be a string/, 'metadata not strings');
  throwsSafetensors(t, craft({__metadata__: [1]}), /__metadata__ must be an object/, 'metadata not an object');
});

test('every truncation and random corruption of a valid file is rejected or read, never another error', (t) => {
  const rng = seededRng(t);
  const bytes = encodeSafetensors({
    'head.mlp.0.weight': {shape: [3, 4], data: Float32Array.from({length: 12}, () => rng.normal())},
    'head.mlp.0.bias': {shape: [3], data: new Float32Array(3)},
  }, {format: 'pt'});
  for (let n = 0; n < bytes.length; n++) {
    t.throws(() => decodeSafetensors(bytes.subarray(0, n)), {instanceOf: SafetensorsError}, `cut at ${n}`);
  }
  const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  // Every corrupted header either decodes or throws a SafetensorsError: anything else is listed.
  const unexpected: string[] = [];
  for (let trial = 0; trial < 2000; trial++) {
    const copy = bytes.slice();
    const at = rng.int(0, headerEnd - 1);
    copy[at] = rng.int(0, 255);
    try {
      decodeSafetensors(copy);
    } catch (e) {
      if (!(e instanceof SafetensorsError)) unexpected.push(`byte ${at} = ${copy[at]}: ${(e as Error).stack}`);
    }
  }
  t.deepEqual(unexpected, []);
});

test('the writer rejects inconsistent tensors and reserved names', (t) => {
  t.throws(() => encodeSafetensors({a: {shape: [2, 2], data: new Float32Array(3)}}),
           {instanceOf: SafetensorsError, message: /'a' has shape \[2,2\] \(4 elements\) but 3 values/});
  t.throws(() => encodeSafetensors({__metadata__: {shape: [1], data: new Float32Array(1)}}),
           {instanceOf: SafetensorsError, message: /cannot be a tensor name/});
  t.throws(() => encodeSafetensors({a: {shape: [1], data: [1] as unknown as Float32Array}}),
           {instanceOf: SafetensorsError, message: /must have a Float32Array or an Int32Array as data/});
  t.throws(() => encodeSafetensors({}, {k: 1 as unknown as string}), {instanceOf: SafetensorsError, message: /metadata/});
  const dir = mkdtempSync(join(tmpdir(), 'ibot-st-'));
  try {
    t.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), {instanceOf: SafetensorsError, message: /cannot open/});
    writeFileSync(join(dir, 'empty.safetensors'), '');
    t.throws(() => loadSafetensors(join(dir, 'empty.safetensors')), {message: /empty\.safetensors: 0 bytes is too short/});
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
