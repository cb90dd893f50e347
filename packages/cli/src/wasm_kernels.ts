// Kernels the iBOT step needs that tfjs's wasm backend (4.22) does not register, written in plain JS over the wasm
// heap so that `--device wasm` and the step benchmark run the same program as the other backends.
// UnsortedSegmentSum: the gradient of Gather (the trainer gathers the masked patch rows) calls it.
import {getKernel, registerKernel, type KernelConfig, type TensorInfo, UnsortedSegmentSum, util} from '@tensorflow/tfjs-core';

interface WasmLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
}

/**
 * out[segmentIds[i], ...] += x[i, ...] (segmentIds index the leading dims of x); ids outside [0, numSegments) are
 * dropped and the result is float32, as with tfjs's cpu kernel.
 */
const unsortedSegmentSumWasm: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({inputs, attrs, backend}) => {
    const {x, segmentIds} = inputs as {x: TensorInfo; segmentIds: TensorInfo};
    const {numSegments} = attrs as unknown as {numSegments: number};
    const b = backend as unknown as WasmLike;
    const n = segmentIds.shape.length === 0 ? 1 : util.sizeFromShape(segmentIds.shape);
    const inner = util.sizeFromShape(x.shape) / Math.max(1, n);
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const out = b.makeOutput(outShape, 'float32'); // float32 for int32 x too, as tfjs cpu's kernel returns
    const src = b.readSync(x.dataId), ids = b.readSync(segmentIds.dataId);
    // Taken last: a view of the heap, which reading could have grown. Fresh wasm memory: zero it first.
    const dst = b.typedArrayFromHeap(out);
    dst.fill(0);
    for (let i = 0; i < n; i++) {
      const s = ids[i]!;
      if (!(s >= 0 && s < numSegments)) continue;
      const o = s * inner, iOff = i * inner;
      for (let j = 0; j < inner; j++) dst[o + j]! += src[iOff + j]!;
    }
    return out;
  },
};

/** Registers the missing wasm kernels (once; a kernel tfjs-wasm already has is left alone). */
export function registerWasmKernels(): void {
  for (const k of [unsortedSegmentSumWasm]) {
    if (getKernel(k.kernelName, 'wasm') === undefined) registerKernel(k);
  }
}
