/**
 * The physical address map as the kernel sees it: DRAM from pfn 0, a hole, then the pmem
 * device's data pages (ZONE_DEVICE); a DRAM page allocator; DRAM page contents; and the
 * memmap (struct pages, mm/page.ts) for both ranges.
 *
 * Conventions in this file:
 *   pfn        - page frame number = physical address >> PAGE_SHIFT.
 *   DRAM range - pfns [0, dramPages): ZONE_NORMAL, handed out by alloc_pages().
 *   pmem range - pfns [pmemStartPfn, pmemStartPfn + pmemPages): pmem device offset
 *                (pfn - pmemStartPfn) * 4096. These pages belong to the filesystem, never to
 *                the page allocator.
 *   order      - allocation size: 2^order pages, naturally aligned (0 or 9 here).
 *   use        - why a DRAM page was allocated ('pagecache', 'anon', 'cow', 'zero-page',
 *                'huge-zero-page', ...), shown by the views.
 *   zero page  - one 4 KiB page of zeros, allocated when the machine boots (it is the lowest
 *                free page, pfn 0). The huge zero page (512 pages, 2 MiB aligned) is allocated
 *                on first use, as mm_get_huge_zero_folio() does, and then kept.
 *
 * What this model leaves out: NUMA nodes and zones other than ZONE_NORMAL/ZONE_DEVICE, the
 * buddy allocator's free lists and merging (allocation is "lowest free aligned run first"),
 * watermarks, reclaim and the huge zero page's shrinker, the kernel image and firmware-reserved
 * ranges (the kernel's empty_zero_page lives in the kernel image; here it is simply the first
 * DRAM page), the memmap's own DRAM footprint (reported by memmap(), not subtracted from DRAM),
 * and the pmem namespace's info block/memmap area (the pmem range starts at the data offset).
 * Freshly allocated DRAM pages read as zeros (as if __GFP_ZERO were always passed).
 */

import { GiB, MiB, PAGE_SIZE, PMD_ORDER, PMD_SIZE } from '../constants';
import { BUG_ON, EngineBug, kerr, type KErr } from '../errno';
import { hex, type Tracer } from '../trace/steps';
import { SparsePages, sharedMemoryProvider, type MemoryProvider } from './memory';
import { memmapCost, PageMap, type MemmapCost } from './page';

export type PfnRange = 'dram' | 'pmem';
export type DramUse = 'pagecache' | 'anon' | 'cow' | 'zero-page' | 'huge-zero-page' | 'kernel' | (string & {});

export interface PhysMapOptions {
  /** DRAM size in bytes; multiple of 2 MiB; default 256 MiB. */
  dramBytes?: number;
  /** pmem device size in bytes (the PmemDevice's size); multiple of 2 MiB; default 64 MiB. */
  pmemBytes?: number;
  /**
   * Physical address of pmem device offset 0; 2 MiB aligned, at or above the end of DRAM.
   * Default: the first 1 GiB boundary at or above the end of DRAM.
   */
  pmemStart?: number;
  /** Where the pmem struct pages live, for memmap(): 'ram' (map=mem, default) or 'dev'. */
  memmapMode?: 'ram' | 'dev';
  /** Namespace alignment for memmap(); default 2 MiB. */
  align?: number;
  memory?: MemoryProvider;
  tracer?: Tracer | null;
}

/** An allocated DRAM block. */
export interface DramAllocation {
  pfn: number;
  order: number;
  use: DramUse;
}

const FULL = 0xffffffff;

/** Kernel: include/linux/pfn.h PFN_PHYS() */
export function PFN_PHYS(pfn: number): number {
  return pfn * PAGE_SIZE;
}

/** Kernel: include/linux/pfn.h PHYS_PFN() */
export function PHYS_PFN(addr: number): number {
  return Math.floor(addr / PAGE_SIZE);
}

function useText(use: DramUse): string {
  switch (use) {
    case 'pagecache':
      return 'the page cache';
    case 'anon':
      return 'anonymous memory';
    case 'cow':
      return 'a copy-on-write copy';
    case 'zero-page':
      return 'the shared zero page';
    case 'huge-zero-page':
      return 'the huge zero page';
    default:
      return use;
  }
}

/** The machine's physical memory: ranges, DRAM allocator and contents, and the memmap. */
export class PhysMap {
  readonly dramPages: number;
  readonly pmemStartPfn: number;
  readonly pmemPages: number;
  readonly memmapMode: 'ram' | 'dev';
  readonly align: number;
  readonly pages: PageMap;
  tracer: Tracer | null;
  /** pfn of the shared zero page (allocated at boot). */
  readonly zeroPagePfn: number;
  private hugeZero: number | null = null;

