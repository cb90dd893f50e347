// IBOT_SPEC §9 T11: the two AdamW parameter groups over a real student (backbone with masked_embed, shared head),
// with weight_g trainable (norm_last_layer false) and frozen (true: in no group at all).
import '@ibotjs/tfjs-backend-native/testing-setup';

import test from 'ava';
import {createViT} from '@ibotjs/vit';

import {IbotHead} from './head.js';
import {paramGroups, type ParamLike} from './param_groups.js';

function student(normLastLayer: boolean): {params: Map<string, ParamLike>; dispose: () => void} {
  const vit = createViT({embedDim: 8, depth: 2, numHeads: 2, patchSize: 4, imgSize: 16, maskedImModeling: true});
  const head = new IbotHead({inDim: 8, outDim: 6, hiddenDim: 8, bottleneckDim: 3, normLastLayer});
  const params = new Map<string, ParamLike>();
  for (const [n, v] of vit.parameters()) params.set(`backbone.${n}`, v);
  for (const [n, v] of head.parameters()) params.set(n, v);
  return {params, dispose: () => (vit.dispose(), head.dispose())};
}

for (const normLastLayer of [false, true]) {
  test(`T11: regularised = cls_token, pos_embed, masked_embed, patch weight, Linear weights, weight_v${normLastLayer ? '' : ', weight_g'}`, (t) => {
    const {params, dispose} = student(normLastLayer);
    try {
      const groups = paramGroups(params);
      const linearWeights = [...params.keys()].filter((n) => /(qkv|proj|fc1|fc2|mlp\.\d)\.weight$/.test(n) && !n.includes('patch_embed'));
      const want = new Set(['backbone.cls_token', 'backbone.pos_embed', 'backbone.masked_embed',
                            'backbone.patch_embed.proj.weight', ...linearWeights, 'head.last_layer.weight_v',
                            ...(normLastLayer ? [] : ['head.last_layer.weight_g'])]);
      t.deepEqual([...groups.regularized].sort(), [...want].sort());
      t.is(linearWeights.length, 2 * 4 + 3);
      // Everything else trainable: biases and LayerNorm weights, with no decay.
      for (const n of groups.notRegularized) t.true(n.endsWith('.bias') || /norm\d?\.weight$/.test(n), n);
      const all = [...groups.regularized, ...groups.notRegularized];
      t.is(new Set(all).size, all.length, 'no parameter in both groups');
      t.is(all.includes('head.last_layer.weight_g'), !normLastLayer, 'a frozen weight_g is in no group');
      t.is(all.length, params.size - (normLastLayer ? 1 : 0));
    } finally {
      dispose();
    }
  });
}
