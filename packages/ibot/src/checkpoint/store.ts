// Crash-safe training checkpoints: each one is a directory (student, teacher and state tensors as safetensors, plus
// state.json with the scalar state and a manifest of sizes and SHA-256 sums), written into a temporary directory,
// fsynced and renamed into place; then the `latest` pointer is replaced atomically. A reader of `latest` therefore
// always finds a complete checkpoint, whenever the writer was killed.
import {createHash, randomBytes} from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
  writeSync,
} from 'node:fs';
import {join} from 'node:path';

import {fsyncDir, processAlive, writeFileAtomicSync} from './atomic_fs.js';
import {loadSafetensors, SafetensorsError, writeSafetensorsFd, type ReadTensor, type TensorDict} from './safetensors.js';

/** The scalar part of the training state (JSON). The trainer decides what goes in; these fields are conventional. */
export interface CheckpointState {
  /** The epoch to resume at (the official code saves epoch + 1 after finishing an epoch). */
  epoch: number;
  /** Iterations done so far (the global step of the next iteration). */
  step: number;
  config?: unknown;
  /** The JSON part of the optimizer state, e.g. per-parameter AdamW step counts; the moments go in `tensors`. */
  optimizer?: unknown;
  /** RNG state (seed and counters of the data and mask streams). */
  rng?: unknown;
  /** Where the loss log stood at this checkpoint (lines or bytes), so a resumed run can truncate and continue it. */
  lossLogPosition?: number;
  [key: string]: unknown;
}

/** What the trainer hands to `save`: weights in official names and PyTorch shapes, plus the rest of the state. */
export interface Checkpoint {
  student: TensorDict;
  teacher: TensorDict;
  /** Tensor state besides the weights: AdamW moments and the loss centres (names: see STATE_TENSORS). */
  tensors: TensorDict;
  state: CheckpointState;
}

export interface LoadedCheckpoint {
  /** The checkpoint's directory name, e.g. `ckpt-000012-step-0000004800`. */
  name: string;
  dir: string;
  student: Map<string, ReadTensor>;
  teacher: Map<string, ReadTensor>;
  tensors: Map<string, ReadTensor>;
  state: CheckpointState;
}

/** Conventional names in `Checkpoint.tensors`. */
export const STATE_TENSORS = {
  center: 'ibot_loss.center',
  center2: 'ibot_loss.center2',
  adamM: (param: string) => `optimizer.exp_avg.${param}`,
  adamV: (param: string) => `optimizer.exp_avg_sq.${param}`,
} as const;

export const CHECKPOINT_FILES = ['student.safetensors', 'teacher.safetensors', 'state.safetensors'] as const;
const STATE_JSON = 'state.json';
const LATEST = 'latest';
const FORMAT = 'ibotjs-checkpoint';
const VERSION = 1;
const NAME_RE = /^ckpt-(\d{6,})-step-(\d+)$/;
/** Leftovers of an interrupted save or prune, named with the writer's pid. */
const TEMP_RE = /^\.(?:ckpt\.tmp|latest\.tmp|trash)-(\d+)-[0-9a-f]+/;
const MAX_STATE_JSON_BYTES = 256 << 20;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

interface FileRecord {
  bytes: number;
  sha256: string;
}

interface StateFile {
  format: typeof FORMAT;
  version: number;
  files: Record<string, FileRecord>;
  state: CheckpointState;
}

export interface CheckpointStoreOptions {
  /** How many checkpoints to keep (the newest); older ones are deleted after each save. Default 3. */
  keep?: number;
}

/**
 * A directory of checkpoints with a `latest` pointer. One writer per directory at a time (saves are synchronous);
 * any number of readers. Layout:
 *   <root>/ckpt-000001-step-0000000100/{student,teacher,state}.safetensors, state.json
 *   <root>/latest   (the name of the newest complete checkpoint)
 */
export class CheckpointStore {
  readonly root: string;
  readonly keep: number;

