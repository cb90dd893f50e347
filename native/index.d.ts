// Types of index.cjs: where the addon binary of this package can be. The addon's own surface is typed in
// @ibotjs/tfjs-backend-native (src/addon/).

export interface BinaryCandidate {
  /** 'local build': native/build/Release (built from source); 'prebuild': shipped in prebuilds/<platform>-<arch>/. */
  kind: 'local build' | 'prebuild';
  /** Absolute path; it may not exist. */
  path: string;
}

/** The Node-API version the addon is compiled for. */
export const NAPI_VERSION: number;
/** The `<platform>-<arch>` pairs prebuilt binaries are published for. */
export const PREBUILT_PLATFORMS: readonly string[];
/** The binaries to try, in order. */
export function binaryCandidates(): BinaryCandidate[];
/** The directory holding the prebuilt binaries of a platform (default: this one). */
export function prebuildDir(platform?: string): string;
