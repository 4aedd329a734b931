/**
 * Where the simulator gets the bytes that back simulated memory (device pages, DRAM pages,
 * directories). The engine asks a MemoryProvider for buffers; the worker glue picks the
 * provider so that a UI thread can read the same bytes without a copy when SharedArrayBuffer
 * exists (cross-origin isolated page, worker, Node).
 *
 * Conventions in this file:
 *   provider - an allocator of zero-filled buffers; it never frees (the engine keeps free
 *              lists of its own inside the buffers it was given).
 *   shared   - true when the buffers are SharedArrayBuffers that can be posted to another
 *              thread and read there while the engine keeps writing.
 *
 * What this model leaves out: nothing of the kernel; this file is simulator plumbing only.
 */

/** Hands out zero-filled buffers for simulated memory. */
export interface MemoryProvider {
  /** True when allocate() returns SharedArrayBuffers. */
  readonly shared: boolean;
  /** A new zero-filled buffer of exactly `bytes` bytes. */
  allocate(bytes: number): ArrayBuffer | SharedArrayBuffer;
}

/**
 * A provider of SharedArrayBuffers when the platform has them (cross-origin isolated page,
 * worker, Node), otherwise of plain ArrayBuffers. `shared` tells which one was chosen.
 */
export function sharedMemoryProvider(): MemoryProvider {
  if (typeof SharedArrayBuffer !== 'undefined') {
    return {
      shared: true,
      allocate: (bytes: number) => new SharedArrayBuffer(bytes),
    };
  }
  return plainMemoryProvider();
}

/** A provider of plain (not shareable) ArrayBuffers. */
export function plainMemoryProvider(): MemoryProvider {
  return {
    shared: false,
    allocate: (bytes: number) => new ArrayBuffer(bytes),
  };
}

/**
 * Wraps a provider and counts what it hands out. Tests and benchmarks use it to check that
 * sparse structures really stay sparse.
 */
export function countingMemoryProvider(inner: MemoryProvider): MemoryProvider & { readonly buffers: number; readonly bytes: number } {
  let buffers = 0;
  let bytes = 0;
  return {
    shared: inner.shared,
    allocate(n: number) {
      buffers++;
      bytes += n;
      return inner.allocate(n);
    },
    get buffers() {
      return buffers;
    },
    get bytes() {
      return bytes;
    },
  };
}

/**
 * Sparse 4 KiB page contents over a large page-number space: a two-level directory (a top
 * array with one Int32 per LEAF_PAGES pages, leaves allocated on first write) pointing at
 * frames in chunks of CHUNK_PAGES pages. Pages never written read as zeros and cost nothing.
 * Freed frames go on a free list and are reused (zeroed) by the next page that needs one.
 * Used for DRAM page contents; the pmem device has its own richer layout (drivers/pmem.ts).
 */
export class SparsePages {
  static readonly PAGE = 4096;
  static readonly LEAF_PAGES = 4096;
  static readonly CHUNK_PAGES = 64;
  readonly nrPages: number;
  private readonly memory: MemoryProvider;
  private readonly topBuf: ArrayBuffer | SharedArrayBuffer;
  private readonly top: Int32Array;
  private readonly leafBufs: (ArrayBuffer | SharedArrayBuffer)[] = [];
  private readonly leaves: Int32Array[] = [];
  private readonly chunkBufs: (ArrayBuffer | SharedArrayBuffer)[] = [];
  private readonly chunks: Uint8Array[] = [];
  private frames = 0;
  private readonly free: number[] = [];
  private used = 0;
  private bytes = 0;

  constructor(nrPages: number, memory: MemoryProvider) {
    this.nrPages = nrPages;
    this.memory = memory;
    this.topBuf = this.alloc(Math.ceil(nrPages / SparsePages.LEAF_PAGES) * 4);
    this.top = new Int32Array(this.topBuf);
  }

  private alloc(n: number): ArrayBuffer | SharedArrayBuffer {
    this.bytes += n;
    return this.memory.allocate(n);
  }

  private leafOf(page: number, create: boolean): Int32Array | null {
    const t = Math.floor(page / SparsePages.LEAF_PAGES);
    if (this.top[t] > 0) return this.leaves[this.top[t] - 1];
    if (!create) return null;
    const buf = this.alloc(SparsePages.LEAF_PAGES * 4);
    this.leafBufs.push(buf);
    this.leaves.push(new Int32Array(buf));
    this.top[t] = this.leaves.length;
    return this.leaves[this.leaves.length - 1];
  }

  /** The frame holding `page`, or null when the page reads as zeros. */
  frameOf(page: number): Uint8Array | null {
    const leaf = this.leafOf(page, false);
    const f = leaf ? leaf[page % SparsePages.LEAF_PAGES] - 1 : -1;
    if (f < 0) return null;
    return this.chunks[Math.floor(f / SparsePages.CHUNK_PAGES)].subarray(
      (f % SparsePages.CHUNK_PAGES) * SparsePages.PAGE,
      (f % SparsePages.CHUNK_PAGES + 1) * SparsePages.PAGE,
    );
  }

  private ensure(page: number): Uint8Array {
    const leaf = this.leafOf(page, true)!;
    const i = page % SparsePages.LEAF_PAGES;
    if (leaf[i] === 0) {
      let f: number;
      if (this.free.length) f = this.free.pop()!;
      else {
        f = this.frames++;
        if (f % SparsePages.CHUNK_PAGES === 0) {
          const buf = this.alloc(SparsePages.CHUNK_PAGES * SparsePages.PAGE);
          this.chunkBufs.push(buf);
          this.chunks.push(new Uint8Array(buf));
        }
      }
      leaf[i] = f + 1;
      this.used++;
      const frame = this.frameOf(page)!;
      frame.fill(0);
      return frame;
    }
    return this.frameOf(page)!;
  }

  /** Copies `len` bytes of `page` from byte `off` (zeros where never written). */
  read(page: number, off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const f = this.frameOf(page);
    if (f) out.set(f.subarray(off, off + len));
    return out;
  }

  /** Stores bytes into `page` at byte `off`, giving the page a frame if it had none. */
  write(page: number, off: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.ensure(page).set(data, off);
  }

  /** Forgets a page's content: it reads as zeros again and its frame is reused. */
  discard(page: number): void {
    const leaf = this.leafOf(page, false);
    if (!leaf) return;
    const i = page % SparsePages.LEAF_PAGES;
    if (leaf[i] === 0) return;
    this.free.push(leaf[i] - 1);
    leaf[i] = 0;
    this.used--;
  }

  /** True when the page has a frame (it was written since it was last discarded). */
  hasFrame(page: number): boolean {
    return this.frameOf(page) !== null;
  }

  /** Buffers behind the store, for a reader on another thread (see docs/device.md). */
  layout(): { top: ArrayBuffer | SharedArrayBuffer; leaves: (ArrayBuffer | SharedArrayBuffer)[]; chunks: (ArrayBuffer | SharedArrayBuffer)[] } {
    return { top: this.topBuf, leaves: [...this.leafBufs], chunks: [...this.chunkBufs] };
  }

  stats(): { leaves: number; chunks: number; pagesWithFrames: number; bytesAllocated: number } {
    return { leaves: this.leaves.length, chunks: this.chunks.length, pagesWithFrames: this.used, bytesAllocated: this.bytes };
  }
}
