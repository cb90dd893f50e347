// blockMask's option normalisation into the BlockMask kernel's attributes (IBOT_SPEC §3.2: one-element lists, a
// scalar variation broadcast over a ratio list). The masks themselves are tested with the generator
// (block_mask/reference.test.ts) and, kernel against generator, in fused_parity.test.ts.
import '@ibotjs/tfjs-backend-native/testing-setup';

import test from 'ava';

import {blockMaskAttrs} from './block_mask_op.js';

const base = {batch: 4, gridH: 14, gridW: 14, seed: 7, step: 3};

test('blockMaskAttrs: scalar ratio and variation become one-element lists; defaults block shape and variation 0', (t) => {
  t.deepEqual(blockMaskAttrs({...base, ratio: 0.3}),
              {...base, ratios: [0.3], ratioVars: [0], shape: 'block'});
  t.deepEqual(blockMaskAttrs({...base, ratio: 0.3, ratioVar: 0.1, shape: 'rand'}),
              {...base, ratios: [0.3], ratioVars: [0.1], shape: 'rand'});
});

test('blockMaskAttrs: the released recipe (ratio [0, 0.3], var [0, 0.2]) and a scalar var broadcast over a list', (t) => {
  t.deepEqual(blockMaskAttrs({...base, ratio: [0, 0.3], ratioVar: [0, 0.2]}),
              {...base, ratios: [0, 0.3], ratioVars: [0, 0.2], shape: 'block'});
  t.deepEqual(blockMaskAttrs({...base, ratio: [0.2, 0.4], ratioVar: 0.1}).ratioVars, [0.1, 0.1]);
  t.deepEqual(blockMaskAttrs({...base, ratio: [0.5]}).ratios, [0.5]);
  // The caller's arrays are copied, not aliased.
  const ratio = [0.1, 0.2];
  const attrs = blockMaskAttrs({...base, ratio});
  ratio[0] = 0.9;
  t.deepEqual(attrs.ratios, [0.1, 0.2]);
});

test('blockMaskAttrs rejects bad options with errors naming the op and the option', (t) => {
  t.throws(() => blockMaskAttrs({...base, ratio: [0.1, 0.2], ratioVar: [0.1]}),
           {message: /blockMask: ratioVar has 1 values for 2 ratios/});
  t.throws(() => blockMaskAttrs({...base, ratio: []}), {message: /blockMask: ratio must be a number or a non-empty list/});
  t.throws(() => blockMaskAttrs({...base, ratio: 1.2}), {message: /blockMask: ratio\[0\] must be in \[0, 1\]/});
  t.throws(() => blockMaskAttrs({...base, ratio: 0.1, ratioVar: 0.2}), {message: /blockMask: ratioVar\[0\]/});
  t.throws(() => blockMaskAttrs({...base, ratio: 0.3, seed: -1}), {message: /blockMask: seed must be an unsigned/});
  t.throws(() => blockMaskAttrs({...base, ratio: 0.3, step: 2 ** 32}), {message: /blockMask: step must be/});
  t.throws(() => blockMaskAttrs({...base, ratio: 0.3, batch: 1.5}), {message: /blockMask: batch must be/});
  t.throws(() => blockMaskAttrs({...base, ratio: 0.3, shape: 'grid' as 'block'}), {message: /blockMask: shape/});
});
