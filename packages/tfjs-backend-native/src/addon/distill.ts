// Typed mirror of the distill family (native/src/binding/distill.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface DistillOps {}
