// The tfjs KernelBackend over the native addon. One class serves both devices: 'native' (CPU buffers, synchronous
// threaded kernels) and 'cuda' (device buffers, kernels queued on one stream, asynchronous reads). Numeric tensors live
// in native buffers; 'string' and 'complex64' tensors stay in JS and every kernel that sees them runs on the tfjs cpu
// kernel (see runOnCpu).
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {
  type BackendTimingInfo,
  type DataId,
  DataStorage,
  type DataType,
  engine,
  getKernel,
  KernelBackend,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import {type DeviceCode, DTypeCode, type NativeAddon, type NativeHandle, type NativeTypedArray} from './addon/index.js';

type BackendValues = Float32Array | Int32Array | Uint8Array | Uint8Array[];

interface TensorData {
  dtype: DataType;
  refCount: number;
  /** The native buffer, for float32, int32 and bool tensors. */
  handle?: NativeHandle;
  /** JS-side values for 'string' (Uint8Array[]) and 'complex64' (interleaved re, im) tensors. */
  values?: BackendValues;
}

export type NativeDeviceName = 'cpu' | 'cuda';

export function isNativeDtype(dtype: DataType): dtype is 'float32' | 'int32' | 'bool' {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

function typedFor(dtype: 'float32' | 'int32' | 'bool', values: BackendValues): NativeTypedArray {
  const want = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
  if (values instanceof want) return values;
  return want.from(values as ArrayLike<number>);
}

export class NativeBackend extends KernelBackend {
  readonly data: DataStorage<TensorData>;
  private readonly deviceCode: DeviceCode;
  private cpuBackend?: MathBackendCPU;
  private readonly fallbackCounts = new Map<string, number>();
  private readonly warned = new Set<string>();
  /** Every native buffer this backend owns, so dispose() can free what tfjs never released (engine resets). */
  private readonly live = new Set<NativeHandle>();

  /** The tfjs backend name: 'native' for the CPU device, 'cuda' for the GPU. */
  readonly name: 'native' | 'cuda';

  constructor(readonly addon: NativeAddon, readonly device: NativeDeviceName) {
    super();
    this.deviceCode = device === 'cpu' ? 0 : 1;
    this.name = device === 'cpu' ? 'native' : 'cuda';
    this.data = new DataStorage(this, engine());
  }

  // ---- storage --------------------------------------------------------------------------------------------------

  /** Allocates an uninitialised output tensor on this device. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo {
    return {dataId: this.store(shape, dtype, undefined, 1), shape, dtype};
  }

  /**
   * Runs `fill` to compute `out` (made by makeOutput) and returns it; if the native call throws, `out` is freed so
   * a rejected call leaks nothing.
   */
  compute(out: TensorInfo, fill: (outHandle: NativeHandle) => void): TensorInfo {
    try {
      fill(this.handle(out));
    } catch (e) {
      this.disposeData(out.dataId, true);
      throw e;
    }
    return out;
  }

  /** The native buffer behind a tensor. Throws for 'string'/'complex64' tensors, which have none. */
  handle(t: TensorInfo): NativeHandle {
    const d = this.data.get(t.dataId);
    if (!d.handle) throw new Error(`internal: a ${d.dtype} tensor has no native buffer`);
    return d.handle;
  }

  /** A tensor reusing x's buffer under another shape (Reshape, Identity, same-dtype Cast): buffers are immutable. */
  alias(x: TensorInfo, shape: number[] = x.shape): TensorInfo {
    this.incRef(x.dataId);
    return {dataId: x.dataId, shape, dtype: x.dtype};
  }

  private store(shape: number[], dtype: DataType, values: BackendValues | undefined, refCount: number,
                dataId: DataId = {}): DataId {
    const size = util.sizeFromShape(shape);
    if (isNativeDtype(dtype)) {
      const handle = this.addon.alloc(this.deviceCode, DTypeCode[dtype], size);
      if (values != null && size > 0) {
        try {
          this.addon.write(handle, typedFor(dtype, values));
        } catch (e) {
          this.addon.free(handle);
          throw e;
        }
      }
      this.live.add(handle);
      this.data.set(dataId, {dtype, refCount, handle});
    } else {
      const js = values ?? (dtype === 'string' ? [] : new Float32Array(size * 2));
      this.data.set(dataId, {dtype, refCount, values: js});
    }
    return dataId;
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    return this.store(shape, dtype, values, 1);
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.store(shape, dtype, values, refCount, dataId);
  }

  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues | string[]): TensorInfo {
    let v = values as BackendValues | undefined;
    if (dtype === 'string' && values != null && values.length > 0 && typeof values[0] === 'string') {
      v = (values as string[]).map((s) => util.encodeString(s));
    }
    return {dataId: this.store(shape, dtype, v, 1), shape, dtype};
  }

  override readSync(dataId: DataId): BackendValues {
    const d = this.data.get(dataId);
    return d.handle ? this.addon.readSync(d.handle) : d.values!;
  }

  override async read(dataId: DataId): Promise<BackendValues> {
    const d = this.data.get(dataId);
    return d.handle ? this.addon.read(d.handle) : d.values!;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId);
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    if (d.handle) {
      this.addon.free(d.handle);
      this.live.delete(d.handle);
    }
    this.data.delete(dataId);
    return true;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): {unreliable: boolean; reasons?: string[]} & Record<string, number | boolean | string[]> {
    const m = this.addon.memory();
    return {
      unreliable: false,
      nativeHostBytes: m.hostBytes,
      nativeHostBuffers: m.hostBuffers,
      nativeHostCachedBytes: m.hostCachedBytes,
      nativeDeviceBytes: m.deviceBytes,
      nativeDeviceBuffers: m.deviceBuffers,
    };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override timerAvailable(): boolean {
    return true;
  }

  override async time(f: () => void): Promise<BackendTimingInfo> {
    if (this.device === 'cuda') {
      const timer = this.addon.timerStart();
      f();
      return {kernelMs: this.addon.timerStop(timer)};
    }
    const start = performance.now();
    f();
    return {kernelMs: performance.now() - start};
  }

  override dispose(): void {
    // The engine disposes a backend when it is reset or removed; tensors still registered with it go with it.
    for (const h of this.live) this.addon.free(h);
    this.live.clear();
    this.cpuBackend?.dispose();
  }

  // ---- fallback to the tfjs cpu kernels -------------------------------------------------------------------------

  /** How many times each kernel without a native implementation ran through the cpu fallback. */
  fallbacks(): Record<string, number> {
    return Object.fromEntries(this.fallbackCounts);
  }

  resetFallbacks(): void {
    this.fallbackCounts.clear();
  }

  /**
   * Runs the tfjs cpu kernel `kernelName`: inputs are copied to a private cpu backend, outputs copied back. Used for
   * kernels we do not implement natively and for dtypes our kernels do not take ('string', 'complex64').
   */
  runOnCpu(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap | undefined): TensorInfo | TensorInfo[] {
    const kernel = getKernel(kernelName, 'cpu');
    if (!kernel) throw new Error(`Kernel '${kernelName}' is implemented neither natively nor by the tfjs cpu backend`);
    this.fallbackCounts.set(kernelName, (this.fallbackCounts.get(kernelName) ?? 0) + 1);
    if (!this.warned.has(kernelName) && !process.env['IBOT_QUIET_FALLBACK']) {
      this.warned.add(kernelName);
      console.warn(`[ibotjs] '${kernelName}' has no native kernel for these inputs on backend '${this.name}': ` +
                   'running the tfjs cpu kernel through a copy (warned once per kernel)');
    }
    const cpu = this.cpuBackend ??= this.makeCpuBackend();
    const made: TensorInfo[] = [];
    const convert = (t: TensorInfo): TensorInfo => {
      const c = this.toCpu(cpu, t);
      made.push(c);
      return c;
    };
    try {
      // Kernels over a list of tensors (Concat, Pack, AddN, Einsum, ...) get the inputs as an array, and a few take
      // a named list (RaggedGather's paramsNestedSplits): keep both shapes, as the cpu kernels index them so.
      const convertAny = (t: TensorInfo | TensorInfo[]) => Array.isArray(t) ? t.map(convert) : convert(t);
      const cpuInputs = (Array.isArray(inputs) ? convertAny(inputs as TensorInfo[]) :
          Object.fromEntries(Object.entries(inputs).filter(([, t]) => t != null)
                                 .map(([name, t]) => [name, convertAny(t as TensorInfo)]))) as NamedTensorInfoMap;
      const result = kernel.kernelFunc({inputs: cpuInputs, attrs: attrs ?? {}, backend: cpu});
      const outs = Array.isArray(result) ? result : [result];
      const converted = outs.map((o) => {
        made.push(o);
        return this.makeTensorInfo(o.shape, o.dtype, cpu.readSync(o.dataId) as BackendValues);
      });
      return Array.isArray(result) ? converted : converted[0]!;
    } finally {
      for (const t of made) cpu.disposeData(t.dataId);
    }
  }

  private makeCpuBackend(): MathBackendCPU {
    const cpu = new MathBackendCPU();
    // Its first write prints an advert for tfjs-node; this private instance is an implementation detail, not a choice.
    (cpu as unknown as {firstUse: boolean}).firstUse = false;
    return cpu;
  }

  /**
   * A copy of t on the private cpu backend. It carries `rank` too: the engine hands kernels Tensors, and some cpu
   * kernels read Tensor-only fields of their inputs (Dilation2DBackpropInput checks `dy.rank`).
   */
  private toCpu(cpu: MathBackendCPU, t: TensorInfo): TensorInfo {
    const info = this.toCpuInfo(cpu, t);
    return Object.assign(info, {rank: t.shape.length});
  }

  private toCpuInfo(cpu: MathBackendCPU, t: TensorInfo): TensorInfo {
    const values = this.readSync(t.dataId);
    if (t.dtype !== 'complex64') return cpu.makeTensorInfo(t.shape, t.dtype, values);
    // The cpu backend keeps complex tensors as a pair of float32 tensors; build them through its Complex kernel.
    const interleaved = values as Float32Array;
    const n = interleaved.length / 2;
    const re = new Float32Array(n), im = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = interleaved[2 * i]!;
      im[i] = interleaved[2 * i + 1]!;
    }
    const real = cpu.makeTensorInfo(t.shape, 'float32', re);
    const imag = cpu.makeTensorInfo(t.shape, 'float32', im);
    const complex = getKernel('Complex', 'cpu')!.kernelFunc({inputs: {real, imag}, backend: cpu}) as TensorInfo;
    cpu.disposeData(real.dataId);
    cpu.disposeData(imag.dataId);
    return complex;
  }
}