  private readonly bitmap: Uint32Array;
  private readonly allocs = new Map<number, { order: number; use: DramUse }>();
  private hint = 0;
  private nrFree: number;
  private readonly dram: SparsePages;

  /** Validates options that come from a scenario or the user; bad ones give -EINVAL. */
  static create(opts: PhysMapOptions = {}): PhysMap | KErr {
    const dramBytes = opts.dramBytes ?? 256 * MiB;
    const pmemBytes = opts.pmemBytes ?? 64 * MiB;
    if (!Number.isSafeInteger(dramBytes) || dramBytes < 4 * MiB || dramBytes % PMD_SIZE !== 0 || dramBytes > 64 * GiB) {
      return kerr('EINVAL', `DRAM must be a multiple of 2 MiB between 4 MiB and 64 GiB, not ${dramBytes} bytes`);
    }
    if (!Number.isSafeInteger(pmemBytes) || pmemBytes <= 0 || pmemBytes % PMD_SIZE !== 0) {
      return kerr('EINVAL', `the pmem size must be a positive multiple of 2 MiB, not ${pmemBytes} bytes`);
    }
    if (opts.pmemStart !== undefined) {
      const s = opts.pmemStart;
      if (!Number.isSafeInteger(s) || s % PMD_SIZE !== 0 || s < dramBytes) {
        return kerr('EINVAL', `the pmem range must start on a 2 MiB boundary at or above the end of DRAM (${hex(dramBytes)}), not ${String(s)}`);
      }
      if (!Number.isSafeInteger(s + pmemBytes)) return kerr('EINVAL', 'the pmem range ends beyond the addressable physical space');
    }
    return new PhysMap(opts);
  }

  /** Builds the map and boots it (allocates the shared zero page). Throws EngineBug on bad options. */
  constructor(opts: PhysMapOptions = {}) {
    const dramBytes = opts.dramBytes ?? 256 * MiB;
    const pmemBytes = opts.pmemBytes ?? 64 * MiB;
    const pmemStart = opts.pmemStart ?? Math.ceil(dramBytes / GiB) * GiB;
    if (dramBytes % PMD_SIZE !== 0 || dramBytes <= 0 || pmemBytes % PMD_SIZE !== 0 || pmemBytes <= 0 || pmemStart % PMD_SIZE !== 0 || pmemStart < dramBytes) {
      throw new EngineBug(`PhysMap options out of range: dram ${dramBytes}, pmem ${pmemBytes} at ${pmemStart}`);
    }
    this.dramPages = dramBytes / PAGE_SIZE;
    this.pmemPages = pmemBytes / PAGE_SIZE;
    this.pmemStartPfn = pmemStart / PAGE_SIZE;
    this.memmapMode = opts.memmapMode ?? 'ram';
    this.align = opts.align ?? PMD_SIZE;
    this.tracer = opts.tracer ?? null;
    const memory = opts.memory ?? sharedMemoryProvider();
    this.bitmap = new Uint32Array(Math.ceil(this.dramPages / 32));
    this.nrFree = this.dramPages;
    this.dram = new SparsePages(this.dramPages, memory);
    this.pages = new PageMap(this);
    const z = this.alloc_pages(0, 'zero-page');
    if (typeof z !== 'number') throw new EngineBug('no DRAM for the zero page at boot');
    this.zeroPagePfn = z;
    this.pages.setPageFlag(z, 'PG_reserved');
  }

  // ---- ranges -------------------------------------------------------------------------------

  /** Which range a pfn is in, or null for the hole between and beyond them. */
  rangeOf(pfn: number): PfnRange | null {
    if (!Number.isSafeInteger(pfn) || pfn < 0) return null;
    if (pfn < this.dramPages) return 'dram';
    if (pfn >= this.pmemStartPfn && pfn < this.pmemStartPfn + this.pmemPages) return 'pmem';
    return null;
  }

  isDramPfn(pfn: number): boolean {
    return this.rangeOf(pfn) === 'dram';
  }

  isPmemPfn(pfn: number): boolean {
    return this.rangeOf(pfn) === 'pmem';
  }

  /** Physical address of pmem device offset 0. */
  get pmemStart(): number {
    return this.pmemStartPfn * PAGE_SIZE;
  }

  /** The pfn holding pmem device offset `off`. */
  pmemOffsetToPfn(off: number): number {
    if (!Number.isSafeInteger(off) || off < 0 || off >= this.pmemPages * PAGE_SIZE) {
      throw new EngineBug(`pmem offset ${off} is outside the ${this.pmemPages}-page device`);
    }
    return this.pmemStartPfn + Math.floor(off / PAGE_SIZE);
  }

