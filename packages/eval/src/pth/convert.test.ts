// convertOfficialCheckpoint on the PyTorch-written fixtures: key choice, prefix stripping, the head kept apart, and the
// result loading strictly into a @ibotjs/vit ViT of the fixture's shape (img 8, patch 4, 1 channel, D 8, depth 1).
import '@ibotjs/tfjs-backend-native/testing-setup';

import {createViT} from '@ibotjs/vit';
import test from 'ava';

import {convertOfficialCheckpoint} from './convert.js';
import {PthError} from './errors.js';
import type {PthDict} from './pickle.js';
import {readPth, readPthFile} from './read_pth.js';
import {PthTensor} from './tensors.js';

const fixture = (name: string) => new URL(`../../test-fixtures/pth/${name}`, import.meta.url).pathname;
const TINY = {imgSize: 8, patchSize: 4, inChans: 1, embedDim: 8, depth: 1, numHeads: 2, mlpRatio: 4, qkvBias: true};
const HEAD = ['mlp.0.weight', 'mlp.0.bias', 'last_layer.weight_g', 'last_layer.weight_v'];

const ibot = readPthFile(fixture('ibot_tiny.pth')) as PthDict;

test('teacher (the default): backbone. stripped, head apart, loads strictly into a teacher ViT with the same values', (t) => {
  const c = convertOfficialCheckpoint(ibot);
  t.is(c.source, 'teacher');
  t.deepEqual(Object.keys(c.head), HEAD);
  t.deepEqual(c.skipped, []);
  const teacher = ibot.teacher as PthDict;
  t.is<unknown, unknown>(c.backbone['blocks.0.attn.qkv.weight'], teacher['backbone.blocks.0.attn.qkv.weight']);
  const vit = createViT({...TINY, maskedImModeling: false});
  try {
    t.deepEqual(vit.loadStateDict(c.backbone), {missingKeys: [], unexpectedKeys: []});
    // Round trip through the model: what it hands back is what the file held (fp16 norm.weight included).
    const back = vit.stateDict();
    for (const [name, entry] of Object.entries(c.backbone)) t.deepEqual(back[name]!.data, entry.data, name);
  } finally {
    vit.dispose();
  }
});

test('student: module.backbone. stripped, masked_embed kept, loads strictly into a student ViT', (t) => {
  const c = convertOfficialCheckpoint(ibot, {key: 'student'});
  t.is(c.source, 'student');
  t.deepEqual(Object.keys(c.head), HEAD);
  t.true('masked_embed' in c.backbone);
  t.false(Object.keys(c.backbone).some((k) => k.startsWith('module.') || k.startsWith('backbone.')));
  const vit = createViT({...TINY, maskedImModeling: true});
  try {
    t.deepEqual(vit.loadStateDict(c.backbone), {missingKeys: [], unexpectedKeys: []});
  } finally {
    vit.dispose();
  }
});

test('a bare backbone file (DINO release) is its own state dict; state_dict-wrapped files too', (t) => {
  const dino = readPthFile(fixture('dino_backbone_tiny.pth')) as PthDict;
  const c = convertOfficialCheckpoint(dino);
  t.is(c.source, '');
  t.deepEqual(Object.keys(c.backbone), Object.keys(dino));
  t.deepEqual(c.head, {});
  // iBOT's extract_backbone_weights.py writes {'state_dict': ..., 'author': ...}.
  const wrapped = convertOfficialCheckpoint({state_dict: dino, author: 'ibot'} as unknown as PthDict, {key: 'student'});
  t.is(wrapped.source, 'state_dict');
  t.is<unknown, unknown>(wrapped.backbone['norm.weight'], dino['norm.weight']);
  const vit = createViT(TINY);
  try {
    t.deepEqual(vit.loadStateDict(c.backbone), {missingKeys: [], unexpectedKeys: []});
  } finally {
    vit.dispose();
  }
});

test('clear errors: a missing key, no state dict, no backbone tensors', (t) => {
  t.throws(() => convertOfficialCheckpoint({teacher: ibot.teacher!} as PthDict, {key: 'student'}),
           {instanceOf: PthError, message: /no 'student' state dict \(keys: teacher\)/});
  t.throws(() => convertOfficialCheckpoint({epoch: 3} as PthDict), {instanceOf: PthError, message: /no state dict found \(keys: epoch\)/});
  t.throws(() => convertOfficialCheckpoint(readPth(Uint8Array.of()) as PthDict), {instanceOf: PthError});
  const onlyHead = {teacher: {'backbone.x': 1, 'head.w': new PthTensor('float32', [1], new Float32Array(1))}};
  t.throws(() => convertOfficialCheckpoint(onlyHead as unknown as PthDict), {instanceOf: PthError, message: /holds no backbone tensors/});
});
