// Typed mirror of the optim family (native/src/binding/optim.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OptimOps {}
