// @ibotjs/vit: the Vision Transformer of iBOT (IBOT_SPEC §1) on TensorFlow.js.
export {};