  /** The pmem device offset of a pmem pfn's first byte. */
  pfnToPmemOffset(pfn: number): number {
    if (this.rangeOf(pfn) !== 'pmem') throw new EngineBug(`pfn ${hex(pfn)} is not a pmem pfn`);
    return (pfn - this.pmemStartPfn) * PAGE_SIZE;
  }

  /** The pmem device page index of a pmem pfn. */
  pfnToPmemPage(pfn: number): number {
    return this.pfnToPmemOffset(pfn) / PAGE_SIZE;
  }

  /** What the pmem struct pages cost and where they live (see memmapCost). */
  memmap(): MemmapCost {
    const c = memmapCost(this.pmemPages * PAGE_SIZE, this.memmapMode, this.align);
    if (!(typeof c === 'object' && 'npfns' in c)) throw new EngineBug(`memmap(): ${String(c)}`);
    return c;
  }

  // ---- the DRAM page allocator --------------------------------------------------------------

  private bit(pfn: number): boolean {
    return (this.bitmap[pfn >>> 5] & (1 << (pfn & 31))) !== 0;
  }

  private setBits(pfn: number, n: number, on: boolean): void {
    for (let p = pfn; p < pfn + n; p++) {
      if (on) this.bitmap[p >>> 5] |= 1 << (p & 31);
      else this.bitmap[p >>> 5] &= ~(1 << (p & 31));
    }
  }

  private findFree(order: number): number {
    const n = 1 << order;
    if (n === 1) {
      for (let w = this.hint >>> 5; w < this.bitmap.length; w++) {
        const word = this.bitmap[w];
        if (word === FULL) continue;
        for (let b = 0; b < 32; b++) {
          const pfn = w * 32 + b;
          if (pfn >= this.dramPages) return -1;
          if ((word & (1 << b)) === 0) return pfn;
        }
      }
      return -1;
    }
    for (let start = Math.floor(this.hint / n) * n; start + n <= this.dramPages; start += n) {
      let free = true;
      for (let w = start >>> 5; w < (start + n) >>> 5; w++) {
        if (this.bitmap[w] !== 0) {
          free = false;
          break;
        }
      }
      if (free) return start;
    }
    return -1;
  }

  /**
   * Allocates 2^order naturally aligned DRAM pages, lowest free first, zero-filled, with a
   * reference count of 1 (an order-9 block becomes a compound folio). -ENOMEM when no such
   * run is free.
   * Kernel: mm/page_alloc.c alloc_pages() / folio_alloc()
   */
  alloc_pages(order: number, use: DramUse): number | KErr {
    if (order !== 0 && order !== PMD_ORDER) throw new EngineBug(`alloc_pages order ${order}: only 0 and 9 are modelled`);
    const pfn = this.findFree(order);
    if (pfn < 0) {
      return kerr('ENOMEM', `no ${order ? '2 MiB run' : 'page'} of DRAM is free for ${useText(use)} (${this.nrFree} of ${this.dramPages} pages free)`);
    }
    const n = 1 << order;
    this.setBits(pfn, n, true);
    this.nrFree -= n;
    this.allocs.set(pfn, { order, use });
    if (order === 0 && pfn === this.hint) this.hint = pfn + 1;
    for (let p = pfn; p < pfn + n; p++) this.dram.discard(p);
    const tr = this.tracer;
    if (tr && tr.on) {
      tr.emit(
        { t: 'dram', action: 'alloc', pfn, use },
        order
          ? `alloc_pages hands out 512 DRAM pages from pfn ${hex(pfn)} (2 MiB) for ${useText(use)}.`
          : `alloc_pages hands out DRAM page pfn ${hex(pfn)} for ${useText(use)}.`,
      );
    }
    if (order) this.pages.prep_compound_page(pfn, order);
    this.pages.set_page_count(pfn, 1);
    return pfn;
  }

