// Typed mirror of the addon's core entries (native/src/binding/core.cc): storage, copies, info, threads, timers.

/** An opaque reference to a native buffer (an N-API external). Only the addon can make one. */
export type NativeHandle = {readonly __nativeHandle: unique symbol};

/** Element type codes shared with native/src/core/dtype.h. */
export const DTypeCode = {float32: 0, int32: 1, bool: 2} as const;
export type DTypeCode = (typeof DTypeCode)[keyof typeof DTypeCode];

/** Device codes shared with native/src/core/storage.h. */
export const DeviceCode = {cpu: 0, cuda: 1} as const;
export type DeviceCode = (typeof DeviceCode)[keyof typeof DeviceCode];

export type NativeTypedArray = Float32Array | Int32Array | Uint8Array;

export interface NativeMemory {
  /** Bytes of live host tensors. */
  hostBytes: number;
  hostBuffers: number;
  /** Freed host buffers kept for reuse (native/src/core/host_cache.h), and the most the cache may keep. */
  hostCachedBytes: number;
  hostCacheLimit: number;
  deviceBytes: number;
  deviceBuffers: number;
}

export interface NativeGpu {
  index: number;
  name: string;
  computeCapability: string;
  memoryBytes: number;
  multiprocessors: number;
}

export interface NativeInfo {
  cpu: {isa: 'generic' | 'avx2' | 'avx512'; bestIsa: 'generic' | 'avx2' | 'avx512'; threads: number};
  cuda: {
    compiled: boolean;
    architectures: string;
    available: boolean;
    reason: string;
    driverVersion: number;
    runtimeVersion: number;
    tf32: boolean;
    devices: NativeGpu[];
  };
  napiVersion: number;
}

/** What the binary was compiled with; reading it does not initialise CUDA (info() does). */
export interface NativeBuildInfo {
  cudaCompiled: boolean;
  /** e.g. "75-real;80-real;...;90-virtual"; empty in a CPU-only build. */
  cudaArchitectures: string;
  napiVersion: number;
}

export type NativeTimer = {readonly __nativeTimer: unique symbol};

export interface CoreOps {
  alloc(device: DeviceCode, dtype: DTypeCode, numel: number): NativeHandle;
  free(handle: NativeHandle): void;
  write(handle: NativeHandle, values: NativeTypedArray): void;
  readSync(handle: NativeHandle): NativeTypedArray;
  read(handle: NativeHandle): Promise<NativeTypedArray>;
  copy(src: NativeHandle, dst: NativeHandle): void;
  describe(handle: NativeHandle): {device: 'cpu' | 'cuda'; dtype: string; numel: number; bytes: number; freed: boolean};
  memory(): NativeMemory;
  info(): NativeInfo;
  buildInfo(): NativeBuildInfo;
  /** Keeps CUDA off with this reason (reported by info()); false when CUDA was already probed. */
  disableCuda(reason: string): boolean;
  synchronize(): void;
  /** Frees the host buffers kept for reuse. */
  releaseCache(): void;
  setNumThreads(threads: number): void;
  setCpuIsa(isa: 'generic' | 'avx2' | 'avx512'): boolean;
  setAllowTf32(allow: boolean): void;
  timerStart(): NativeTimer;
  timerStop(timer: NativeTimer): number;
}
