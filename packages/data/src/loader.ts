// The data loader: shuffles per epoch (seeded), builds batches in worker threads (or in this thread with workers: 0),
// keeps `prefetch` batches in flight so the next one is ready while the caller computes, and yields them in order.
// The batches depend only on (seed, epoch, dataset), never on the worker count.
import {Worker} from 'node:worker_threads';
import {assembleBatch, ItemError, type AugmentConfig, type BatchData, type BatchJob} from './batch.js';
import {checkCropSpec, checkNormalization, type CropSpec} from './augment/multicrop.js';
import type {Dataset, DatasetDescription, SkipRecord} from './dataset.js';
import {loadSharp} from './image_folder.js';
import type {WorkerReply, WorkerRequest} from './loader_worker.js';
import {openDataset} from './open.js';
import {Rng, RngStream} from './rng.js';

export interface LoaderOptions {
  /** A dataset, or its description. With workers > 0 the dataset must have a description (workers re-open it). */
  dataset: Dataset | DatasetDescription;
  batchSize: number;
  /** The views of every item, in order (e.g. multiCropRecipe(...) or [{kind: 'center', size}]). */
  crops: readonly CropSpec[];
  /** Normalisation per channel: ImageNet's for RGB (IMAGENET_MEAN/STD), the dataset's own for grey (computeChannelStats). */
  mean: readonly number[];
  std: readonly number[];
  seed: number;
  /** Worker threads; 0 builds batches in this thread. Default 0. */
  workers?: number;
  /** Shuffle each epoch with a permutation seeded by (seed, epoch). Default true. */
  shuffle?: boolean;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
  /** Batches requested ahead of the one being consumed. Default max(2, 2 × workers). */
  prefetch?: number;
  /** Called once per file the dataset skipped while loading (an ImageFolder image that failed to decode). */
  onSkip?: (record: SkipRecord) => void;
}

export interface Batch {
  epoch: number;
  /** Batch number within the epoch. */
  index: number;
  indices: Int32Array; // [B] dataset indices
  labels: Int32Array; // [B]
  /** One buffer per crop, crop-major as the official MultiCropWrapper takes them: crops[k] is [B, S_k, S_k, C]. */
  crops: Float32Array[];
  shapes: Array<[number, number, number, number]>;
}

export interface Loader extends AsyncIterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  /** Every file skipped while loading so far (deduplicated). */
  readonly skipped: readonly SkipRecord[];
  /** The batches of one epoch, from batch `fromBatch` on (to resume mid-epoch). One epoch is iterated at a time. */
  epoch(epoch: number, options?: {fromBatch?: number}): AsyncIterableIterator<Batch>;
  /** Same as epoch(0). */
  [Symbol.asyncIterator](): AsyncIterableIterator<Batch>;
  /** Stops the workers (after their current decode) and ends any iteration; idempotent. */
  close(): Promise<void>;
}

/** An error from the loader; `index` is the failing item's dataset index when one item caused it. */
export class LoaderError extends Error {
  constructor(
    message: string,
    readonly index: number | null = null,
  ) {
    super(message);
    this.name = 'LoaderError';
  }
}

