// The .pth reader against files written by real PyTorch 1.13 (test-fixtures/pth, values as PyTorch reports them) and
// against hostile or broken files: each must be a PthError naming what was refused, never code or a crash.
import {readFileSync} from 'node:fs';
import {crc32} from 'node:zlib';

import test from 'ava';

import {PthError} from './errors.js';
import type {PthDict, PthValue} from './pickle.js';
import {readPth, readPthFile} from './read_pth.js';
import {halfToFloat, PthTensor} from './tensors.js';

const FIXTURES = new URL('../../test-fixtures/pth/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;

interface Expected {
  shape: number[];
  dtype: string;
  values: number[];
}

/** Every tensor of `dict` equals what PyTorch reported (its float32 cast), shape, dtype and value. */
function sameAsTorch(t: import('ava').ExecutionContext, dict: PthValue, want: Record<string, Expected>) {
  const got = dict as PthDict;
  t.deepEqual(Object.keys(got), Object.keys(want), 'keys in file order');
  for (const [name, w] of Object.entries(want)) {
    const v = got[name];
    t.true(v instanceof PthTensor, name);
    const tensor = v as PthTensor;
    t.deepEqual(tensor.shape, w.shape, `${name} shape`);
    t.is<string, string>(tensor.dtype, w.dtype, `${name} dtype`);
    t.deepEqual(Array.from(tensor.data), w.values.map(Math.fround), `${name} values`);
  }
}

test('a DINO-style bare state dict reads as PyTorch wrote it (shared, transposed, strided and fp16 storages)', (t) => {
  const want = JSON.parse(readFileSync(fixture('dino_backbone_tiny.json'), 'utf8'));
  sameAsTorch(t, readPthFile(fixture('dino_backbone_tiny.pth')), want);
});

test('the same file re-zipped with deflate reads the same', (t) => {
  const want = JSON.parse(readFileSync(fixture('dino_backbone_tiny.json'), 'utf8'));
  sameAsTorch(t, readPthFile(fixture('dino_backbone_tiny_deflate.pth')), want);
});

test('an iBOT-style checkpoint: teacher and student OrderedDicts (with _metadata), bf16/fp64 heads, plain values', (t) => {
  const want = JSON.parse(readFileSync(fixture('ibot_tiny.json'), 'utf8'));
  const ckpt = readPthFile(fixture('ibot_tiny.pth')) as PthDict;
  t.deepEqual(Object.keys(ckpt), ['student', 'teacher', 'epoch', 'ibot_loss']);
  sameAsTorch(t, ckpt.teacher!, want.teacher);
  sameAsTorch(t, ckpt.student!, want.student);
  t.is(ckpt.epoch, 3);
  const center = (ckpt.ibot_loss as PthDict).center as PthTensor;
  t.deepEqual(center.shape, [1, 5]);
  t.deepEqual(Array.from(center.data), [0, 0, 0, 0, 0]);
});

test('halfToFloat: hand-checked bit patterns', (t) => {
  t.is(halfToFloat(0x3c00), 1);
  t.is(halfToFloat(0xc000), -2);
  t.is(halfToFloat(0x7bff), 65504);
  t.is(halfToFloat(0x0001), 2 ** -24); // smallest subnormal
  t.is(halfToFloat(0x7c00), Infinity);
  t.true(Number.isNaN(halfToFloat(0x7e00)));
  t.true(Object.is(halfToFloat(0x8000), -0));
});

// ---- hostile and broken files ----

/** A stored (uncompressed) zip of the given entries, as torch.save lays them out. */
function makeZip(entries: [string, Uint8Array][]): Uint8Array {
  const locals: Buffer[] = [], centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, Buffer.from(data));
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, eocd]));
}

const pklZip = (pkl: number[] | Uint8Array, extra: [string, Uint8Array][] = []) =>
  makeZip([['archive/data.pkl', Uint8Array.from(pkl)], ...extra]);
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];

test('the test zip writer round-trips a tiny valid pickle (so the hostile cases below fail for their own reason)', (t) => {
  // PROTO 2, EMPTY_DICT, SHORT_BINUNICODE 'a', BININT1 7, SETITEM, STOP → {'a': 7}
  t.deepEqual({...(readPth(pklZip([0x80, 2, 0x7d, 0x8c, 1, 0x61, 0x4b, 7, 0x73, 0x2e])) as PthDict)}, {a: 7});
});

