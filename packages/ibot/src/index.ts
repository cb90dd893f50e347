// @ibotjs/ibot: iBOT pre-training on TensorFlow.js (IBOT_SPEC §2, §4, §5): head, loss, parameter groups, checkpoints.
export * from './checkpoint/index.js';
