/**
 * The simulated persistent-memory device (an NVDIMM namespace) with the CPU cache in front of it.
 *
 * Conventions in this file:
 *   off      - a device byte offset, 0 .. size. Steps carry device offsets in `addr`; the physical
 *              address is off + the pmem range's start (see mm/physmap.ts).
 *   page     - a 4 KiB page of the device, numbered from 0 (pageIndex = off >> PAGE_SHIFT).
 *   line     - a 64-byte CPU cache line; line addresses are device offsets aligned to 64.
 *   media    - the durable bytes on the DIMM: what survives power loss.
 *   dirty    - a cache line whose content differs from the media (a CPU store that has not been
 *              written back yet). Clean cached copies are not modelled: they equal the media.
 *   cached store - a store through a mapping (`writeCached`): it lands in the cache and becomes
 *              durable only when flushed with clwb (`flush`) or drained at power loss on eADR.
 *   NT store - a cache-bypassing copy (movnt, memcpy_flushcache; `writeNT`): straight to media.
 *   ADR      - platform whose persistence domain is the memory controller: dirty cache lines are
 *              lost on power failure. eADR - the CPU caches are in the domain too: they drain.
 *   slot     - a 4 KiB frame in one of the two chunk pools (media pool, cache pool).
 *
 * Sparse layout (see docs/device.md): a top-level directory has one Int32 per 16 MiB of device
 * (LEAF_PAGES pages); it points at lazily allocated leaves holding three Int32 per page:
 * [media slot + 1, cache slot + 1, flags]. Slots live in chunks of CHUNK_PAGES pages obtained
 * from the MemoryProvider. Nothing is allocated for pages that were never stored to, so a
 * terabyte device costs only its top-level directory.
 *
 * What this model leaves out: the write-pending queue and its flush hints (a store that reached
 * the memory controller is durable), store ordering and fences (flushes complete at once),
 * cache capacity and eviction (a dirty line stays dirty until flushed, overwritten by an NT store
 * or lost/drained at power failure), clean-line state, multiple CPUs, interleaving across DIMMs,
 * labels and namespaces (the whole device is one namespace), the badblocks list (poison is a
 * per-page flag) and the block-layer path with its BTT.
 */

import { CACHELINE_SIZE, GiB, MiB, PAGE_SIZE, PMD_SIZE, TiB } from '../constants';
import { EngineBug, kerr, type KErr } from '../errno';
import { hex, type Tracer } from '../trace/steps';
import { sharedMemoryProvider, type MemoryProvider } from '../mm/memory';

export type Platform = 'adr' | 'eadr';

export interface PmemOptions {
  /** Bytes, a multiple of 2 MiB; default 64 MiB. */
  size: number;
  /** Persistence domain; default 'adr'. */
  platform?: Platform;
  /** Where the backing chunks come from; default sharedMemoryProvider(). */
  memory?: MemoryProvider;
  tracer?: Tracer | null;
}

/** Default device size. */
export const PMEM_DEFAULT_SIZE = 64 * MiB;
/** Largest device the directory layout supports (its top level is then 16 MiB). */
export const PMEM_MAX_SIZE = 64 * TiB;

/** log2 of the pages covered by one directory leaf (4096 pages = 16 MiB). */
export const LEAF_SHIFT = 12;
export const LEAF_PAGES = 1 << LEAF_SHIFT;
/** Int32 words per page in a leaf: media slot + 1, cache slot + 1, flags. */
export const LEAF_STRIDE = 3;
/** log2 of the pages per chunk of either pool (64 pages = 256 KiB). */
export const CHUNK_SHIFT = 6;
export const CHUNK_PAGES = 1 << CHUNK_SHIFT;
/** Cache lines per page (64) and the Uint32 words of a page's dirty mask (2). */
export const LINES_PER_PAGE = PAGE_SIZE / CACHELINE_SIZE;
export const MASK_WORDS = LINES_PER_PAGE / 32;
/** Bytes of one cache-pool chunk: page data, then the dirty masks (2 Uint32 per page). */
export const CACHE_CHUNK_BYTES = CHUNK_PAGES * PAGE_SIZE + CHUNK_PAGES * MASK_WORDS * 4;
export const MEDIA_CHUNK_BYTES = CHUNK_PAGES * PAGE_SIZE;
/** Leaf flag bit: the page's media is poisoned (an uncorrectable error). */
export const PAGE_FLAG_POISON = 1;

const LINE_SHIFT = 6;

