// Every tfjs-core test spec the conformance run skips on our backend, each with the reason. `spec` is a substring of
// the spec's full name (jasmine's "<describe> <backend> {} <it>"); keep it specific enough to name only the specs
// meant ("stack native {} chain api" also names "unstack native {} chain api"). run.mjs warns about entries that
// match no spec.
//
// Not listed because tfjs-core never registers them for our test env: specs gated on WebGL/WebGPU flags, on the
// browser platform, or on a predicate naming another backend (e.g. `backendName === 'cpu'`).
//
// Empty today: with the counted cpu fallback every spec passes. A native kernel that cannot meet a spec goes here
// only when the spec checks something we deliberately do differently (say so, and why); a failure caused by a bug
// in our code is fixed, never listed.

export interface Exclusion {
  spec: string;
  reason: string;
}

export const EXCLUSIONS: readonly Exclusion[] = [];
