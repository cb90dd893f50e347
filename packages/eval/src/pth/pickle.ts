// A restricted pickle machine for the data.pkl of torch.save files: only the opcodes state dicts use, and only the
// globals that rebuild tensors and ordered dicts (and, on request, argparse.Namespace read as a dict). It never imports,
// calls or constructs anything else: any other opcode or global is a PthError naming it and its byte offset.
import {PthError} from './errors.js';
import {type PthStorage, PthTensor, rebuildTensor, STORAGE_TYPES} from './tensors.js';

/** What a .pth file can hold once read: plain data and tensors. Dicts have string keys (int keys become strings). */
export type PthValue = null | boolean | number | bigint | string | PthTensor | PthValue[] | PthDict;
export interface PthDict {
  [key: string]: PthValue;
}

/** The callables and classes a state-dict pickle may name (module.name as in GLOBAL). */
const ALLOWED_GLOBALS = new Set([
  'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'collections.OrderedDict',
  ...Object.keys(STORAGE_TYPES).map((s) => `torch.${s}`),
]);

/** A reference to an allowed global: an inert name, never resolved to code. */
class GlobalRef {
  constructor(readonly qualname: string) {}
}

/** The class of a training script's `args`: read as a plain dict of its attributes when the caller allows it. */
const NAMESPACE = 'argparse.Namespace';

export interface UnpickleOptions {
  /**
   * Accept argparse.Namespace (the `args` of full iBOT/DINO training checkpoints) and read it as a plain dict of its
   * attributes: no class is instantiated, its pickled state is copied as data. Default false (refused).
   */
  namespaces?: boolean;
}

/** A storage produced by BINPERSID; only _rebuild_tensor_v2 consumes it (a dict key '__storage' cannot pose as one). */
class StorageRef {
  constructor(readonly storage: PthStorage) {}
}

/** Resolves a persistent id ('storage', storage class, key, location, numel) to the storage's bytes. */
export type StorageLoader = (storageType: string, key: string, numel: number) => PthStorage;

const OPNAMES: Readonly<Record<number, string>> = {
  0x80: 'PROTO', 0x95: 'FRAME', 0x7d: 'EMPTY_DICT', 0x5d: 'EMPTY_LIST', 0x29: 'EMPTY_TUPLE', 0x28: 'MARK',
  0x58: 'BINUNICODE', 0x8c: 'SHORT_BINUNICODE', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4d: 'BININT2', 0x8a: 'LONG1',
  0x47: 'BINFLOAT', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x4e: 'NONE', 0x74: 'TUPLE', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x73: 'SETITEM', 0x75: 'SETITEMS', 0x61: 'APPEND', 0x65: 'APPENDS', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x68: 'BINGET', 0x6a: 'LONG_BINGET', 0x94: 'MEMOIZE', 0x2e: 'STOP', 0x51: 'BINPERSID',
  0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x52: 'REDUCE', 0x62: 'BUILD', 0x64: 'DICT', 0x6c: 'LIST', 0x30: 'POP',
  0x31: 'POP_MARK', 0x32: 'DUP',
  // Known but refused (named in the error):
  0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x8d: 'BINUNICODE8', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8e: 'BINBYTES8',
  0x96: 'BYTEARRAY8', 0x8b: 'LONG4', 0x50: 'PERSID', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x67: 'GET', 0x70: 'PUT', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS',
  0x91: 'FROZENSET', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** Sets a dict item without ever touching Object.prototype (a key '__proto__' is just a key). */
function setItem(dict: PthDict, key: PthValue, value: PthValue, fail: (msg: string) => never): void {
  if (typeof key === 'number' && Number.isInteger(key)) key = String(key);
  if (typeof key !== 'string') fail(`dict key of type ${describe(key)} (only str and int keys are supported)`);
  Object.defineProperty(dict, key, {value, enumerable: true, writable: true, configurable: true});
}

function newDict(): PthDict {
  return Object.create(null) as PthDict;
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof GlobalRef) return `global ${v.qualname}`;
  if (v instanceof PthTensor) return 'tensor';
  if (v instanceof StorageRef) return 'storage';
  if (Array.isArray(v)) return 'list/tuple';
  if (typeof v === 'object') return 'dict';
  return typeof v;
}

