// A minimal, bounds-checked zip reader for torch.save files (PyTorch ≥ 1.6 writes a zip of data.pkl and raw tensor
// storages). Stored and deflated entries, ZIP64, CRC-32 verified on every read; anything malformed is a PthError.
import {crc32, inflateRawSync} from 'node:zlib';

import {PthError} from './errors.js';

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

/** The entries of a zip held in memory, read on demand. */
export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
  }

  private fail(msg: string): never {
    throw new PthError(`${this.file}: ${msg}`);
  }

  private need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      this.fail(`zip truncated or corrupt: ${what} at byte ${offset} (+${length}) lies past the end of the ` +
                `${this.bytes.length}-byte file`);
    }
  }

  private u16(o: number): number {
    return this.view.getUint16(o, true);
  }

  private u32(o: number): number {
    return this.view.getUint32(o, true);
  }

  private u64(o: number, what: string): number {
    const v = this.view.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`zip: ${what} ${v} is too large`);
    return Number(v);
  }

  private findEocd(): number {
    // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
    const min = Math.max(0, this.bytes.length - 22 - 0xffff);
    for (let o = this.bytes.length - 22; o >= min; o--) {
      if (this.u32(o) === SIG_EOCD) return o;
    }
    if (this.bytes[0] === 0x80) {
      this.fail('not a zip: this looks like the legacy torch.save format (PyTorch < 1.6), which is not supported; ' +
                're-save it with a recent PyTorch');
    }
    return this.fail('not a zip file (no end-of-central-directory record): the file is truncated or not a .pth');
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    if (this.bytes.length < 22) this.fail(`not a zip file: only ${this.bytes.length} bytes`);
    const eocd = this.findEocd();
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_EOCD64_LOCATOR) this.fail('zip: ZIP64 locator missing');
      const rec = this.u64(loc + 8, 'ZIP64 record offset');
      this.need(rec, 56, 'ZIP64 end-of-central-directory record');
      if (this.u32(rec) !== SIG_EOCD64) this.fail(`zip: bad ZIP64 record signature at byte ${rec}`);
      count = this.u64(rec + 32, 'entry count');
      cdSize = this.u64(rec + 40, 'central directory size');
      cdOffset = this.u64(rec + 48, 'central directory offset');
    }
    this.need(cdOffset, cdSize, 'central directory');
    const entries = new Map<string, ZipEntry>();
    let o = cdOffset;
    for (let i = 0; i < count; i++) {
      this.need(o, 46, `central directory entry ${i}`);
      if (this.u32(o) !== SIG_CENTRAL) this.fail(`zip: bad central directory entry ${i} at byte ${o}`);
      const flags = this.u16(o + 8);
      const method = this.u16(o + 10);
      const crc = this.u32(o + 16);
      let compressedSize = this.u32(o + 20);
      let size = this.u32(o + 24);
      const nameLen = this.u16(o + 28), extraLen = this.u16(o + 30), commentLen = this.u16(o + 32);
      let localHeaderOffset = this.u32(o + 42);
      this.need(o + 46, nameLen + extraLen + commentLen, `central directory entry ${i} name`);
      const name = new TextDecoder().decode(this.bytes.subarray(o + 46, o + 46 + nameLen));
      if (flags & 1) this.fail(`zip entry ${name}: encrypted entries are not supported`);
      // ZIP64 extended information: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order.
      let e = o + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = this.u16(e), len = this.u16(e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          const next = (what: string) => {
            if (f + 8 > e + 4 + len) this.fail(`zip entry ${name}: short ZIP64 extra field`);
            const v = this.u64(f, what);
            f += 8;
            return v;
          };
          if (size === U32_MAX) size = next('size');
          if (compressedSize === U32_MAX) compressedSize = next('compressed size');
          if (localHeaderOffset === U32_MAX) localHeaderOffset = next('offset');
        }
        e += 4 + len;
      }
      entries.set(name, {name, method, crc, compressedSize, size, localHeaderOffset});
      o += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  /** The uncompressed bytes of an entry (a view into the file for stored entries), CRC-checked. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) this.fail(`zip has no entry ${name}`);
    const o = entry.localHeaderOffset;
    this.need(o, 30, `local header of ${name}`);
    if (this.u32(o) !== SIG_LOCAL) this.fail(`zip: bad local header of ${name} at byte ${o}`);
    // The local header's own name and extra lengths (torch pads the extra field to align the data).
    const start = o + 30 + this.u16(o + 26) + this.u16(o + 28);
    this.need(start, entry.compressedSize, `data of ${name}`);
    const raw = this.bytes.subarray(start, start + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) this.fail(`zip entry ${name}: stored with two different sizes`);
      data = raw;
    } else if (entry.method === 8) {
      try {
        data = inflateRawSync(raw, {maxOutputLength: Math.max(1, entry.size)});
      } catch (err) {
        return this.fail(`zip entry ${name}: deflate data is corrupt (${(err as Error).message})`);
      }
      if (data.length !== entry.size) this.fail(`zip entry ${name}: inflated to ${data.length} bytes, expected ${entry.size}`);
    } else {
      return this.fail(`zip entry ${name}: compression method ${entry.method} is not supported (only stored and deflate)`);
    }
    if ((crc32(data) >>> 0) !== entry.crc) this.fail(`zip entry ${name}: CRC-32 mismatch (the file is corrupt)`);
    return data;
  }
}
