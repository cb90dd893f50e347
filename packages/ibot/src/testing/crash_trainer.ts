// Child process of the trainer's crash-safety test: trains the tiny configuration with a checkpoint after every step
// (resuming from the directory's latest checkpoint) until it is killed. Prints `step <globalStep>` after each step.
import '@ibotjs/tfjs-backend-native/testing-setup';

import {writeSync} from 'node:fs';

import {IbotTrainer} from '../trainer.js';
import {tinyConfig} from './tiny_config.js';

const [dir] = process.argv.slice(2);
const trainer = await IbotTrainer.create(tinyConfig({epochs: 1000, saveEverySteps: 1, saveEveryEpochs: 0}),
                                         {checkpointDir: dir!, resume: true, keepCheckpoints: 2});
writeSync(1, `ready ${trainer.globalStep}\n`);
await trainer.train({onStep: (log) => writeSync(1, `step ${log.globalStep}\n`)});