  /**
   * Returns an allocated block to the allocator. Its struct pages are reset to the defaults
   * (a 'warn' step if the folio was still referenced or mapped: the kernel's bad-page check)
   * and its contents are forgotten.
   * Kernel: mm/page_alloc.c __free_pages() / free_pages_prepare()
   */
  free_pages(pfn: number, order: number): void {
    const a = this.allocs.get(pfn);
    BUG_ON(!a, `free_pages(${hex(pfn)}): not an allocated DRAM block`);
    BUG_ON(a!.order !== order, `free_pages(${hex(pfn)}, ${order}): the block has order ${a!.order}`);
    const n = 1 << order;
    const tr = this.tracer;
    if (tr && tr.on && (this.pages.folio_ref_count(pfn) > 1 || this.pages.folio_mapcount(pfn) > 0)) {
      tr.emit({ t: 'warn', fn: 'free_pages_prepare', cond: 'page still referenced or mapped' }, `DRAM pfn ${hex(pfn)} is freed while still referenced or mapped: the kernel would report a bad page state.`);
    }
    this.pages.resetPages(pfn, n);
    this.setBits(pfn, n, false);
    this.nrFree += n;
    this.allocs.delete(pfn);
    if (pfn < this.hint) this.hint = pfn;
    for (let p = pfn; p < pfn + n; p++) this.dram.discard(p);
    if (pfn === this.hugeZero) this.hugeZero = null;
    if (tr && tr.on) {
      tr.emit({ t: 'dram', action: 'free', pfn, use: a!.use }, n > 1 ? `The 512 DRAM pages from pfn ${hex(pfn)} (${useText(a!.use)}) go back to the page allocator.` : `DRAM page pfn ${hex(pfn)} (${useText(a!.use)}) goes back to the page allocator.`);
    }
  }

  /**
   * The huge zero folio's head pfn, allocating the 2 MiB of zeros on first use.
   * Kernel: mm/huge_memory.c mm_get_huge_zero_folio()
   */
  mm_get_huge_zero_folio(): number | KErr {
    if (this.hugeZero !== null) return this.hugeZero;
    const pfn = this.alloc_pages(PMD_ORDER, 'huge-zero-page');
    if (typeof pfn !== 'number') return pfn;
    this.hugeZero = pfn;
    return pfn;
  }

  /** Head pfn of the huge zero folio, or null before its first use. */
  get hugeZeroPfn(): number | null {
    return this.hugeZero;
  }

  /** True when pfn lies in an allocated DRAM block (head or tail). */
  isAllocated(pfn: number): boolean {
    return this.rangeOf(pfn) === 'dram' && this.bit(pfn);
  }

  /** The allocated block a DRAM pfn belongs to, or null when it is free. */
  allocationOf(pfn: number): DramAllocation | null {
    if (!this.isAllocated(pfn)) return null;
    const a = this.allocs.get(pfn);
    if (a) return { pfn, ...a };
    const head = pfn - (pfn % (1 << PMD_ORDER));
    const h = this.allocs.get(head);
    return h && h.order === PMD_ORDER ? { pfn: head, ...h } : null;
  }

  /** All allocated DRAM blocks, by pfn. */
  allocations(): DramAllocation[] {
    return [...this.allocs.entries()].sort((x, y) => x[0] - y[0]).map(([pfn, a]) => ({ pfn, ...a }));
  }

  /** Free DRAM pages. */
  get freePages(): number {
    return this.nrFree;
  }

  // ---- DRAM contents ------------------------------------------------------------------------

  private checkDram(pfn: number, off: number, len: number, what: string): void {
    if (this.rangeOf(pfn) !== 'dram') throw new EngineBug(`${what}: pfn ${hex(pfn)} is not DRAM`);
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > PAGE_SIZE) {
      throw new EngineBug(`${what}(${hex(pfn)}, ${off}, ${len}) crosses the page`);
    }
  }

  /** Bytes of a DRAM page; never-written pages read as zeros. */
  readDram(pfn: number, off = 0, len = PAGE_SIZE - off): Uint8Array {
    this.checkDram(pfn, off, len, 'readDram');
    return this.dram.read(pfn, off, len);
  }

  /** Stores bytes into a DRAM page. Writing the shared zero pages is a model bug. */
  writeDram(pfn: number, off: number, data: Uint8Array): void {
    this.checkDram(pfn, off, data.length, 'writeDram');
    const a = this.allocationOf(pfn);
    BUG_ON(a !== null && (a.use === 'zero-page' || a.use === 'huge-zero-page'), `write into the ${a?.use} at pfn ${hex(pfn)}`);
    this.dram.write(pfn, off, data);
  }

  /** True when the DRAM page holds written bytes (else it reads as zeros). */
  dramHasContent(pfn: number): boolean {
    return this.rangeOf(pfn) === 'dram' && this.dram.hasFrame(pfn);
  }

  /** The sparse DRAM content store's buffers, for a reader on another thread. */
  dramLayout(): ReturnType<SparsePages['layout']> {
    return this.dram.layout();
  }

  dramStats(): ReturnType<SparsePages['stats']> {
    return this.dram.stats();
  }
}
