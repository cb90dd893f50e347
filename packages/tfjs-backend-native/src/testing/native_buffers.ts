// Native buffers for the tests that call the addon's entries directly (the bad-input tests): releaseAll() frees every
// buffer made here that is still live, so a test leaks nothing whatever it throws.
import {type DeviceCode, DTypeCode, type NativeHandle} from '../addon/index.js';
import {nativeAddon} from '../index.js';

export type BufferDtype = keyof typeof DTypeCode;

export class NativeBuffers {
  private readonly addon = nativeAddon();
  private readonly live = new Set<NativeHandle>();
  private readonly device: DeviceCode;

  constructor(device: DeviceCode = 0) {
    this.device = device;
  }

  /** A buffer of n elements. */
  alloc(dtype: BufferDtype, n: number): NativeHandle {
    const h = this.addon.alloc(this.device, DTypeCode[dtype], n);
    this.live.add(h);
    return h;
  }

  /** A float32 buffer with room for `shape`. */
  f32(shape: readonly number[]): NativeHandle {
    return this.alloc('float32', shape.reduce((x, y) => x * y, 1));
  }

  /** A handle whose buffer was already freed, which every entry must refuse. */
  freed(dtype: BufferDtype = 'float32', n = 6): NativeHandle {
    const h = this.addon.alloc(this.device, DTypeCode[dtype], n);
    this.addon.free(h);
    return h;
  }

  /** Frees every buffer made by alloc (call it in a finally block). */
  releaseAll(): void {
    for (const h of this.live) this.addon.free(h);
    this.live.clear();
  }
}
