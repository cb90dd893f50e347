// Progress output when stderr is not a terminal: one plain line every `every` steps and at each epoch's end, with the
// epoch, step, loss, lr and images/s; the bar mode renders the same fields.
import test from 'ava';

import {TrainProgress} from './progress.js';

test('plain progress lines every n steps and at the end of each epoch', (t) => {
  let out = '';
  const p = new TrainProgress({epochs: 2, stepsPerEpoch: 5, stream: {write: (s: string) => (out += s), isTTY: false}, every: 2});
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let step = 0; step < 5; step++) p.update({epoch, step, loss: 9 - step, lr: 1e-3 * (step + 1), imagesPerSec: 123.4});
  }
  p.stop();
  const lines = out.trimEnd().split('\n');
  t.deepEqual(lines.map((l) => /^epoch (\S+) step (\S+)/.exec(l)!.slice(1).join(' ')),
              ['1/2 2/5', '1/2 4/5', '1/2 5/5', '2/2 2/5', '2/2 4/5', '2/2 5/5']);
  t.is(lines[0], 'epoch 1/2 step 2/5 | loss 8.0000 | lr 2.00e-3 | 123 img/s');
  t.regex(lines[2]!, /loss 5\.0000 \| lr 5\.00e-3/);
});

test('the bar shows the same fields on a terminal', (t) => {
  let out = '';
  const stream = {
    write: (s: string) => (out += s), isTTY: true, columns: 200,
    cursorTo: () => true, clearLine: () => true, moveCursor: () => true, clearScreenDown: () => true,
  };
  const p = new TrainProgress({epochs: 1, stepsPerEpoch: 4, stream: stream as never, bar: true});
  for (let step = 0; step < 4; step++) p.update({epoch: 0, step, loss: 2.5, lr: 5e-4, imagesPerSec: 42});
  p.stop();
  t.regex(out, /epoch 1\/1 \|.*\| 4\/4 \| loss 2\.5000 \| lr 5\.00e-4 \| 42\.0 img\/s/);
});
