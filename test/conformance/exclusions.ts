// Every tfjs-core test spec the conformance run skips on our backend, each with the reason. `spec` is a substring of
// the spec's full name (jasmine's "<describe> <backend> {} <it>"); keep it specific enough to name only the specs
// meant ("stack native {} chain api" also names "unstack native {} chain api"). run.mjs warns about entries that
// match no spec.
//
// Not listed because tfjs-core never registers them for our test env: specs gated on WebGL/WebGPU flags, on the
// browser platform, or on a predicate naming another backend (e.g. `backendName === 'cpu'`).
//
// On 'native' nothing is excluded: with the counted cpu fallback every spec passes. A native kernel that cannot meet a spec goes here
// only when the spec checks something we deliberately do differently (say so, and why); a failure caused by a bug
// in our code is fixed, never listed.

export interface Exclusion {
  spec: string;
  reason: string;
  /** The backends it applies to (all when absent). */
  backends?: readonly string[];
}

export const EXCLUSIONS: readonly Exclusion[] = [
  {
    spec: 'gather cuda {} throws when index is out of bound',
    backends: ['cuda'],
    reason: 'validating index values would wait for the GPU on every gather (a device-to-host copy and a sync); the ' +
        'cuda GatherV2 reads 0 for an out-of-range index instead, as documented in native/src/cuda/layout_gather.cu ' +
        'and tested in layout_gather.test.ts. The same spec passes on native.',
  },
];

/** The exclusions that apply when the suite runs on `backend`. */
export function exclusionsFor(backend: string): readonly Exclusion[] {
  return EXCLUSIONS.filter((e) => !e.backends || e.backends.includes(backend));
}
