// A loader worker thread: opens the dataset from its description once, then builds the batches it is sent and transfers
// the buffers back. Errors are answered per job with the failing item's index.
import {parentPort, workerData} from 'node:worker_threads';
import {assembleBatch, ItemError, type AugmentConfig, type BatchJob} from './batch.js';
import type {Dataset, DatasetDescription} from './dataset.js';
import {openDataset} from './open.js';

export type WorkerRequest = ({type: 'job'; id: number} & BatchJob) | {type: 'close'};
export type WorkerReply =
  | {type: 'ready'; size: number}
  | {type: 'init-error'; message: string}
  | {type: 'result'; id: number; data: import('./batch.js').BatchData}
  | {type: 'error'; id: number; message: string; stack?: string; index: number | null};

const port = parentPort!;
const {description, config} = workerData as {description: DatasetDescription; config: AugmentConfig};

let dataset: Dataset | undefined;
try {
  dataset = await openDataset(description);
  port.postMessage({type: 'ready', size: dataset.size} satisfies WorkerReply);
} catch (e) {
  port.postMessage({type: 'init-error', message: (e as Error).message} satisfies WorkerReply);
}

if (dataset !== undefined) {
  const ds = dataset;
  port.on('message', async (msg: WorkerRequest) => {
    if (msg.type === 'close') {
      // Closing the port lets the thread exit once any decode still running has finished (never killed mid-decode).
      port.close();
      return;
    }
    try {
      const data = await assembleBatch(ds, config, msg);
      const transfer = [...data.crops.map((a) => a.buffer), data.labels.buffer, data.indices.buffer];
      port.postMessage({type: 'result', id: msg.id, data} satisfies WorkerReply, transfer as ArrayBuffer[]);
    } catch (e) {
      const err = e as Error;
      port.postMessage({type: 'error', id: msg.id, message: err.message, stack: err.stack, index: e instanceof ItemError ? e.index : null} satisfies WorkerReply);
    }
  });
}
