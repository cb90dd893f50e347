// Typed mirror of the reduce family (native/src/binding/reduce.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ReduceOps {}
