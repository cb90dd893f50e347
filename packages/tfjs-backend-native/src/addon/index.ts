// The whole native surface, one interface per op family (the same families as native/src/binding/).
import type {ConvOps} from './conv.js';
import type {CoreOps} from './core.js';
import type {ElementwiseOps} from './elementwise.js';
import type {LayoutOps} from './layout.js';
import type {MatmulOps} from './matmul.js';
import type {ReduceOps} from './reduce.js';

export * from './core.js';

export interface NativeAddon extends CoreOps, ElementwiseOps, ReduceOps, MatmulOps, LayoutOps, ConvOps {}