export async function createLoader(options: LoaderOptions): Promise<Loader> {
  const {batchSize, seed, workers = 0, shuffle = true, dropLast = false} = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`createLoader: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`createLoader: seed must be a non-negative safe integer, got ${seed}`);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`createLoader: workers must be an integer ≥ 0, got ${workers}`);
  const prefetch = options.prefetch ?? Math.max(2, 2 * workers);
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`createLoader: prefetch must be an integer ≥ 1, got ${prefetch}`);
  if (options.crops.length === 0) throw new Error('createLoader: crops is empty');
  options.crops.forEach(checkCropSpec);

  const dataset = isDataset(options.dataset) ? options.dataset : await openDataset(options.dataset);
  if (dataset.channels !== 1 && dataset.channels !== 3) throw new Error(`createLoader: images must have 1 or 3 channels, the dataset has ${dataset.channels}`);
  checkNormalization(options.mean, options.std, dataset.channels);
  const batchesPerEpoch = dropLast ? Math.floor(dataset.size / batchSize) : Math.ceil(dataset.size / batchSize);
  if (batchesPerEpoch === 0) throw new Error(`createLoader: ${dataset.size} items make no full batch of ${batchSize} (dropLast)`);
  const config: AugmentConfig = {crops: options.crops.map((c) => ({...c})), mean: [...options.mean], std: [...options.std], seed};

  let run: (job: BatchJob) => Promise<BatchData>;
  let pool: WorkerPool | null = null;
  if (workers === 0) {
    run = async (job) => {
      await new Promise((resolve) => setImmediate(resolve)); // let the caller's code run between batches
      return assembleBatch(dataset, config, job);
    };
  } else {
    const description = dataset.description;
    if (description === null) throw new Error('createLoader: workers > 0 needs a dataset with a description (this one exists only in this thread); use workers: 0');
    if (mentionsImageFolder(description)) await loadSharp();
    pool = await WorkerPool.start(workers, description, config, dataset.size);
    run = (job) => pool!.run(job);
  }
  return new DataLoader(dataset, batchSize, batchesPerEpoch, shuffle, seed, prefetch, run, pool, options.onSkip);
}

function isDataset(d: Dataset | DatasetDescription): d is Dataset {
  return typeof (d as Dataset).get === 'function';
}

function mentionsImageFolder(d: DatasetDescription): boolean {
  return d.kind === 'image-folder' || (d.kind === 'subset' && mentionsImageFolder(d.base));
}

class DataLoader implements Loader {
  readonly skipped: SkipRecord[] = [];
  private readonly seenSkipped = new Set<string>();
  private active: EpochIterator | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(
    readonly dataset: Dataset,
    readonly batchSize: number,
    readonly batchesPerEpoch: number,
    private readonly shuffle: boolean,
    private readonly seed: number,
    private readonly prefetch: number,
    private readonly run: (job: BatchJob) => Promise<BatchData>,
    private readonly pool: WorkerPool | null,
    private readonly onSkip?: (record: SkipRecord) => void,
  ) {}

  epoch(epoch: number, options: {fromBatch?: number} = {}): AsyncIterableIterator<Batch> {
    if (this.closed) throw new LoaderError('loader is closed');
    if (!Number.isInteger(epoch) || epoch < 0) throw new LoaderError(`epoch must be an integer ≥ 0, got ${epoch}`);
    const fromBatch = options.fromBatch ?? 0;
    if (!Number.isInteger(fromBatch) || fromBatch < 0 || fromBatch > this.batchesPerEpoch) {
      throw new LoaderError(`fromBatch must be an integer in [0, ${this.batchesPerEpoch}], got ${fromBatch}`);
    }
    if (this.active !== null && !this.active.finished) {
      throw new LoaderError(`epoch ${this.active.epochNumber} is still being iterated; finish or return() it first`);
    }
    const n = this.dataset.size;
    const order = this.shuffle ? new Rng(this.seed, epoch, 0, RngStream.shuffle).permutation(n) : Int32Array.from({length: n}, (_, i) => i);
    const jobFor = (b: number): BatchJob => ({
      epoch,
      batchIndex: b,
      indices: Array.from(order.subarray(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize))),
    });
    this.active = new EpochIterator(epoch, fromBatch, this.batchesPerEpoch, this.prefetch, jobFor, this.run, (s) => this.recordSkipped(s));
    return this.active;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Batch> {
    return this.epoch(0);
  }

  private recordSkipped(records: SkipRecord[]): void {
    for (const r of records) {
      if (this.seenSkipped.has(r.path)) continue;
      this.seenSkipped.add(r.path);
      this.skipped.push(r);
      this.onSkip?.(r);
    }
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.active?.finish();
    this.closing = this.pool?.close() ?? Promise.resolve();
    return this.closing;
  }
}

class EpochIterator implements AsyncIterableIterator<Batch> {
  finished = false;
  private nextDispatch: number;
  private nextYield: number;
  private readonly inFlight = new Map<number, Promise<BatchData>>();
  private wakeFinished!: () => void;
  private readonly finishedSignal = new Promise<void>((resolve) => (this.wakeFinished = resolve));

  constructor(
    readonly epochNumber: number,
    from: number,
    private readonly end: number,
    private readonly prefetch: number,
    private readonly jobFor: (b: number) => BatchJob,
    private readonly run: (job: BatchJob) => Promise<BatchData>,
    private readonly onSkipped: (records: SkipRecord[]) => void,
  ) {
    this.nextDispatch = this.nextYield = from;
  }

  private fill(): void {
    while (this.inFlight.size < this.prefetch && this.nextDispatch < this.end) {
      const b = this.nextDispatch++;
      const p = this.run(this.jobFor(b));
      p.catch(() => {}); // observed when its turn comes; a batch dropped by return() must not be an unhandled rejection
      this.inFlight.set(b, p);
    }
  }

  async next(): Promise<IteratorResult<Batch>> {
    if (this.finished || this.nextYield >= this.end) {
      this.finish();
      return {done: true, value: undefined};
    }
    this.fill();
    const b = this.nextYield++;
    const pending = this.inFlight.get(b)!;
    this.inFlight.delete(b);
    this.fill(); // keep `prefetch` batches in flight while the caller works on this one
    let data: BatchData | null;
    try {
      data = await Promise.race([pending, this.finishedSignal.then(() => null)]);
    } catch (e) {
      if (this.finished) return {done: true, value: undefined}; // closed meanwhile: its jobs were cancelled
      this.finish();
      if (e instanceof LoaderError) throw e;
      const index = e instanceof ItemError ? e.index : null;
      throw new LoaderError((e as Error).message, index);
    }
    if (data === null) return {done: true, value: undefined}; // closed meanwhile
    if (data.skipped.length > 0) this.onSkipped(data.skipped);
    return {done: false, value: {epoch: this.epochNumber, index: b, indices: data.indices, labels: data.labels, crops: data.crops, shapes: data.shapes}};
  }

  async return(): Promise<IteratorResult<Batch>> {
    this.finish();
    return {done: true, value: undefined};
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.inFlight.clear();
    this.wakeFinished();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Batch> {
    return this;
  }
}

interface PendingJob {
  resolve: (data: BatchData) => void;
  reject: (error: Error) => void;
}

/** Worker threads with a job queue each; a worker is ref'ed only while it has work, so an idle loader never holds the process. */
class WorkerPool {
  private readonly pending: Array<Map<number, PendingJob>>;
  private readonly exited: Promise<void>[];
  private nextId = 0;
  private broken: LoaderError | null = null;
  private closing = false;

  private constructor(private readonly workers: Worker[]) {
    this.pending = workers.map(() => new Map());
    this.exited = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    workers.forEach((w, k) => {
      w.on('message', (msg: WorkerReply) => this.onMessage(k, msg));
      w.on('error', (e) => this.fail(new LoaderError(`loader worker ${k} crashed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new LoaderError(`loader worker ${k} exited unexpectedly (code ${code})`));
      });
    });
  }

  static async start(count: number, description: DatasetDescription, config: AugmentConfig, size: number): Promise<WorkerPool> {
    const workers = Array.from({length: count}, () => spawnWorker({description, config}));
    try {
      await Promise.all(
        workers.map(
          (w, k) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (msg: WorkerReply) => {
                w.off('message', onMessage);
                w.off('error', onError);
                if (msg.type === 'ready' && msg.size === size) resolve();
                else if (msg.type === 'ready') reject(new LoaderError(`loader worker ${k} opened ${msg.size} items, this thread ${size}`));
                else if (msg.type === 'init-error') reject(new LoaderError(`loader worker ${k} could not open the dataset: ${msg.message}`));
                else reject(new LoaderError(`loader worker ${k}: unexpected first message ${msg.type}`));
              };
              const onError = (e: Error) => {
                w.off('message', onMessage);
                reject(new LoaderError(`loader worker ${k} failed to start: ${e.message}`));
              };
              w.on('message', onMessage);
              w.once('error', onError);
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    const pool = new WorkerPool(workers);
    workers.forEach((w) => w.unref());
    return pool;
  }

  run(job: BatchJob): Promise<BatchData> {
    if (this.broken !== null) return Promise.reject(this.broken);
    if (this.closing) return Promise.reject(new LoaderError('loader is closed'));
    // The least busy worker takes the job.
    let k = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.pending[i]!.size < this.pending[k]!.size) k = i;
    const id = this.nextId++;
    return new Promise<BatchData>((resolve, reject) => {
      this.pending[k]!.set(id, {resolve, reject});
      this.workers[k]!.ref();
      this.workers[k]!.postMessage({type: 'job', id, ...job} satisfies WorkerRequest);
    });
  }

  private onMessage(k: number, msg: WorkerReply): void {
    if (msg.type !== 'result' && msg.type !== 'error') return;
    const job = this.pending[k]!.get(msg.id);
    if (job === undefined) return;
    this.pending[k]!.delete(msg.id);
    if (this.pending[k]!.size === 0) this.workers[k]!.unref();
    if (msg.type === 'result') job.resolve(msg.data);
    else job.reject(new LoaderError(msg.message, msg.index));
  }

  private fail(error: LoaderError): void {
    this.broken ??= error;
    this.rejectAll(error);
  }

  private rejectAll(error: LoaderError): void {
    this.pending.forEach((jobs, k) => {
      for (const job of jobs.values()) job.reject(error);
      jobs.clear();
      this.workers[k]!.unref();
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.rejectAll(new LoaderError('loader is closed'));
    await Promise.all(
      this.workers.map(async (w, k) => {
        w.postMessage({type: 'close'} satisfies WorkerRequest);
        // A worker still decoding finishes that image first; one that hangs is terminated after 10 s. (A worker that has
        // already exited resolves at once.)
        const timer = setTimeout(() => void w.terminate(), 10_000);
        await this.exited[k];
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * Starts a loader worker. From the compiled package it runs loader_worker.js; from the TypeScript sources (tests, tsx) the
 * worker first registers tsx's loader, which worker threads do not inherit from `--import=tsx`.
 */
function spawnWorker(workerData: {description: DatasetDescription; config: AugmentConfig}): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./loader_worker.js', here), {workerData});
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new LoaderError('@ibotjs/data runs from its TypeScript sources here: its loader workers need tsx (npm i -D tsx), or use the built package');
  }
  const entry = new URL('./loader_worker.ts', here).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, {eval: true, workerData});
}