test('hostile: a pickle calling os.system (GLOBAL posix.system + REDUCE) is refused at the GLOBAL', (t) => {
  const err = t.throws(() => readPthFile(fixture('hostile_os_system.pth')), {instanceOf: PthError});
  t.regex(err!.message, /hostile_os_system\.pth: data\.pkl byte \d+ \(opcode 0x63 GLOBAL\): global posix\.system is not allowed/);
});

test('hostile: a whole pickled module (torch.save(model)) names a global outside the allow-list', (t) => {
  const err = t.throws(() => readPthFile(fixture('hostile_module.pth')), {instanceOf: PthError});
  t.regex(err!.message, /global torch\.nn\.modules\.linear\.Linear is not allowed/);
});

test('hostile: builtins.eval through STACK_GLOBAL is refused', (t) => {
  const pkl = [0x80, 4, 0x8c, 8, ...ascii('builtins'), 0x8c, 4, ...ascii('eval'), 0x93, 0x2e];
  t.throws(() => readPth(pklZip(pkl)), {instanceOf: PthError, message: /byte 18 \(opcode 0x93 STACK_GLOBAL\): global builtins\.eval is not allowed/});
});

test('hostile: REDUCE on an allowed but non-callable global (a storage class) is refused', (t) => {
  const pkl = [0x80, 2, 0x63, ...ascii('torch\nFloatStorage\n'), 0x29, 0x52, 0x2e];
  t.throws(() => readPth(pklZip(pkl)), {instanceOf: PthError, message: /REDUCE\): global torch\.FloatStorage is not callable/});
});

test('hostile: BUILD on anything but an OrderedDict is refused', (t) => {
  // EMPTY_LIST, EMPTY_DICT, BUILD
  t.throws(() => readPth(pklZip([0x80, 2, 0x5d, 0x7d, 0x62, 0x2e])), {instanceOf: PthError, message: /byte 4 \(opcode 0x62 BUILD\): BUILD on a list\/tuple/});
});

test('wrong opcodes: unsupported (INT, NEWOBJ) and unknown ones name the opcode and byte', (t) => {
  t.throws(() => readPth(pklZip([0x80, 2, ...ascii('I42\n'), 0x2e])),
           {instanceOf: PthError, message: /data\.pkl byte 2 \(opcode 0x49 INT\): opcode INT is not supported/});
  t.throws(() => readPth(pklZip([0x80, 2, 0x29, 0x29, 0x81, 0x2e])),
           {instanceOf: PthError, message: /byte 4 \(opcode 0x81 NEWOBJ\)/});
  t.throws(() => readPth(pklZip([0x80, 2, 0xff, 0x2e])), {instanceOf: PthError, message: /byte 2 \(opcode 0xff unknown\): unknown opcode/});
});

test('broken pickles: truncated, stack underflow, missing STOP, bad memo', (t) => {
  t.throws(() => readPth(pklZip([0x80, 2, 0x58, 100, 0, 0, 0, 0x61])), {instanceOf: PthError, message: /pickle truncated/});
  t.throws(() => readPth(pklZip([0x80, 2, 0x73, 0x2e])), {instanceOf: PthError, message: /SETITEM\): stack underflow/});
  t.throws(() => readPth(pklZip([0x80, 2, 0x7d])), {instanceOf: PthError, message: /byte 3 \(end of data, no STOP\): pickle truncated/});
  t.throws(() => readPth(pklZip([0x80, 2, 0x68, 9, 0x2e])), {instanceOf: PthError, message: /memo 9 is empty/});
});