/**
 * The buffers of the sparse layout, for a reader on another thread (see docs/device.md).
 * `generation` grows whenever a buffer is added; a reader re-fetches the layout when it changes.
 */
export interface PmemLayout {
  generation: number;
  size: number;
  top: ArrayBuffer | SharedArrayBuffer;
  leaves: (ArrayBuffer | SharedArrayBuffer)[];
  mediaChunks: (ArrayBuffer | SharedArrayBuffer)[];
  cacheChunks: (ArrayBuffer | SharedArrayBuffer)[];
}

/** One page as found through a layout: its media bytes, its cache bytes and dirty mask. */
export interface PageView {
  /** durable bytes, or null when the page was never written back (reads as zeros) */
  media: Uint8Array | null;
  /** cache frame, or null when no line of the page is dirty */
  cache: Uint8Array | null;
  /** dirty bits of the 64 lines: bit i of word i >> 5 is line i */
  dirty: [number, number];
  poisoned: boolean;
}

/** Allocation counters, for tests that check sparseness. */
export interface PmemStats {
  leaves: number;
  mediaChunks: number;
  cacheChunks: number;
  /** pages with a media frame */
  mediaPages: number;
  /** pages that currently hold at least one dirty line */
  cachedPages: number;
  /** every byte obtained from the MemoryProvider */
  bytesAllocated: number;
}

/**
 * Finds one page's bytes through a layout, without the device object: what a UI thread does
 * with the buffers it was sent.
 */
export function locatePage(layout: PmemLayout, pageIndex: number): PageView {
  const top = new Int32Array(layout.top);
  const leafNo = top[Math.floor(pageIndex / LEAF_PAGES)] - 1;
  const none: PageView = { media: null, cache: null, dirty: [0, 0], poisoned: false };
  if (leafNo < 0) return none;
  const leaf = new Int32Array(layout.leaves[leafNo]);
  const base = (pageIndex & (LEAF_PAGES - 1)) * LEAF_STRIDE;
  const m = leaf[base] - 1;
  const c = leaf[base + 1] - 1;
  const view: PageView = { media: null, cache: null, dirty: [0, 0], poisoned: (leaf[base + 2] & PAGE_FLAG_POISON) !== 0 };
  if (m >= 0) {
    view.media = new Uint8Array(layout.mediaChunks[m >>> CHUNK_SHIFT], (m & (CHUNK_PAGES - 1)) * PAGE_SIZE, PAGE_SIZE);
  }
  if (c >= 0) {
    const buf = layout.cacheChunks[c >>> CHUNK_SHIFT];
    const i = c & (CHUNK_PAGES - 1);
    view.cache = new Uint8Array(buf, i * PAGE_SIZE, PAGE_SIZE);
    const mask = new Uint32Array(buf, CHUNK_PAGES * PAGE_SIZE + i * MASK_WORDS * 4, MASK_WORDS);
    view.dirty = [mask[0], mask[1]];
  }
  return view;
}

function sizeText(n: number): string {
  if (n >= TiB && n % TiB === 0) return `${n / TiB} TiB`;
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  return `${n / MiB} MiB`;
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Coalesces line addresses (ascending) into [addr, len] runs. */
function lineRuns(lines: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const a of lines) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === a) last[1] += CACHELINE_SIZE;
    else runs.push([a, CACHELINE_SIZE]);
  }
  return runs;
}

function linesText(addr: number, len: number): string {
  const n = len / CACHELINE_SIZE;
  return n === 1 ? `the cache line at ${hex(addr)}` : `${n} cache lines at ${hex(addr)}..${hex(addr + len - 1)}`;
}

/**
 * A pmem namespace behind the CPU cache. Loads see dirty lines over media; cached stores stay
 * volatile until flushed; NT stores go straight to media; power failure drops (ADR) or drains
 * (eADR) the dirty lines.
 */
export class PmemDevice {
  readonly size: number;
  readonly nrPages: number;
  readonly platform: Platform;
  readonly memory: MemoryProvider;
  tracer: Tracer | null;

  private readonly topBuf: ArrayBuffer | SharedArrayBuffer;
  private readonly top: Int32Array;
  private readonly leafBufs: (ArrayBuffer | SharedArrayBuffer)[] = [];
  private readonly leaves: Int32Array[] = [];
  private readonly mediaBufs: (ArrayBuffer | SharedArrayBuffer)[] = [];
  private readonly media: Uint8Array[] = [];
  private readonly cacheBufs: (ArrayBuffer | SharedArrayBuffer)[] = [];
  private readonly cacheData: Uint8Array[] = [];
  private readonly cacheMask: Uint32Array[] = [];
  private mediaSlots = 0;
  private cacheSlots = 0;
  private readonly cacheFree: number[] = [];
  /** pages that own a cache frame (at least one dirty line) */
  private readonly cachedSet = new Set<number>();
  private readonly poisonedSet = new Set<number>();
  private bytesAllocated = 0;
  private gen = 0;

