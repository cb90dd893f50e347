// Child process of the checkpoint crash-safety test: saves large checkpoints in a loop until it is killed. Checkpoint k
// (continuing from whatever `latest` holds) has contents that are a pure function of k, so the parent can tell a
// complete checkpoint from a torn one. Prints `begin k` before and `saved k` after each save (synchronous writes).
import {writeSync} from 'node:fs';

import {CheckpointStore} from '../checkpoint/store.js';
import {crashCheckpoint} from './crash_checkpoint.js';

const [root, floatsArg, keepArg] = process.argv.slice(2);
const floats = Number(floatsArg);
const store = new CheckpointStore(root!, {keep: Number(keepArg)});
const latest = store.loadLatest({verify: false});
let k = latest === null ? 0 : latest.state.step + 1;
writeSync(1, `ready ${k}\n`);
for (;;) {
  const checkpoint = crashCheckpoint(k, floats);
  writeSync(1, `begin ${k}\n`);
  store.save(checkpoint);
  writeSync(1, `saved ${k}\n`);
  k++;
}
