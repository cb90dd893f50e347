// Typed mirror of the mask family (native/src/binding/mask.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface MaskOps {}
