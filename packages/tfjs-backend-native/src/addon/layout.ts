// Typed mirror of the layout family (native/src/binding/layout.cc).

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface LayoutOps {}
