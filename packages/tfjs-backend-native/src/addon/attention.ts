// Typed mirror of the attention family (native/src/binding/attention.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface AttentionOps {}