  /**
   * Validates the options and builds the device; a bad size is the user's mistake (-EINVAL).
   */
  static create(opts: Partial<PmemOptions> = {}): PmemDevice | KErr {
    const size = opts.size ?? PMEM_DEFAULT_SIZE;
    if (!Number.isSafeInteger(size) || size <= 0 || size % PMD_SIZE !== 0) {
      return kerr('EINVAL', `a pmem device size must be a positive multiple of 2 MiB, not ${size} bytes`);
    }
    if (size > PMEM_MAX_SIZE) return kerr('EINVAL', `the simulator supports pmem devices up to 64 TiB, not ${sizeText(size)}`);
    if (opts.platform !== undefined && opts.platform !== 'adr' && opts.platform !== 'eadr') {
      return kerr('EINVAL', `the platform must be 'adr' or 'eadr'`);
    }
    return new PmemDevice({ ...opts, size });
  }

  /** Builds the device; throws EngineBug on a bad size (use create() for user input). */
  constructor(opts: PmemOptions) {
    const size = opts.size ?? PMEM_DEFAULT_SIZE;
    if (!Number.isSafeInteger(size) || size <= 0 || size % PMD_SIZE !== 0 || size > PMEM_MAX_SIZE) {
      throw new EngineBug(`PmemDevice size ${size} is not a multiple of 2 MiB within 64 TiB`);
    }
    this.size = size;
    this.nrPages = size / PAGE_SIZE;
    this.platform = opts.platform ?? 'adr';
    this.memory = opts.memory ?? sharedMemoryProvider();
    this.tracer = opts.tracer ?? null;
    const nrLeaves = Math.ceil(this.nrPages / LEAF_PAGES);
    this.topBuf = this.alloc(nrLeaves * 4);
    this.top = new Int32Array(this.topBuf);
  }

  /**
   * Whether CPU caches sit outside the persistence domain, i.e. whether flushing is needed.
   * False on eADR, where the kernel clears the dax write-cache flag and dax_flush does nothing.
   * Kernel: drivers/nvdimm/region_devs.c nvdimm_has_cache()
   */
  get writeCache(): boolean {
    return this.platform === 'adr';
  }

  /** The sysfs persistence_domain of the region: memory_controller (ADR) or cpu_cache (eADR). */
  get persistenceDomain(): 'memory_controller' | 'cpu_cache' {
    return this.platform === 'adr' ? 'memory_controller' : 'cpu_cache';
  }

  // ---- internal plumbing -------------------------------------------------------------------

  private alloc(bytes: number): ArrayBuffer | SharedArrayBuffer {
    this.bytesAllocated += bytes;
    this.gen++;
    return this.memory.allocate(bytes);
  }

