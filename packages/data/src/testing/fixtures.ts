// Test helpers: logged random seeds, and datasets that worker threads can open through a 'module' description (a dataset
// that fails at chosen items, one whose item reads are counted in shared memory).
import {SyntheticDataset} from '../synthetic.js';
import type {Dataset, DatasetDescription, Sample} from '../dataset.js';

/** A seed from IBOT_TEST_SEED or random, written to the test's log so a failure can be replayed. */
export function testSeed(t: {log(...values: unknown[]): void}): number {
  const pinned = process.env['IBOT_TEST_SEED'];
  const seed = pinned ? Number(pinned) : (Math.random() * 2 ** 31) >>> 0;
  t.log(`seed ${seed} (IBOT_TEST_SEED=${seed} replays it)`);
  return seed;
}

const MODULE = import.meta.url;

export interface FailingOptions {
  size: number;
  /** Items whose get() fails. */
  failAt: number[];
  /** 'throw': get() rejects; 'exit': the thread exits (a crashed worker). */
  mode?: 'throw' | 'exit';
}

/** A synthetic set whose items in `failAt` fail. */
export function failingDataset(options: FailingOptions): Dataset {
  const base = new SyntheticDataset({size: options.size, height: 8, width: 8});
  const description: DatasetDescription = {kind: 'module', module: MODULE, exportName: 'failingDataset', options};
  return wrap(base, description, async (index) => {
    if (options.failAt.includes(index)) {
      if (options.mode === 'exit') process.exit(3);
      throw new Error(`fixture: item ${index} is broken`);
    }
  });
}

export interface CountingOptions {
  size: number;
  /** Int32Array view: [0] counts get() calls (across threads). */
  counter: SharedArrayBuffer;
}

/** A synthetic set that counts its get() calls in shared memory, to watch the loader's prefetching from a test. */
export function countingDataset(options: CountingOptions): Dataset {
  const base = new SyntheticDataset({size: options.size, height: 8, width: 8});
  const counts = new Int32Array(options.counter);
  const description: DatasetDescription = {kind: 'module', module: MODULE, exportName: 'countingDataset', options};
  return wrap(base, description, async () => {
    Atomics.add(counts, 0, 1);
  });
}

function wrap(base: SyntheticDataset, description: DatasetDescription, before: (index: number) => Promise<void>): Dataset {
  return {
    size: base.size,
    numClasses: base.numClasses,
    classNames: base.classNames,
    channels: base.channels,
    imageShape: base.imageShape,
    description,
    labelOf: (i) => base.labelOf(i),
    async get(index: number): Promise<Sample> {
      await before(index);
      return base.get(index);
    },
  };
}
