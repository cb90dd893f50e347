// Typed mirror of the conv family (native/src/binding/conv.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ConvOps {}
