// Typed mirror of the norm family (native/src/binding/norm.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NormOps {}
