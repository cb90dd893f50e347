// @ibotjs/ops: the fused ops of iBOT training (kernel contracts in kernel_names.ts).
export * from './kernel_names.js';