  private check(off: number, len: number, what: string): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.size) {
      throw new EngineBug(`${what}(${off}, ${len}) is outside the ${this.size}-byte pmem device`);
    }
  }

  private leafOf(page: number, create: boolean): Int32Array | null {
    const t = Math.floor(page / LEAF_PAGES);
    const n = this.top[t];
    if (n > 0) return this.leaves[n - 1];
    if (!create) return null;
    const buf = this.alloc(LEAF_PAGES * LEAF_STRIDE * 4);
    this.leafBufs.push(buf);
    const leaf = new Int32Array(buf);
    this.leaves.push(leaf);
    this.top[t] = this.leaves.length;
    return leaf;
  }

  private mediaSlotOf(page: number): number {
    const leaf = this.leafOf(page, false);
    return leaf ? leaf[(page & (LEAF_PAGES - 1)) * LEAF_STRIDE] - 1 : -1;
  }

  private cacheSlotOf(page: number): number {
    const leaf = this.leafOf(page, false);
    return leaf ? leaf[(page & (LEAF_PAGES - 1)) * LEAF_STRIDE + 1] - 1 : -1;
  }

  private ensureMedia(page: number): number {
    const leaf = this.leafOf(page, true)!;
    const i = (page & (LEAF_PAGES - 1)) * LEAF_STRIDE;
    if (leaf[i] > 0) return leaf[i] - 1;
    const slot = this.mediaSlots++;
    if ((slot & (CHUNK_PAGES - 1)) === 0) {
      const buf = this.alloc(MEDIA_CHUNK_BYTES);
      this.mediaBufs.push(buf);
      this.media.push(new Uint8Array(buf));
    }
    leaf[i] = slot + 1;
    return slot;
  }

  private ensureCache(page: number): number {
    const leaf = this.leafOf(page, true)!;
    const i = (page & (LEAF_PAGES - 1)) * LEAF_STRIDE + 1;
    if (leaf[i] > 0) return leaf[i] - 1;
    let slot: number;
    if (this.cacheFree.length) slot = this.cacheFree.pop()!;
    else {
      slot = this.cacheSlots++;
      if ((slot & (CHUNK_PAGES - 1)) === 0) {
        const buf = this.alloc(CACHE_CHUNK_BYTES);
        this.cacheBufs.push(buf);
        this.cacheData.push(new Uint8Array(buf, 0, CHUNK_PAGES * PAGE_SIZE));
        this.cacheMask.push(new Uint32Array(buf, CHUNK_PAGES * PAGE_SIZE, CHUNK_PAGES * MASK_WORDS));
      }
    }
    leaf[i] = slot + 1;
    this.cachedSet.add(page);
    return slot;
  }

  /** Returns a page's cache frame to the free list once no line of it is dirty. */
  private releaseCacheIfClean(page: number, slot: number): void {
    const mask = this.cacheMask[slot >>> CHUNK_SHIFT];
    const mi = (slot & (CHUNK_PAGES - 1)) * MASK_WORDS;
    if (mask[mi] !== 0 || mask[mi + 1] !== 0) return;
    const leaf = this.leafOf(page, false)!;
    leaf[(page & (LEAF_PAGES - 1)) * LEAF_STRIDE + 1] = 0;
    this.cacheFree.push(slot);
    this.cachedSet.delete(page);
  }

  private mediaBytes(slot: number): [Uint8Array, number] {
    return [this.media[slot >>> CHUNK_SHIFT], (slot & (CHUNK_PAGES - 1)) * PAGE_SIZE];
  }

  private cacheBytes(slot: number): [Uint8Array, number] {
    return [this.cacheData[slot >>> CHUNK_SHIFT], (slot & (CHUNK_PAGES - 1)) * PAGE_SIZE];
  }

  private isLineDirty(slot: number, line: number): boolean {
    const mask = this.cacheMask[slot >>> CHUNK_SHIFT];
    return (mask[(slot & (CHUNK_PAGES - 1)) * MASK_WORDS + (line >>> 5)] & (1 << (line & 31))) !== 0;
  }

  private setLineDirty(slot: number, line: number, dirty: boolean): void {
    const mask = this.cacheMask[slot >>> CHUNK_SHIFT];
    const w = (slot & (CHUNK_PAGES - 1)) * MASK_WORDS + (line >>> 5);
    if (dirty) mask[w] |= 1 << (line & 31);
    else mask[w] &= ~(1 << (line & 31));
  }

  /** Copies one dirty line of a page from its cache frame to its media frame. */
  private writeBackLine(page: number, cslot: number, line: number): void {
    const mslot = this.ensureMedia(page);
    const [md, mo] = this.mediaBytes(mslot);
    const [cd, co] = this.cacheBytes(cslot);
    const b = line << LINE_SHIFT;
    md.set(cd.subarray(co + b, co + b + CACHELINE_SIZE), mo + b);
    this.setLineDirty(cslot, line, false);
  }

  /** Pages that own a cache frame within [first, last], ascending. */
  private cachedPagesIn(first: number, last: number): number[] {
    const out: number[] = [];
    if (last - first + 1 <= this.cachedSet.size) {
      for (let p = first; p <= last; p++) if (this.cachedSet.has(p)) out.push(p);
    } else {
      for (const p of this.cachedSet) if (p >= first && p <= last) out.push(p);
      out.sort((a, b) => a - b);
    }
    return out;
  }

  /** Give back the cache slots of the pages of [addr, addr + len) that have no dirty line left. */
  private releaseCleanPages(addr: number, len: number): void {
    for (let page = Math.floor(addr / PAGE_SIZE); page <= Math.floor((addr + len - 1) / PAGE_SIZE); page++) {
      const c = this.cacheSlotOf(page);
      if (c >= 0) this.releaseCacheIfClean(page, c);
    }
  }

  /**
   * Settle dirty `lines` (device offsets, ascending) one run of adjacent lines at a time: `perLine`
   * changes each line of the run, pages left with no dirty line give back their cache slot, and
   * then the run's step is emitted, so that the machine after every step is exactly what the steps
   * so far say (a viewer replays them one by one).
   */
  private settleRuns(lines: number[], action: 'flush' | 'discard' | 'drain', perLine: (page: number, slot: number, line: number) => void, text: (addr: number, len: number) => string): void {
    const tr = this.tracer && this.tracer.on ? this.tracer : null;
    for (const [addr, len] of lineRuns(lines)) {
      for (let a = addr; a < addr + len; a += CACHELINE_SIZE) {
        const page = Math.floor(a / PAGE_SIZE);
        perLine(page, this.cacheSlotOf(page), (a % PAGE_SIZE) / CACHELINE_SIZE);
      }
      this.releaseCleanPages(addr, len);
      if (tr) tr.emit({ t: 'cache', action, addr, len }, text(addr, len));
    }
  }

  private emitRuns(action: 'flush' | 'discard' | 'drain', lines: number[], text: (addr: number, len: number) => string): void {
    const tr = this.tracer!;
    for (const [addr, len] of lineRuns(lines)) tr.emit({ t: 'cache', action, addr, len }, text(addr, len));
  }

  // ---- loads --------------------------------------------------------------------------------

  /** What a CPU load sees: dirty cache lines over media; never-written bytes read as zeros. */
  read(off: number, len: number): Uint8Array {
    this.check(off, len, 'read');
    const out = new Uint8Array(len);
    let pos = off;
    const end = off + len;
    while (pos < end) {
      const page = Math.floor(pos / PAGE_SIZE);
      const pageStart = page * PAGE_SIZE;
      const segEnd = Math.min(end, pageStart + PAGE_SIZE);
      const leaf = this.leafOf(page, false);
      if (leaf) {
        const li = (page & (LEAF_PAGES - 1)) * LEAF_STRIDE;
        const m = leaf[li] - 1;
        const c = leaf[li + 1] - 1;
        if (m >= 0) {
          const [md, mo] = this.mediaBytes(m);
          out.set(md.subarray(mo + pos - pageStart, mo + segEnd - pageStart), pos - off);
        }
        if (c >= 0) {
          const [cd, co] = this.cacheBytes(c);
          for (let line = (pos - pageStart) >>> LINE_SHIFT; line << LINE_SHIFT < segEnd - pageStart; line++) {
            if (!this.isLineDirty(c, line)) continue;
            const a = Math.max(pos, pageStart + (line << LINE_SHIFT));
            const b = Math.min(segEnd, pageStart + ((line + 1) << LINE_SHIFT));
            out.set(cd.subarray(co + a - pageStart, co + b - pageStart), a - off);
          }
        }
      }
      pos = segEnd;
    }
    return out;
  }

  /** Durable content only: what would be read after a power failure on an ADR platform. */
  readMedia(off: number, len: number): Uint8Array {
    this.check(off, len, 'readMedia');
    const out = new Uint8Array(len);
    let pos = off;
    const end = off + len;
    while (pos < end) {
      const page = Math.floor(pos / PAGE_SIZE);
      const pageStart = page * PAGE_SIZE;
      const segEnd = Math.min(end, pageStart + PAGE_SIZE);
      const m = this.mediaSlotOf(page);
      if (m >= 0) {
        const [md, mo] = this.mediaBytes(m);
        out.set(md.subarray(mo + pos - pageStart, mo + segEnd - pageStart), pos - off);
      }
      pos = segEnd;
    }
    return out;
  }

  /**
   * A read through the pmem driver: fails with -EIO when any page in the range is poisoned,
   * without loading from it. The driver keeps a list of known bad blocks and refuses them before
   * any access: for DAX, direct access returns -EHWPOISON, which fs/dax.c reports as -EIO
   * (dax_mem2blk_err); a block read fails with BLK_STS_IOERR. (A load from a bad line that the
   * driver did not know of would take a machine check, which copy_mc_to_kernel() survives.)
   * Kernel: drivers/nvdimm/pmem.c __pmem_direct_access() / pmem_do_read(), fs/dax.c dax_iomap_iter()
   */
  readMc(off: number, len: number): Uint8Array | KErr {
    const bad = this.firstPoisonedPage(off, len);
    if (bad >= 0) return kerr('EIO', `pmem page ${bad} (offset ${hex(bad * PAGE_SIZE)}) is in the pmem driver's bad-block list: the driver refuses it without a load`);
    return this.read(off, len);
  }

  // ---- stores -------------------------------------------------------------------------------

  /**
   * A CPU store through a mapping: the bytes land in cache lines that become dirty; they reach
   * the media only when flushed (clwb) or drained by eADR at power loss. A partial-line store
   * first fills the line from media (read for ownership).
   */
  writeCached(off: number, data: Uint8Array): void {
    this.check(off, data.length, 'writeCached');
    if (data.length === 0) return;
    const end = off + data.length;
    let newly = 0;
    let pos = off;
    while (pos < end) {
      const page = Math.floor(pos / PAGE_SIZE);
      const pageStart = page * PAGE_SIZE;
      const segEnd = Math.min(end, pageStart + PAGE_SIZE);
      const c = this.ensureCache(page);
      const [cd, co] = this.cacheBytes(c);
      const m = this.mediaSlotOf(page);
      for (let line = (pos - pageStart) >>> LINE_SHIFT; line << LINE_SHIFT < segEnd - pageStart; line++) {
        if (this.isLineDirty(c, line)) continue;
        const b = line << LINE_SHIFT;
        if (m >= 0) {
          const [md, mo] = this.mediaBytes(m);
          cd.set(md.subarray(mo + b, mo + b + CACHELINE_SIZE), co + b);
        } else {
          cd.fill(0, co + b, co + b + CACHELINE_SIZE);
        }
        this.setLineDirty(c, line, true);
        newly++;
      }
      cd.set(data.subarray(pos - off, segEnd - off), co + pos - pageStart);
      pos = segEnd;
    }
    const tr = this.tracer;
    if (tr && tr.on) {
      const a = Math.floor(off / CACHELINE_SIZE) * CACHELINE_SIZE;
      const len = Math.ceil(end / CACHELINE_SIZE) * CACHELINE_SIZE - a;
      const n = len / CACHELINE_SIZE;
      tr.emit(
        { t: 'cache', action: 'dirty', addr: a, len },
        `The ${data.length}-byte store at ${hex(off)} lands in the CPU cache: ${linesText(a, len)} ` +
          `${n === 1 ? 'is' : 'are'} dirty (${newly} newly) and not yet on the pmem media.`,
      );
    }
  }

  /**
   * A cache-bypassing copy (memcpy_flushcache / movnt): the bytes go straight to media. Dirty
   * lines wholly overwritten are dropped; a dirty line only partly covered is first written
   * back, so the media ends up with the merged line.
   * Kernel: arch/x86/lib/usercopy_64.c __memcpy_flushcache()
   */
  writeNT(off: number, data: Uint8Array): void {
    this.check(off, data.length, 'writeNT');
    this.ntStore(off, data.length, data);
  }

  /** A cache-bypassing store of zeros over [off, off + len), as writeNT. */
  zeroNT(off: number, len: number): void {
    this.check(off, len, 'zeroNT');
    this.ntStore(off, len, null);
  }

  private ntStore(off: number, len: number, data: Uint8Array | null): void {
    if (len === 0) return;
    const tr = this.tracer && this.tracer.on ? this.tracer : null;
    const end = off + len;
    const discarded: number[] = [];
    const merged: number[] = [];
    let pos = off;
    while (pos < end) {
      const page = Math.floor(pos / PAGE_SIZE);
      const pageStart = page * PAGE_SIZE;
      const segEnd = Math.min(end, pageStart + PAGE_SIZE);
      const c = this.cacheSlotOf(page);
      if (c >= 0) {
        for (let line = (pos - pageStart) >>> LINE_SHIFT; line << LINE_SHIFT < segEnd - pageStart; line++) {
          if (!this.isLineDirty(c, line)) continue;
          const la = pageStart + (line << LINE_SHIFT);
          if (la >= off && la + CACHELINE_SIZE <= end) {
            this.setLineDirty(c, line, false);
            if (tr) discarded.push(la);
          } else {
            this.writeBackLine(page, c, line);
            if (tr) merged.push(la);
          }
        }
        this.releaseCacheIfClean(page, c);
      }
      let m = this.mediaSlotOf(page);
      if (m < 0 && data) m = this.ensureMedia(page);
      if (m >= 0) {
        const [md, mo] = this.mediaBytes(m);
        if (data) md.set(data.subarray(pos - off, segEnd - off), mo + pos - pageStart);
        else md.fill(0, mo + pos - pageStart, mo + segEnd - pageStart);
      }
      pos = segEnd;
    }
    if (tr) {
      this.emitRuns('flush', merged, (a, l) => `The non-temporal store only partly covers ${linesText(a, l)}, so the dirty data is written back to the media first.`);
      this.emitRuns('discard', discarded, (a, l) => `The non-temporal store overwrites ${linesText(a, l)} entirely: the dirty cached copy is dropped.`);
      tr.emit(
        { t: 'media', addr: off, len },
        `A non-temporal ${data ? 'copy' : 'zeroing'} of ${len} bytes at ${hex(off)} bypasses the CPU cache and reaches the pmem media directly.`,
      );
    }
  }

  /**
   * Writes back every dirty cache line in the range (clwb per line) and returns how many lines
   * were written back. Lines already clean cost nothing.
   * Kernel: arch/x86/lib/usercopy_64.c arch_wb_cache_pmem() (clean_cache_range)
   */
  flush(off: number, len: number): number {
    this.check(off, len, 'flush');
    if (len === 0 || this.cachedSet.size === 0) return 0;
    const flushed = this.dirtyLines(off, len);
    this.settleRuns(flushed, 'flush', (page, slot, line) => this.writeBackLine(page, slot, line), (a, n) =>
      n === CACHELINE_SIZE
        ? `clwb writes back the dirty cache line at ${hex(a)} to the pmem media.`
        : `clwb writes back ${n / CACHELINE_SIZE} dirty cache lines at ${hex(a)}..${hex(a + n - 1)} to the pmem media.`,
    );
    return flushed.length;
  }

  /**
   * Power is lost. ADR: every dirty cache line is lost and the media keeps its last durable
   * content. eADR: the caches are drained to media first, so nothing is lost. Afterwards no line
   * is dirty. Poison survives (it is a property of the media).
   */
  powerFail(): { lostLines: number; drainedLines: number } {
    const eadr = this.platform === 'eadr';
    const dirty = this.dirtyLines();
    if (eadr)
      this.settleRuns(dirty, 'drain', (page, slot, line) => this.writeBackLine(page, slot, line), (a, l) =>
        `Power fails on an eADR platform: ${linesText(a, l)} ${l === CACHELINE_SIZE ? 'is' : 'are'} drained from the CPU cache to the pmem media.`,
      );
    else
      this.settleRuns(dirty, 'discard', (_page, slot, line) => this.setLineDirty(slot, line, false), (a, l) =>
        `Power fails on an ADR platform: ${linesText(a, l)} never reached the media and ${l === CACHELINE_SIZE ? 'is' : 'are'} lost.`,
      );
    const n = dirty.length;
    return eadr ? { lostLines: 0, drainedLines: n } : { lostLines: n, drainedLines: 0 };
  }

  // ---- inspection ---------------------------------------------------------------------------

  /** Device offsets of the dirty cache lines in [off, off + len), ascending. */
  dirtyLines(off = 0, len = this.size - off): number[] {
    this.check(off, len, 'dirtyLines');
    const out: number[] = [];
    if (len === 0) return out;
    const firstLine = Math.floor(off / CACHELINE_SIZE);
    const endLine = Math.ceil((off + len) / CACHELINE_SIZE);
    for (const page of this.cachedPagesIn(Math.floor(off / PAGE_SIZE), Math.floor((off + len - 1) / PAGE_SIZE))) {
      const c = this.cacheSlotOf(page);
      const pl = page * LINES_PER_PAGE;
      const lo = Math.max(firstLine, pl) - pl;
      const hi = Math.min(endLine, pl + LINES_PER_PAGE) - pl;
      for (let line = lo; line < hi; line++) if (this.isLineDirty(c, line)) out.push((pl + line) * CACHELINE_SIZE);
    }
    return out;
  }

  /** Number of dirty lines on the whole device. */
  dirtyLineCount(): number {
    let n = 0;
    for (const page of this.cachedSet) {
      const c = this.cacheSlotOf(page);
      const mask = this.cacheMask[c >>> CHUNK_SHIFT];
      const mi = (c & (CHUNK_PAGES - 1)) * MASK_WORDS;
      n += popcount32(mask[mi]) + popcount32(mask[mi + 1]);
    }
    return n;
  }

  /** Every page that holds durable content or dirty lines, ascending (walks only allocated leaves). */
  writtenPageList(): number[] {
    const out: number[] = [];
    for (let t = 0; t < this.top.length; t++) {
      const n = this.top[t];
      if (n <= 0) continue;
      const leaf = this.leaves[n - 1];
      for (let i = 0; i < LEAF_PAGES; i++) {
        const page = t * LEAF_PAGES + i;
        if (page >= this.nrPages) break;
        if (leaf[i * LEAF_STRIDE] > 0 || this.cachedSet.has(page)) out.push(page);
      }
    }
    return out;
  }

  /** Pages holding at least one dirty line, ascending. */
  dirtyPages(): number[] {
    return [...this.cachedSet].sort((a, b) => a - b);
  }

  private checkPage(pageIndex: number, what: string): void {
    if (!Number.isSafeInteger(pageIndex) || pageIndex < 0 || pageIndex >= this.nrPages) {
      throw new EngineBug(`${what}(${pageIndex}): no such page on a ${this.nrPages}-page pmem device`);
    }
  }

  /** True when at least one cache line of the page is dirty. */
  isPageDirty(pageIndex: number): boolean {
    this.checkPage(pageIndex, 'isPageDirty');
    return this.cachedSet.has(pageIndex);
  }

  /**
   * True when the page holds anything besides never-written zeros: it has durable content or
   * dirty lines. (A zeroNT over a never-written page leaves it unwritten: it still reads zero.)
   */
  isPageWritten(pageIndex: number): boolean {
    this.checkPage(pageIndex, 'isPageWritten');
    return this.mediaSlotOf(pageIndex) >= 0 || this.cachedSet.has(pageIndex);
  }

  // ---- media errors -------------------------------------------------------------------------

  /**
   * Marks a page's media as poisoned (an uncorrectable error). Loads through readMc() then fail;
   * read() still returns the stored bytes so views can show them. Idempotent.
   */
  poison(pageIndex: number): void {
    this.checkPage(pageIndex, 'poison');
    if (this.poisonedSet.has(pageIndex)) return;
    const leaf = this.leafOf(pageIndex, true)!;
    leaf[(pageIndex & (LEAF_PAGES - 1)) * LEAF_STRIDE + 2] |= PAGE_FLAG_POISON;
    this.poisonedSet.add(pageIndex);
    const tr = this.tracer;
    if (tr && tr.on) tr.emit({ t: 'poison', page: pageIndex }, `The pmem media of page ${pageIndex} (offset ${hex(pageIndex * PAGE_SIZE)}) develops an uncorrectable error: loads from it will take a machine check.`);
  }

  /**
   * Clears a page's poison, as writing fresh data through the driver's clear-poison path does.
   * Kernel: drivers/nvdimm/pmem.c pmem_clear_poison()
   */
  clearPoison(pageIndex: number): void {
    this.checkPage(pageIndex, 'clearPoison');
    if (!this.poisonedSet.has(pageIndex)) return;
    const leaf = this.leafOf(pageIndex, false)!;
    leaf[(pageIndex & (LEAF_PAGES - 1)) * LEAF_STRIDE + 2] &= ~PAGE_FLAG_POISON;
    this.poisonedSet.delete(pageIndex);
    const tr = this.tracer;
    if (tr && tr.on) tr.emit({ t: 'note' }, `The poison on pmem page ${pageIndex} (offset ${hex(pageIndex * PAGE_SIZE)}) is cleared.`);
  }

  isPoisoned(pageIndex: number): boolean {
    this.checkPage(pageIndex, 'isPoisoned');
    return this.poisonedSet.has(pageIndex);
  }

  /** Poisoned pages, ascending. */
  poisonedPages(): number[] {
    return [...this.poisonedSet].sort((a, b) => a - b);
  }

  /** The first poisoned page overlapping [off, off + len), or -1. */
  firstPoisonedPage(off: number, len: number): number {
    this.check(off, len, 'firstPoisonedPage');
    if (len === 0 || this.poisonedSet.size === 0) return -1;
    let best = -1;
    const first = Math.floor(off / PAGE_SIZE);
    const last = Math.floor((off + len - 1) / PAGE_SIZE);
    for (const p of this.poisonedSet) if (p >= first && p <= last && (best < 0 || p < best)) best = p;
    return best;
  }

  // ---- layout for other threads -----------------------------------------------------------

  /** The buffers behind the device (see locatePage and docs/device.md). */
  layout(): PmemLayout {
    return {
      generation: this.gen,
      size: this.size,
      top: this.topBuf,
      leaves: [...this.leafBufs],
      mediaChunks: [...this.mediaBufs],
      cacheChunks: [...this.cacheBufs],
    };
  }

  /** Buffers obtained so far; grows whenever a leaf or chunk is added. */
  get generation(): number {
    return this.gen;
  }

  stats(): PmemStats {
    return {
      leaves: this.leaves.length,
      mediaChunks: this.media.length,
      cacheChunks: this.cacheData.length,
      mediaPages: this.mediaSlots,
      cachedPages: this.cachedSet.size,
      bytesAllocated: this.bytesAllocated,
    };
  }
}
