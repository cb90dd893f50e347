// Typed mirror of the matmul family (native/src/binding/matmul.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface MatmulOps {}