/**
 * Runs data.pkl. `file` names the source in errors; `loadStorage` resolves persistent ids.
 */
export function unpickle(pkl: Uint8Array, file: string, loadStorage: StorageLoader,
                         opts: UnpickleOptions = {}): PthValue {
  const view = new DataView(pkl.buffer, pkl.byteOffset, pkl.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const orderedDicts = new WeakSet<object>();
  const namespaces = new WeakSet<object>();
  const utf8 = new TextDecoder('utf-8', {fatal: true});
  let pos = 0;
  let opStart = 0;

  const fail = (msg: string): never => {
    const op = pkl[opStart];
    const what = op === undefined ? 'end of data, no STOP' : `opcode 0x${op.toString(16).padStart(2, '0')} ${OPNAMES[op] ?? 'unknown'}`;
    throw new PthError(`${file}: data.pkl byte ${opStart} (${what}): ${msg}`);
  };
  const need = (n: number) => {
    if (pos + n > pkl.length) fail(`pickle truncated: needs ${n} more bytes at byte ${pos}, has ${pkl.length - pos}`);
  };
  const u8 = () => (need(1), pkl[pos++]!);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]!)) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    return stack.splice(m!);
  };
  const str = (n: number): string => {
    need(n);
    try {
      return utf8.decode(pkl.subarray(pos, (pos += n)));
    } catch {
      return fail('invalid UTF-8 in a string');
    }
  };
  const line = (): string => {
    const end = pkl.indexOf(0x0a, pos);
    if (end < 0) fail('pickle truncated inside a GLOBAL name');
    const s = new TextDecoder('latin1').decode(pkl.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const global = (module: string, name: string): GlobalRef => {
    const q = `${module}.${name}`;
    if (q === NAMESPACE && opts.namespaces) return new GlobalRef(q);
    if (!ALLOWED_GLOBALS.has(q)) {
      if (q === NAMESPACE) fail(`global ${q} (a training script's args) is refused unless namespaces: true is given`);
      fail(`global ${q} is not allowed: a state-dict file may only name tensor storages, ` +
           '_rebuild_tensor_v2/_rebuild_parameter and OrderedDict (a pickled model or arbitrary object is refused)');
    }
    return new GlobalRef(q);
  };
  const asDict = (v: unknown, what: string): PthDict => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof PthTensor || v instanceof GlobalRef) {
      return fail(`${what} on a ${describe(v)}, not a dict`);
    }
    return v as PthDict;
  };
  const asList = (v: unknown, what: string): unknown[] => {
    if (!Array.isArray(v) || Object.isFrozen(v)) return fail(`${what} on a ${describe(v)}, not a list`);
    return v;
  };
  const reduce = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof GlobalRef)) return fail(`REDUCE calls a ${describe(fn)}; only allowed globals are callable`);
    if (!Array.isArray(args)) return fail(`REDUCE arguments are a ${describe(args)}, not a tuple`);
    const where = `${file}: data.pkl byte ${opStart}`;
    switch (fn.qualname) {
      case 'collections.OrderedDict': {
        if (args.length !== 0) fail('OrderedDict(...) with arguments is not supported');
        const d = newDict();
        orderedDicts.add(d);
        return d;
      }
      case 'torch._utils._rebuild_tensor_v2': {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.length < 6 || args.length > 7) fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
        const storage = args[0];
        if (!(storage instanceof StorageRef)) {
          return fail(`_rebuild_tensor_v2's first argument is a ${describe(storage)}, not a storage`);
        }
        return rebuildTensor(storage.storage, args[1], args[2], args[3], where);
      }
      case 'torch._utils._rebuild_parameter': {
        // (data, requires_grad, backward_hooks): a Parameter is its tensor for us.
        if (args.length !== 3 || !(args[0] instanceof PthTensor)) fail('_rebuild_parameter expects (tensor, bool, hooks)');
        return args[0];
      }
      default:
        return fail(`global ${fn.qualname} is not callable`);
    }
  };

  for (;;) {
    opStart = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v < 2 || v > 5) fail(`pickle protocol ${v} is not supported (2 to 5)`);
        break;
      }
      case 0x95: need(8); pos += 8; break; // FRAME: a length hint only
      case 0x7d: stack.push(newDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE (tuples are frozen arrays)
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x58: stack.push(str(u32())); break; // BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x4a: need(4); stack.push(view.getInt32(pos, true)); pos += 4; break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1: n-byte little-endian two's complement
        const n = u8();
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(pkl[pos + i]!);
        if (n > 0 && pkl[pos + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4e: stack.push(null); break; // NONE
      case 0x74: stack.push(Object.freeze(popMark())); break; // TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(Object.freeze([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(Object.freeze([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) fail('odd number of items');
        const d = newDict();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i] as PthValue, items[i + 1] as PthValue, fail);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItem(asDict(top(), 'SETITEM'), k as PthValue, v as PthValue, fail);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('odd number of items');
        const d = asDict(top(), 'SETITEMS');
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i] as PthValue, items[i + 1] as PthValue, fail);
        break;
      }
      case 0x61: { const v = pop(); asList(top(), 'APPEND').push(v); break; } // APPEND
      case 0x65: { const items = popMark(); asList(top(), 'APPENDS').push(...items); break; } // APPENDS
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo ${i} is empty`);
        stack.push(memo.get(i));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); stack.push(global(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: { // BINPERSID: ('storage', storage class, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
          fail('persistent id is not (\'storage\', type, key, location, numel)');
        }
        const [, type, key, , numel] = pid as unknown[];
        if (!(type instanceof GlobalRef) || !type.qualname.startsWith('torch.') ||
            !((type.qualname.slice(6)) in STORAGE_TYPES)) {
          fail(`persistent id names ${describe(type)}, not a tensor storage class`);
        }
        if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) {
          fail('persistent id has a bad storage key or element count');
        }
        try {
          stack.push(new StorageRef(loadStorage((type as GlobalRef).qualname.slice(6), key as string, numel as number)));
        } catch (err) {
          if (err instanceof PthError) fail(err.message);
          throw err;
        }
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); stack.push(reduce(fn, args)); break; } // REDUCE
      case 0x81: { // NEWOBJ: only argparse.Namespace() (when allowed), which becomes an empty dict
        const args = pop(), cls = pop();
        if (!(cls instanceof GlobalRef) || cls.qualname !== NAMESPACE || !Array.isArray(args) || args.length) {
          fail(`NEWOBJ of a ${describe(cls)}: only argparse.Namespace() is accepted (with namespaces: true)`);
        }
        const d = newDict();
        namespaces.add(d);
        stack.push(d);
        break;
      }
      case 0x62: { // BUILD: the state of an OrderedDict (a state dict's _metadata, dropped) or of a Namespace (copied)
        const state = pop();
        const target = top();
        if (typeof target === 'object' && target !== null && namespaces.has(target)) {
          for (const [k, v] of Object.entries(asDict(state, 'BUILD state'))) setItem(target as PthDict, k, v, fail);
        } else if (typeof target !== 'object' || target === null || !orderedDicts.has(target)) {
          fail(`BUILD on a ${describe(target)}: only an OrderedDict's state is accepted`);
        }
        break;
      }
      case 0x2e: { // STOP
        const result = pop();
        if (stack.length !== 0) fail(`${stack.length} values left on the stack`);
        return toPublic(result, fail);
      }
      default:
        return fail(OPNAMES[op] ? `opcode ${OPNAMES[op]} is not supported in a state-dict file` : 'unknown opcode');
    }
  }
}

/** Checks the result holds only public values (no storage or global references leak out). */
function toPublic(v: unknown, fail: (msg: string) => never): PthValue {
  const seen = new Set<object>();
  const check = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || x instanceof PthTensor) return;
    if (x instanceof GlobalRef) fail(`the file holds a bare ${describe(x)}`);
    if (seen.has(x)) return;
    seen.add(x);
    if (x instanceof StorageRef) fail('the file holds a bare storage');
    for (const y of Array.isArray(x) ? x : Object.values(x)) check(y);
  };
  check(v);
  return v as PthValue;
}
