// .npy v1.0: the header bytes against the NumPy format spec, byte equality with files written by NumPy 1.24
// (test-fixtures/npy), round trips of random arrays, and errors.
import {readFileSync} from 'node:fs';

import test from 'ava';

import {decodeNpy, encodeNpy, NPY_ALIGN, npyHeader} from './npy.js';

const fixture = (name: string) => readFileSync(new URL(`../test-fixtures/npy/${name}`, import.meta.url));

test('the header follows the format spec: magic, version 1.0, uint16 LE length, dict text, 64-byte alignment', (t) => {
  for (const [data, shape, dict] of [
    [new Float32Array(6), [2, 3], "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"],
    [new Int32Array(5), [5], "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }"],
    [new Float32Array(0), [0, 384], "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 384), }"],
    [new Float32Array(1), [], "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"],
  ] as const) {
    const bytes = encodeNpy(data, shape);
    t.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY 1 0
    const len = bytes[8]! + 256 * bytes[9]!;
    t.is((10 + len) % NPY_ALIGN, 0, `data offset ${10 + len}`);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + len));
    t.true(header.startsWith(dict), header);
    t.regex(header.slice(dict.length), /^ *\n$/);
    t.is(header.length, len);
    t.is(bytes.length, 10 + len + 4 * data.length);
    t.is(npyHeader(data instanceof Int32Array ? '<i4' : '<f4', shape), header);
  }
});

test('byte-identical to numpy.save for float32 [2, 3] and int32 [3]', (t) => {
  const f4 = encodeNpy(new Float32Array([0, 0.25, 0.5, 0.75, 1, 1.25]), [2, 3]);
  t.deepEqual(Buffer.from(f4), fixture('f4_2x3.npy'));
  const i4 = encodeNpy(new Int32Array([3, -1, 7]), [3]);
  t.deepEqual(Buffer.from(i4), fixture('i4_3.npy'));
  const read = decodeNpy(fixture('f4_2x3.npy'));
  t.deepEqual(read, {dtype: '<f4', shape: [2, 3], data: new Float32Array([0, 0.25, 0.5, 0.75, 1, 1.25])});
  t.deepEqual(decodeNpy(fixture('i4_3.npy')), {dtype: '<i4', shape: [3], data: new Int32Array([3, -1, 7])});
});

test('round trip of random float32 and int32 arrays of several shapes', (t) => {
  for (const shape of [[7, 13], [1, 1], [0, 4], [300], [2, 3, 4]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const f = Float32Array.from({length: n}, () => (Math.random() - 0.5) * 1e3);
    const i = Int32Array.from({length: n}, () => Math.floor((Math.random() - 0.5) * 2 ** 32));
    t.deepEqual(decodeNpy(encodeNpy(f, shape)), {dtype: '<f4', shape, data: f});
    t.deepEqual(decodeNpy(encodeNpy(i, shape)), {dtype: '<i4', shape, data: i});
  }
  // A view into a larger buffer writes only its own values.
  const big = new Float32Array([9, 1, 2, 9]);
  t.deepEqual(decodeNpy(encodeNpy(big.subarray(1, 3), [2])).data, new Float32Array([1, 2]));
});

test('errors: shape and data disagree, other dtypes, and malformed files name the problem', (t) => {
  t.throws(() => encodeNpy(new Float32Array(5), [2, 3]), {message: /shape \[2,3\] needs 6 values, got 5/});
  t.throws(() => encodeNpy(new Float32Array(0), [-1]), {message: /non-negative integers/});
  t.throws(() => encodeNpy(new Float64Array(2) as unknown as Float32Array, [2]), {message: /Float32Array or an Int32Array, got Float64Array/});
  const good = encodeNpy(new Float32Array([1, 2]), [2]);
  t.throws(() => decodeNpy(new Uint8Array([1, 2, 3]), 'x.npy'), {message: /x.npy: not a .npy file/});
  const v2 = good.slice();
  v2[6] = 2;
  t.throws(() => decodeNpy(v2), {message: /format version 2.0, only 1.0 is read/});
  t.throws(() => decodeNpy(good.subarray(0, good.length - 1)), {message: /shape \[2\] needs 8 data bytes, the file holds 7/});
  const f8 = good.slice();
  f8.set(new TextEncoder().encode("'<f8'"), 10 + "{'descr': ".length);
  t.throws(() => decodeNpy(f8), {message: /is not a C-order '<f4' or '<i4' array/});
});
