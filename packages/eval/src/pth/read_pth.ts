// Reads a torch.save file (the zip format of PyTorch ≥ 1.6) without Python: <archive>/data.pkl through the restricted
// pickle machine, tensor storages from <archive>/data/<key>, byte order from <archive>/byteorder when present.
import {constants as bufferConstants} from 'node:buffer';
import {closeSync, fstatSync, openSync, readSync} from 'node:fs';
import {basename} from 'node:path';

import {PthError} from './errors.js';
import {type PthValue, unpickle, type UnpickleOptions} from './pickle.js';
import {type PthStorage, STORAGE_TYPES} from './tensors.js';
import {ZipArchive} from './zip.js';

export interface ReadPthOptions extends UnpickleOptions {
  /** How errors name the source (default '<bytes>'). */
  name?: string;
}

/** Parses the bytes of a .pth file into plain data and PthTensors (float32 values, PyTorch shapes). */
export function readPth(bytes: Uint8Array, opts: ReadPthOptions = {}): PthValue {
  const file = opts.name ?? '<bytes>';
  const zip = new ZipArchive(bytes, file);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new PthError(`${file}: expected one <archive>/data.pkl in the zip, found ${pkls.length} ` +
                       `(${[...zip.entries.keys()].slice(0, 8).join(', ')})`);
  }
  const archive = pkls[0]!.slice(0, -'/data.pkl'.length);
  let littleEndian = true;
  if (zip.entries.has(`${archive}/byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${archive}/byteorder`)).trim();
    if (order !== 'little' && order !== 'big') throw new PthError(`${file}: unknown byteorder '${order}'`);
    littleEndian = order === 'little';
  }
  const storages = new Map<string, PthStorage>();
  const loadStorage = (type: string, key: string, numel: number): PthStorage => {
    const cached = storages.get(key);
    if (cached) return cached;
    const {dtype, bytes: bytesPerElement} = STORAGE_TYPES[type]!;
    const entry = `${archive}/data/${key}`;
    if (!zip.entries.has(entry)) throw new PthError(`storage ${key} (${entry}) is missing from the zip`);
    const data = zip.read(entry);
    if (data.length < numel * bytesPerElement) {
      throw new PthError(`storage ${key} holds ${data.length} bytes, ${numel} × ${type} needs ${numel * bytesPerElement}`);
    }
    const s: PthStorage = {key, dtype, bytesPerElement, numel, bytes: data, littleEndian};
    storages.set(key, s);
    return s;
  };
  return unpickle(zip.read(pkls[0]!), file, loadStorage, opts);
}

/**
 * Reads a .pth file from disk (see readPth). The file is read into one buffer (readFileSync stops at 2 GiB; this goes
 * to Node's Buffer limit), and stored storages are views into it, not copies.
 */
export function readPthFile(path: string, opts: ReadPthOptions = {}): PthValue {
  const name = basename(path);
  const fd = openSync(path, 'r');
  let bytes: Buffer;
  try {
    const size = fstatSync(fd).size;
    if (size > bufferConstants.MAX_LENGTH) {
      throw new PthError(`${name}: ${size} bytes is more than one Node buffer holds (${bufferConstants.MAX_LENGTH})`);
    }
    bytes = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, bytes, done, Math.min(size - done, 1 << 30), done);
      if (n === 0) break;
      done += n;
    }
    bytes = bytes.subarray(0, done);
  } finally {
    closeSync(fd);
  }
  return readPth(bytes, {name, ...opts});
}
