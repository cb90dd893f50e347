// The whole native surface, one interface per op family (the same families as native/src/binding/).
import type {AttentionOps} from './attention.js';
import type {ConvOps} from './conv.js';
import type {CoreOps} from './core.js';
import type {DistillOps} from './distill.js';
import type {ElementwiseOps} from './elementwise.js';
import type {LayoutOps} from './layout.js';
import type {MaskOps} from './mask.js';
import type {MatmulOps} from './matmul.js';
import type {NormOps} from './norm.js';
import type {OptimOps} from './optim.js';
import type {ReduceOps} from './reduce.js';

export * from './core.js';

export interface NativeAddon extends CoreOps, ElementwiseOps, ReduceOps, MatmulOps, LayoutOps, ConvOps, AttentionOps,
                                     NormOps, DistillOps, MaskOps, OptimOps {}