test('a __proto__ key is stored as a key, never as the prototype', (t) => {
  // EMPTY_DICT, '__proto__' : EMPTY_DICT, SETITEM
  const d = readPth(pklZip([0x80, 2, 0x7d, 0x8c, 9, ...ascii('__proto__'), 0x7d, 0x73, 0x2e])) as PthDict;
  t.deepEqual(Object.keys(d), ['__proto__']);
  t.is(Object.getPrototypeOf(d), null);
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('truncated zips are clear errors', (t) => {
  const bytes = readFileSync(fixture('dino_backbone_tiny.pth'));
  for (const keep of [0, 10, 100, bytes.length >> 1, bytes.length - 30]) {
    t.throws(() => readPth(bytes.subarray(0, keep), {name: 'cut.pth'}),
             {instanceOf: PthError, message: /cut\.pth: (not a zip|zip truncated)/}, `first ${keep} bytes`);
  }
  // Central directory intact, one storage's bytes corrupted: the CRC check catches it.
  const bad = Uint8Array.from(bytes);
  const at = bad.length >> 1;
  bad[at] = bad[at]! ^ 0xff;
  t.throws(() => readPth(bad), {instanceOf: PthError, message: /CRC-32 mismatch|data\.pkl byte/});
});

test('a legacy (PyTorch < 1.6) pickle-stream file is named as such', (t) => {
  t.throws(() => readPth(Uint8Array.from([0x80, 2, 0x8a, 0x0a, ...new Array(40).fill(0)])),
           {instanceOf: PthError, message: /legacy torch\.save format/});
});

test('a storage key missing from the zip is a clear error', (t) => {
  t.throws(() => readPthFile(fixture('hostile_missing_storage.pth')),
           {instanceOf: PthError, message: /hostile_missing_storage\.pth: data\.pkl byte \d+ \(opcode 0x51 BINPERSID\): storage 0 \(dino_backbone_tiny\/data\/0\) is missing/});
});

test('a tensor view reaching past its storage is refused', (t) => {
  // _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 2), 1, (2,), (1,), False, None): needs elements 1..2 of 2.
  const pkl = [0x80, 2, 0x63, ...ascii('torch._utils\n_rebuild_tensor_v2\n'), 0x28,
    0x28, 0x8c, 7, ...ascii('storage'), 0x63, ...ascii('torch\nFloatStorage\n'), 0x8c, 1, ...ascii('0'),
    0x8c, 3, ...ascii('cpu'), 0x4b, 2, 0x74, 0x51,
    0x4b, 1, 0x4b, 2, 0x85, 0x4b, 1, 0x85, 0x89, 0x4e, 0x74, 0x52, 0x2e];
  const storage = new Uint8Array(new Float32Array([1, 2]).buffer);
  t.throws(() => readPth(pklZip(pkl, [['archive/data/0', storage]])),
           {instanceOf: PthError, message: /reads element 2 of storage 0, which has 2/});
  // The same view one element shorter is fine (and is element 1).
  pkl[pkl.length - 10] = 1;
  const ok = readPth(pklZip(pkl, [['archive/data/0', storage]])) as PthTensor;
  t.deepEqual([ok.shape, Array.from(ok.data)], [[1], [2]]);
});

test('a full training checkpoint (args Namespace, optimizer state) is refused by default, read with namespaces: true', (t) => {
  t.throws(() => readPthFile(fixture('ibot_full_tiny.pth')),
           {instanceOf: PthError, message: /global argparse\.Namespace \(a training script's args\) is refused unless namespaces: true/});
  const want = JSON.parse(readFileSync(fixture('ibot_full_tiny.json'), 'utf8'));
  const ckpt = readPthFile(fixture('ibot_full_tiny.pth'), {namespaces: true}) as PthDict;
  t.deepEqual(Object.keys(ckpt), ['student', 'teacher', 'optimizer', 'epoch', 'args']);
  const plain = (v: PthValue) => JSON.parse(JSON.stringify(v));
  t.deepEqual(plain(ckpt.args!), want.args);
  const optimizer = ckpt.optimizer as PthDict;
  t.deepEqual(plain(optimizer.param_groups!), want.param_groups);
  const expAvg = ((optimizer.state as PthDict)['0'] as PthDict).exp_avg as PthTensor;
  t.deepEqual([expAvg.shape, Array.from(expAvg.data)], [want.exp_avg.shape, want.exp_avg.values.map(Math.fround)]);
  // Only Namespace is let through NEWOBJ, even with the option.
  t.throws(() => readPth(pklZip([0x80, 2, 0x63, ...ascii('collections\nOrderedDict\n'), 0x29, 0x81, 0x2e]), {namespaces: true}),
           {instanceOf: PthError, message: /NEWOBJ of a global collections\.OrderedDict/});
});

test('a dict posing as a storage is not one', (t) => {
  // _rebuild_tensor_v2({'__storage': 'x'}, 0, (), (), False, None)
  const pkl = [0x80, 2, 0x63, ...ascii('torch._utils\n_rebuild_tensor_v2\n'), 0x28, 0x7d, 0x8c, 9, ...ascii('__storage'),
    0x8c, 1, ...ascii('x'), 0x73, 0x4b, 0, 0x29, 0x29, 0x89, 0x4e, 0x74, 0x52, 0x2e];
  t.throws(() => readPth(pklZip(pkl)), {instanceOf: PthError, message: /first argument is a dict, not a storage/});
});