  constructor(root: string, options: CheckpointStoreOptions = {}) {
    const keep = options.keep ?? 3;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new CheckpointError(`keep must be an integer >= 1, got ${keep}`);
    this.root = root;
    this.keep = keep;
  }

  /** Names of the checkpoints present, oldest first. */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => NAME_RE.test(n)).sort((a, b) => seqOf(a) - seqOf(b));
  }

  /** The name `latest` points to, or null when no checkpoint was ever completed. */
  latestName(): string | null {
    let text: string;
    try {
      text = readFileSync(join(this.root, LATEST), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new CheckpointError(`${join(this.root, LATEST)}: cannot read (${(e as Error).message})`);
    }
    const name = text.trim();
    if (!NAME_RE.test(name)) {
      throw new CheckpointError(`${join(this.root, LATEST)}: does not name a checkpoint (${JSON.stringify(name)})`);
    }
    return name;
  }

  /** Loads the checkpoint `latest` points to, or returns null when there is none yet. */
  loadLatest(options: {verify?: boolean} = {}): LoadedCheckpoint | null {
    const name = this.latestName();
    return name === null ? null : this.load(name, options);
  }

  /**
   * Loads one checkpoint and checks it: format, every file's size and (unless verify is false) SHA-256 against the
   * manifest, and every safetensors file's structure.
   */
  load(name: string, options: {verify?: boolean} = {}): LoadedCheckpoint {
    if (!NAME_RE.test(name)) throw new CheckpointError(`not a checkpoint name: ${JSON.stringify(name)}`);
    const dir = join(this.root, name);
    const statePath = join(dir, STATE_JSON);
    const file = readStateFile(statePath);
    const verify = options.verify ?? true;
    const read = (f: string): Map<string, ReadTensor> => {
      const path = join(dir, f);
      const record = file.files[f]!;
      let size: number;
      try {
        size = statSync(path).size;
      } catch (e) {
        throw new CheckpointError(`${path}: missing (${(e as Error).message})`);
      }
      if (size !== record.bytes) {
        throw new CheckpointError(`${path}: ${size} bytes, the manifest in ${STATE_JSON} says ${record.bytes}`);
      }
      const hash = verify ? createHash('sha256') : undefined;
      let tensors: Map<string, ReadTensor>;
      try {
        tensors = loadSafetensors(path, hash).tensors;
      } catch (e) {
        if (e instanceof SafetensorsError) throw new CheckpointError(`checkpoint ${name}: ${e.message}`);
        throw e;
      }
      if (hash) {
        const sum = hash.digest('hex');
        if (sum !== record.sha256) {
          throw new CheckpointError(`${path}: SHA-256 ${sum} does not match the manifest (${record.sha256})`);
        }
      }
      return tensors;
    };
    return {
      name, dir,
      student: read('student.safetensors'),
      teacher: read('teacher.safetensors'),
      tensors: read('state.safetensors'),
      state: file.state,
    };
  }

  /**
   * Writes a checkpoint and makes it the latest; returns its name. Crash-safe: until the final rename of `latest`,
   * the previous latest checkpoint stays what readers see. Then deletes all but the newest `keep` checkpoints.
   */
  save(checkpoint: Checkpoint): string {
    const {epoch, step} = checkpoint.state;
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(step) || step < 0) {
      throw new CheckpointError(`state.epoch and state.step must be non-negative integers, got ${epoch} and ${step}`);
    }
    const stateJsonText = JSON.stringify(checkpoint.state);
    ensureDir(this.root);
    this.removeStale();

    const existing = this.list();
    const seq = existing.length > 0 ? seqOf(existing[existing.length - 1]!) + 1 : 1;
    const name = `ckpt-${String(seq).padStart(6, '0')}-step-${String(step).padStart(10, '0')}`;
    const temp = join(this.root, `.ckpt.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(temp);
    try {
      const files: Record<string, FileRecord> = {};
      const parts: Record<(typeof CHECKPOINT_FILES)[number], TensorDict> = {
        'student.safetensors': checkpoint.student,
        'teacher.safetensors': checkpoint.teacher,
        'state.safetensors': checkpoint.tensors,
      };
      for (const f of CHECKPOINT_FILES) files[f] = writeTensorFile(join(temp, f), parts[f]);
      // state.json last: its manifest is what a reader checks the other files against.
      const stateFile = `{"format":"${FORMAT}","version":${VERSION},"files":${JSON.stringify(files)},` +
          `"state":${stateJsonText}}\n`;
      writeNewFile(join(temp, STATE_JSON), new TextEncoder().encode(stateFile));
      fsyncDir(temp);
      renameSync(temp, join(this.root, name));
    } catch (e) {
      rmSync(temp, {recursive: true, force: true});
      throw e;
    }
    fsyncDir(this.root);
    writeFileAtomicSync(join(this.root, LATEST), `${name}\n`);
    this.prune(name);
    return name;
  }

  /** Deletes the oldest checkpoints beyond `keep`, never the one `latest` names. */
  private prune(latest: string): void {
    const names = this.list();
    for (const old of names.slice(0, Math.max(0, names.length - this.keep))) {
      if (old === latest) continue;
      // Renamed away first, so a crash mid-delete leaves a dot-file to clean, not a half-deleted checkpoint.
      const trash = join(this.root, `.trash-${process.pid}-${randomBytes(4).toString('hex')}`);
      renameSync(join(this.root, old), trash);
      rmSync(trash, {recursive: true, force: true});
    }
  }

  /** Removes what interrupted saves left behind (temporary directories and files of processes that are gone). */
  private removeStale(): void {
    for (const entry of readdirSync(this.root)) {
      const m = TEMP_RE.exec(entry);
      if (!m) continue;
      const pid = Number(m[1]);
      // Our own leftovers are stale too: saves are synchronous, so none of ours is in progress.
      if (pid !== process.pid && processAlive(pid)) continue;
      rmSync(join(this.root, entry), {recursive: true, force: true});
    }
  }
}

function seqOf(name: string): number {
  return Number(NAME_RE.exec(name)![1]);
}

function ensureDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, {recursive: true});
  fsyncDir(join(dir, '..'));
}

/** Writes a new file (it must not exist), fsyncs it, returns size and SHA-256. */
function writeTensorFile(path: string, tensors: TensorDict): FileRecord {
  const hash = createHash('sha256');
  const fd = openSync(path, 'wx', 0o644);
  let bytes: number;
  try {
    bytes = writeSafetensorsFd(fd, tensors, {format: 'pt'}, hash, path);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return {bytes, sha256: hash.digest('hex')};
}

function writeNewFile(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readStateFile(path: string): StateFile {
  let text: string;
  try {
    if (statSync(path).size > MAX_STATE_JSON_BYTES) throw new CheckpointError(`${path}: too large`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${path}: cannot read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const file = json as Partial<StateFile>;
  if (typeof json !== 'object' || json === null || file.format !== FORMAT) {
    throw new CheckpointError(`${path}: not an ibotjs checkpoint state file`);
  }
  if (file.version !== VERSION) {
    throw new CheckpointError(`${path}: format version ${file.version}, this reader knows ${VERSION}`);
  }
  for (const f of CHECKPOINT_FILES) {
    const r = file.files?.[f];
    if (!r || !Number.isSafeInteger(r.bytes) || typeof r.sha256 !== 'string') {
      throw new CheckpointError(`${path}: the manifest has no valid entry for ${f}`);
    }
  }
  const state = file.state;
  if (typeof state !== 'object' || state === null || !Number.isSafeInteger(state.epoch) ||
      !Number.isSafeInteger(state.step)) {
    throw new CheckpointError(`${path}: state must hold integer epoch and step`);
  }
  return file as StateFile;
}
