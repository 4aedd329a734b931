/**
 * struct page / struct folio metadata for every pfn of the machine (DRAM and pmem), stored
 * sparsely: only pages whose fields differ from the defaults have a record.
 *
 * Conventions in this file:
 *   pfn       - page frame number (physical address >> 12); see mm/physmap.ts for the ranges.
 *   folio     - a head page and, for order 9, its 511 tail pages. Folio-wide fields (_refcount,
 *               mapping, index/share, order, entire/large mapcount) live on the head; helpers
 *               that take a pfn act on page_folio(pfn).
 *   mapcount  - reported as the number of mappings (the kernel stores it minus one: -1 = none).
 *               `mapcount` is the per-page count of PTE mappings; `entire_mapcount` counts PMD
 *               mappings of a large folio; `large_mapcount` is the folio total.
 *   share     - the DAX sharing count, which overlays `index` as in the kernel's folio: one
 *               stored value, read as share when mapping is null and the value is non-zero
 *               (modern), or when mapping holds the PAGE_MAPPING_DAX_COW sentinel (6.1, where
 *               page->index itself is the counter).
 *   default   - flags 0, no mappings, mapping null, index 0, order 0, and _refcount 0, except
 *               that a pmem page's default _refcount is the device idle count: 0 for the
 *               modern kernel, 1 for 6.1 (memmap_init_zone_device leaves fsdax pages at the
 *               count __init_single_page gave them). A free DRAM page and an idle pmem page
 *               look like this and cost no record.
 *   tail      - a pfn inside an order-9 folio other than its head. Compound folios are always
 *               naturally aligned here, so a tail's compound_head is derived from the head's
 *               order and costs no record or step of its own.
 *
 * What this model leaves out: lru lists, memcg, page_type, private data, the per-tail
 * TAIL_MAPPING poison and _deferred_list, folio orders other than 0 and 9, PG_ flags beyond the
 * few below, and the mapcount of anonymous vs file folios (both use the same counters).
 */

import { PAGE_SIZE, PMD_ORDER, PMD_SIZE, SIZEOF_STRUCT_PAGE } from '../constants';
import { BUG_ON, EngineBug, kerr, type KErr } from '../errno';
import { hex, type Json, type Tracer } from '../trace/steps';
import type { PhysMap } from './physmap';

/** The page flags the model shows, with the kernel's names. */
export const PAGE_FLAGS = ['PG_locked', 'PG_uptodate', 'PG_dirty', 'PG_writeback', 'PG_head', 'PG_reserved', 'PG_hwpoison'] as const;
export type PageFlag = (typeof PAGE_FLAGS)[number];

/** Who owns a page: an inode number, a name such as 'anon:12', or nobody. */
export type PageOwner = number | string | null;

/**
 * The 6.1 sentinel stored in page->mapping of an fsdax page that copy-on-write associated
 * with more than one file; page->index then counts the sharers.
 * Kernel (v6.1): include/linux/page-flags.h PAGE_MAPPING_DAX_COW
 */
export const PAGE_MAPPING_DAX_COW = 'PAGE_MAPPING_DAX_COW';

export type Zone = 'ZONE_NORMAL' | 'ZONE_DEVICE';
/** dev_pagemap type of a pmem page; DRAM pages have none. */
export type PgmapType = 'MEMORY_DEVICE_FS_DAX' | null;

/** Everything the model knows about one struct page, defaults filled in. */
export interface StructPage {
  pfn: number;
  range: 'dram' | 'pmem';
  zone: Zone;
  pgmap: PgmapType;
  flags: PageFlag[];
  /** the folio's _refcount (0 for a tail: tails always hold 0 in the kernel) */
  refcount: number;
  /** PTE mappings of this page (kernel _mapcount + 1) */
  mapcount: number;
  mapping: PageOwner;
  /** the raw index/share slot of the folio */
  index: number;
  /** 'share' when the slot holds a DAX sharing count (mapping null, value > 0) */
  indexMeaning: 'index' | 'share';
  /** order of the folio this page belongs to (0 or 9) */
  order: number;
  /** head pfn of the folio; equals pfn for a head or an order-0 page */
  head: number;
  /** PMD mappings of the folio (kernel _entire_mapcount + 1); on the head */
  entireMapcount: number;
  /** all mappings of a large folio (kernel _large_mapcount + 1); on the head */
  largeMapcount: number;
}

interface Rec {
  flags: number;
  refcount: number;
  mapcount: number;
  mapping: PageOwner;
  index: number;
  order: number;
  entire: number;
  large: number;
}

const FLAG_BIT: Record<PageFlag, number> = Object.fromEntries(PAGE_FLAGS.map((f, i) => [f, 1 << i])) as Record<PageFlag, number>;

function flagNames(bits: number): PageFlag[] {
  return PAGE_FLAGS.filter((f) => (bits & FLAG_BIT[f]) !== 0);
}

function isDefault(r: Rec, baseRef: number): boolean {
  return r.flags === 0 && r.refcount === baseRef && r.mapcount === 0 && r.mapping === null && r.index === 0 && r.order === 0 && r.entire === 0 && r.large === 0;
}

function ownerText(o: PageOwner): string {
  if (o === PAGE_MAPPING_DAX_COW) return 'the PAGE_MAPPING_DAX_COW sentinel (shared by several files; no single owner)';
  return o === null ? 'nothing' : typeof o === 'number' ? `inode ${o}` : o;
}

/**
 * The memmap: struct page metadata for every pfn PhysMap knows, sparse.
 * Created by PhysMap (phys.pages); it reads the tracer and the ranges from there.
 */
export class PageMap {
  private readonly recs = new Map<number, Rec>();
  /** The _refcount of an idle pmem page: 0 (modern) or 1 (6.1). See setDeviceIdleRefcount. */
  private devIdle = 0;
  /**
   * Called when a pmem folio's refcount drops to the device idle count (0 modern, 1 on 6.1):
   * the kernel wakes layout-break waiters then.
   */
  onDeviceFolioIdle: ((head: number) => void) | null = null;

  constructor(private readonly phys: PhysMap) {}

  private get tr(): Tracer | null {
    const t = this.phys.tracer;
    return t && t.on ? t : null;
  }

  private check(pfn: number, what: string): void {
    if (this.phys.rangeOf(pfn) === null) throw new EngineBug(`${what}: pfn ${hex(pfn)} is neither DRAM nor pmem`);
  }

  /** The _refcount pfn has without a record: the device idle count for pmem, else 0. */
  private baseRef(pfn: number): number {
    return this.devIdle !== 0 && this.phys.rangeOf(pfn) === 'pmem' ? this.devIdle : 0;
  }

  private rec(pfn: number): Rec {
    let r = this.recs.get(pfn);
    if (!r) {
      r = { flags: 0, refcount: this.baseRef(pfn), mapcount: 0, mapping: null, index: 0, order: 0, entire: 0, large: 0 };
      this.recs.set(pfn, r);
    }
    return r;
  }

  private settle(pfn: number, r: Rec): void {
    if (isDefault(r, this.baseRef(pfn))) this.recs.delete(pfn);
  }

  /**
   * Sets the _refcount every pmem page starts with and returns to when idle. The modern
   * kernel's ZONE_DEVICE pages are idle at 0; in 6.1 memmap_init_zone_device leaves fsdax
   * pages at 1 (only device-private and coherent pages are reset to 0), mapping them adds
   * nothing, and put_devmap_managed_page wakes waiters when a put brings a page back to 1.
   * Stored as a default, so untouched pages still cost no record. Must be called before any
   * pmem page has a record (the machine calls it once, at boot); doing it later would change
   * the meaning of existing records.
   * Kernel (v6.1): mm/page_alloc.c memmap_init_zone_device(), __init_zone_device_page()
   */
  setDeviceIdleRefcount(v: 0 | 1): void {
    if (v === this.devIdle) return;
    for (const pfn of this.recs.keys()) BUG_ON(this.phys.rangeOf(pfn) === 'pmem', `setDeviceIdleRefcount(${v}) after pmem pfn ${hex(pfn)} already has a record`);
    this.devIdle = v;
  }

  /** The _refcount of an idle pmem page (0 modern, 1 for 6.1). */
  get deviceIdleRefcount(): number {
    return this.devIdle;
  }

  private emit(pfn: number, field: string, old: Json, nu: Json, text: string): void {
    this.tr?.emit({ t: 'page', pfn, field, old, new: nu }, text);
  }

  private setNum(pfn: number, key: 'refcount' | 'mapcount' | 'index' | 'order' | 'entire' | 'large', field: string, v: number, text: (o: number) => string): void {
    const r = this.rec(pfn);
    const old = r[key];
    if (old === v) {
      this.settle(pfn, r);
      return;
    }
    r[key] = v;
    this.settle(pfn, r);
    if (this.tr) this.emit(pfn, field, old, v, text(old));
  }

  // ---- lookups ------------------------------------------------------------------------------

  /**
   * The head pfn of the folio containing pfn. Large folios are naturally aligned, so the only
   * candidate head is pfn rounded down to 512.
   * Kernel: include/linux/page-flags.h page_folio()
   */
  page_folio(pfn: number): number {
    const r = this.recs.get(pfn);
    if (r && r.order > 0) return pfn;
    const cand = pfn - (pfn % (1 << PMD_ORDER));
    if (cand !== pfn) {
      const h = this.recs.get(cand);
      if (h && h.order === PMD_ORDER) return cand;
    }
    return pfn;
  }

  /** Kernel: include/linux/mm.h folio_order() */
  folio_order(pfn: number): number {
    return this.recs.get(this.page_folio(pfn))?.order ?? 0;
  }

  /** Kernel: include/linux/page_ref.h folio_ref_count() */
  folio_ref_count(pfn: number): number {
    const head = this.page_folio(pfn);
    return this.recs.get(head)?.refcount ?? this.baseRef(head);
  }

  /** PTE mappings of this one page (kernel page_mapcount semantics, as a count). */
  page_mapcount(pfn: number): number {
    return this.recs.get(pfn)?.mapcount ?? 0;
  }

  /**
   * All mappings of the folio: for order 0 the page's mapcount, for a large folio its
   * large_mapcount (PMD mappings plus PTE mappings of any of its pages).
   * Kernel: include/linux/mm.h folio_mapcount()
   */
  folio_mapcount(pfn: number): number {
    const head = this.page_folio(pfn);
    const r = this.recs.get(head);
    if (!r) return 0;
    return r.order > 0 ? r.large : r.mapcount;
  }

  testPageFlag(pfn: number, flag: PageFlag): boolean {
    return ((this.recs.get(pfn)?.flags ?? 0) & FLAG_BIT[flag]) !== 0;
  }

  /** The folio's owner (mapping), read from the head. */
  folioMapping(pfn: number): PageOwner {
    return this.recs.get(this.page_folio(pfn))?.mapping ?? null;
  }

  /** The folio's raw index/share slot. */
  folioIndex(pfn: number): number {
    return this.recs.get(this.page_folio(pfn))?.index ?? 0;
  }

  /**
   * Whether the folio's index slot currently means a DAX share count: modern, mapping null
   * and a non-zero value; 6.1, mapping holding the PAGE_MAPPING_DAX_COW sentinel.
   */
  indexMeaning(pfn: number): 'index' | 'share' {
    const r = this.recs.get(this.page_folio(pfn));
    if (!r) return 'index';
    return (r.mapping === null && r.index > 0) || r.mapping === PAGE_MAPPING_DAX_COW ? 'share' : 'index';
  }

  /** The full struct page of pfn, defaults filled in. */
  get(pfn: number): StructPage {
    this.check(pfn, 'get');
    const range = this.phys.rangeOf(pfn)!;
    const head = this.page_folio(pfn);
    const r = this.recs.get(pfn);
    const h = this.recs.get(head);
    const isHead = head === pfn;
    return {
      pfn,
      range,
      zone: range === 'pmem' ? 'ZONE_DEVICE' : 'ZONE_NORMAL',
      pgmap: range === 'pmem' ? 'MEMORY_DEVICE_FS_DAX' : null,
      flags: flagNames(r?.flags ?? 0),
      refcount: isHead ? (r?.refcount ?? this.baseRef(pfn)) : 0,
      mapcount: r?.mapcount ?? 0,
      mapping: h?.mapping ?? null,
      index: h?.index ?? 0,
      indexMeaning: this.indexMeaning(pfn),
      order: h?.order ?? 0,
      head,
      entireMapcount: h?.entire ?? 0,
      largeMapcount: h?.large ?? 0,
    };
  }

  /** A JSON dump of one struct page, for the dump view and debugging. */
  dumpPage(pfn: number): { [k: string]: Json } {
    const p = this.get(pfn);
    return {
      pfn: p.pfn,
      pfnHex: hex(p.pfn),
      range: p.range,
      zone: p.zone,
      pgmap: p.pgmap,
      flags: p.flags,
      _refcount: p.refcount,
      mapcount: p.mapcount,
      mapping: p.mapping,
      [p.indexMeaning]: p.index,
      order: p.order,
      compound_head: p.head === p.pfn ? null : p.head,
      entire_mapcount: p.entireMapcount,
      large_mapcount: p.largeMapcount,
    };
  }

  /** Pfns whose struct page differs from the defaults, ascending (tails only if they have fields). */
  nonDefaultPages(): number[] {
    return [...this.recs.keys()].sort((a, b) => a - b);
  }

  /** Number of stored records (the sparse memmap's size). */
  get recordCount(): number {
    return this.recs.size;
  }

  // ---- flags --------------------------------------------------------------------------------

  /** Sets a PG_ flag (SetPageDirty, SetPageHWPoison, ... in the kernel). */
  setPageFlag(pfn: number, flag: PageFlag): void {
    this.check(pfn, 'setPageFlag');
    const r = this.rec(pfn);
    const old = r.flags;
    r.flags |= FLAG_BIT[flag];
    if (old !== r.flags && this.tr) this.emit(pfn, 'flags', flagNames(old), flagNames(r.flags), `${flag} is set on the struct page of pfn ${hex(pfn)}.`);
  }

  /** Clears a PG_ flag (ClearPageDirty, ... in the kernel). */
  clearPageFlag(pfn: number, flag: PageFlag): void {
    this.check(pfn, 'clearPageFlag');
    const r = this.recs.get(pfn);
    if (!r || (r.flags & FLAG_BIT[flag]) === 0) return;
    const old = r.flags;
    r.flags &= ~FLAG_BIT[flag];
    this.settle(pfn, r);
    if (this.tr) this.emit(pfn, 'flags', flagNames(old), flagNames(r.flags), `${flag} is cleared on the struct page of pfn ${hex(pfn)}.`);
  }

  // ---- reference counts ---------------------------------------------------------------------

  /**
   * Sets the folio's _refcount outright (allocation does this with 1).
   * Kernel: include/linux/page_ref.h set_page_count()
   */
  set_page_count(pfn: number, v: number): void {
    this.check(pfn, 'set_page_count');
    const head = this.page_folio(pfn);
    this.setNum(head, 'refcount', '_refcount', v, (o) => `The folio at pfn ${hex(head)} has its reference count set from ${o} to ${v}.`);
  }

  /**
   * Takes `n` references on the folio containing pfn.
   * Kernel: include/linux/page_ref.h folio_ref_add()
   */
  folio_ref_add(pfn: number, n: number, why = ''): number {
    this.check(pfn, 'folio_ref_add');
    const head = this.page_folio(pfn);
    const v = this.folio_ref_count(head) + n;
    this.setNum(head, 'refcount', '_refcount', v, (o) => `The folio at pfn ${hex(head)} gains ${n === 1 ? 'a reference' : `${n} references`} (${o} → ${v})${why ? ': ' + why : ''}.`);
    return v;
  }

  /** Kernel: include/linux/page_ref.h folio_ref_inc() */
  folio_ref_inc(pfn: number, why = ''): number {
    return this.folio_ref_add(pfn, 1, why);
  }

  /**
   * Drops one reference on the folio containing pfn and returns the new count. Dropping below
   * zero is a model bug. The caller decides what 0 means; folio_put() frees.
   * Kernel: include/linux/page_ref.h folio_ref_dec_return()
   */
  folio_ref_dec(pfn: number, why = ''): number {
    this.check(pfn, 'folio_ref_dec');
    const head = this.page_folio(pfn);
    const old = this.folio_ref_count(head);
    BUG_ON(old <= 0, `folio_ref_dec on pfn ${hex(head)} whose refcount is ${old}`);
    const v = old - 1;
    this.setNum(head, 'refcount', '_refcount', v, () => `The folio at pfn ${hex(head)} loses a reference (${old} → ${v})${why ? ': ' + why : ''}.`);
    return v;
  }

  /** Kernel: include/linux/mm.h folio_get() */
  folio_get(pfn: number, why = ''): number {
    return this.folio_ref_inc(pfn, why);
  }

  /**
   * Drops a reference; at zero a DRAM folio goes back to the page allocator. A pmem folio
   * becomes idle when the count reaches the device idle count (onDeviceFolioIdle is told, as
   * the kernel wakes layout-break waiters): 0 for the modern kernel, 1 for 6.1, where
   * put_devmap_managed_page catches the 2 → 1 transition and calls wake_up_var on _refcount.
   * A 6.1 pmem page dropping below 1 is an unbalanced put: a model bug.
   * Kernel: include/linux/mm.h folio_put(), mm/memremap.c free_zone_device_folio();
   *         v6.1: include/linux/mm.h put_devmap_managed_page(), mm/memremap.c
   *         __put_devmap_managed_page_refs()
   */
  folio_put(pfn: number, why = ''): number {
    const head = this.page_folio(pfn);
    const v = this.folio_ref_dec(head, why);
    this.afterPut(head, v);
    return v;
  }

  /** What dropping references leaves behind: a free DRAM folio at zero, an idle pmem folio at its idle count. */
  private afterPut(head: number, v: number): void {
    if (this.phys.rangeOf(head) === 'dram') {
      if (v === 0 && this.phys.isAllocated(head)) this.phys.free_pages(head, this.folio_order(head));
    } else {
      BUG_ON(v < this.devIdle, `folio_put on pmem pfn ${hex(head)} drops it to ${v}, below its idle count ${this.devIdle}`);
      if (v === this.devIdle) {
        this.tr?.emit({ t: 'note' }, `The pmem folio at pfn ${hex(head)} is idle again: its reference count is back to ${v}${v ? ' (6.1: wake_up_var on page->_refcount)' : ''}.`);
        this.onDeviceFolioIdle?.(head);
      }
    }
  }

  /**
   * Drops `n` references at once, in one atomic subtraction (unpinning drops
   * GUP_PIN_COUNTING_BIAS); at zero the folio is freed or becomes idle exactly as folio_put() does.
   * Kernel: include/linux/mm.h folio_put_refs()
   */
  folio_put_refs(pfn: number, n: number, why = ''): number {
    if (n <= 1) return this.folio_put(pfn, why);
    const head = this.page_folio(pfn);
    const old = this.folio_ref_count(head);
    BUG_ON(old < n, `folio_put_refs(${n}) on pfn ${hex(head)} whose refcount is ${old}`);
    const v = old - n;
    this.setNum(head, 'refcount', '_refcount', v, () => `The folio at pfn ${hex(head)} loses ${n} references at once (${old} → ${v})${why ? ': ' + why : ''}.`);
    this.afterPut(head, v);
    return v;
  }

  // ---- mappings (rmap) ----------------------------------------------------------------------

  /**
   * One more PTE maps this page: its mapcount grows, and for a large folio so does the
   * folio's large_mapcount.
   * Kernel: mm/rmap.c folio_add_file_rmap_pte()
   */
  folio_add_file_rmap_pte(pfn: number): void {
    this.check(pfn, 'folio_add_file_rmap_pte');
    const v = this.page_mapcount(pfn) + 1;
    this.setNum(pfn, 'mapcount', 'mapcount', v, (o) => `A page table entry now maps pfn ${hex(pfn)}: its mapcount goes from ${o} to ${v}.`);
    this.bumpLarge(pfn, +1);
  }

  /** Kernel: mm/rmap.c folio_remove_rmap_pte() */
  folio_remove_rmap_pte(pfn: number): void {
    this.check(pfn, 'folio_remove_rmap_pte');
    const o = this.page_mapcount(pfn);
    BUG_ON(o <= 0, `folio_remove_rmap_pte on pfn ${hex(pfn)} with mapcount ${o}`);
    this.setNum(pfn, 'mapcount', 'mapcount', o - 1, () => `A page table entry that mapped pfn ${hex(pfn)} is gone: its mapcount goes from ${o} to ${o - 1}.`);
    this.bumpLarge(pfn, -1);
  }

  /** An anonymous or copy-on-write page gains a PTE mapping (same counters as a file page). */
  folio_add_anon_rmap_pte(pfn: number): void {
    this.folio_add_file_rmap_pte(pfn);
  }

  /**
   * One PMD maps the whole order-9 folio: entire_mapcount and large_mapcount grow.
   * Kernel: mm/rmap.c folio_add_file_rmap_pmd()
   */
  folio_add_file_rmap_pmd(pfn: number): void {
    const head = this.page_folio(pfn);
    BUG_ON(this.folio_order(head) !== PMD_ORDER, `folio_add_file_rmap_pmd on pfn ${hex(head)}, which is not an order-9 folio`);
    const v = (this.recs.get(head)?.entire ?? 0) + 1;
    this.setNum(head, 'entire', 'entire_mapcount', v, (o) => `A PMD now maps the 2 MiB folio at pfn ${hex(head)}: entire_mapcount ${o} → ${v}.`);
    this.bumpLarge(head, +1);
  }

  /** Kernel: mm/rmap.c folio_remove_rmap_pmd() */
  folio_remove_rmap_pmd(pfn: number): void {
    const head = this.page_folio(pfn);
    const o = this.recs.get(head)?.entire ?? 0;
    BUG_ON(o <= 0, `folio_remove_rmap_pmd on pfn ${hex(head)} with entire_mapcount ${o}`);
    this.setNum(head, 'entire', 'entire_mapcount', o - 1, () => `A PMD that mapped the folio at pfn ${hex(head)} is gone: entire_mapcount ${o} → ${o - 1}.`);
    this.bumpLarge(head, -1);
  }

  private bumpLarge(pfn: number, d: number): void {
    const head = this.page_folio(pfn);
    const h = this.recs.get(head);
    if (!h || h.order === 0) return;
    const v = h.large + d;
    BUG_ON(v < 0, `large_mapcount of pfn ${hex(head)} would go negative`);
    this.setNum(head, 'large', 'large_mapcount', v, (o) => `The folio at pfn ${hex(head)} is mapped ${v} time${v === 1 ? '' : 's'} in all (was ${o}).`);
  }

  // ---- owner and index / share --------------------------------------------------------------

  /** Sets the folio's mapping (its owner), on the head. */
  setMapping(pfn: number, owner: PageOwner): void {
    this.check(pfn, 'setMapping');
    const head = this.page_folio(pfn);
    const r = this.rec(head);
    const old = r.mapping;
    if (old === owner) {
      this.settle(head, r);
      return;
    }
    r.mapping = owner;
    this.settle(head, r);
    if (this.tr) this.emit(head, 'mapping', old, owner, `The folio at pfn ${hex(head)} now belongs to ${ownerText(owner)} (was ${ownerText(old)}).`);
  }

  /** Sets the folio's index (file page offset), on the head. */
  setIndex(pfn: number, index: number): void {
    this.check(pfn, 'setIndex');
    const head = this.page_folio(pfn);
    this.setNum(head, 'index', 'index', index, (o) => `The folio at pfn ${hex(head)} now sits at file page ${index} (was ${o}).`);
  }

  /**
   * Sets the folio's DAX share count. It occupies the same slot as index, so the step's old
   * value is whatever the slot held.
   */
  setShare(pfn: number, share: number): void {
    this.check(pfn, 'setShare');
    const head = this.page_folio(pfn);
    this.setNum(head, 'index', 'share', share, (o) => `The folio at pfn ${hex(head)} is now shared by ${share} file mapping${share === 1 ? '' : 's'} (slot was ${o}).`);
  }

  /** The share count, or 0 when the slot means index. */
  folioShare(pfn: number): number {
    return this.indexMeaning(pfn) === 'share' ? this.folioIndex(pfn) : 0;
  }

  // ---- compound folios ----------------------------------------------------------------------

  /**
   * Turns 2^order naturally aligned pages starting at head into one compound folio: PG_head on
   * the head and the order recorded there; tails point at the head (derived). Only order 9 is
   * modelled. The pages must be order-0 already.
   * Kernel: mm/page_alloc.c prep_compound_page()
   */
  prep_compound_page(head: number, order: number): void {
    this.check(head, 'prep_compound_page');
    BUG_ON(order !== PMD_ORDER, `prep_compound_page order ${order}: only order 9 is modelled`);
    BUG_ON(head % (1 << order) !== 0, `prep_compound_page at pfn ${hex(head)}, which is not 2 MiB aligned`);
    BUG_ON(this.folio_order(head) !== 0, `prep_compound_page at pfn ${hex(head)}, already part of an order-${this.folio_order(head)} folio`);
    this.check(head + (1 << order) - 1, 'prep_compound_page');
    this.setPageFlag(head, 'PG_head');
    this.setNum(head, 'order', 'order', order, () => `The ${1 << order} pages from pfn ${hex(head)} become one order-${order} (2 MiB) folio headed by ${hex(head)}.`);
  }

  /**
   * Splits an order-9 folio back into 512 order-0 pages: PG_head and order go, the folio's
   * mapping and index/share are reset on the head (the kernel resets them on every page), and
   * each page is its own folio again. The folio must not be mapped.
   * Kernel: fs/dax.c dax_folio_put() (the split loop: ClearPageHead, clear_compound_head)
   */
  splitFolioToOrder0(head: number): void {
    this.check(head, 'splitFolioToOrder0');
    const r = this.recs.get(head);
    BUG_ON(!r || r.order === 0, `splitFolioToOrder0 on pfn ${hex(head)}, which is not the head of a large folio`);
    BUG_ON(r!.large !== 0 || r!.entire !== 0, `splitFolioToOrder0 on pfn ${hex(head)} while it is still mapped`);
    if (r!.refcount !== 0) this.tr?.emit({ t: 'warn', fn: 'dax_folio_put', cond: 'folio_ref_count(new_folio)' }, `The folio at pfn ${hex(head)} is split while it still holds ${r!.refcount} reference(s).`);
    this.setMapping(head, null);
    this.setNum(head, 'index', 'share', 0, (o) => `The share/index slot of pfn ${hex(head)} is reset from ${o} to 0 as the folio is split.`);
    this.setNum(head, 'order', 'order', 0, () => `The 2 MiB folio at pfn ${hex(head)} is split back into 512 order-0 pages.`);
    this.clearPageFlag(head, 'PG_head');
  }

  /**
   * Resets every field of the pages [pfn, pfn + n) to the defaults, emitting a step per field
   * that changes. Used when DRAM pages return to the allocator.
   */
  resetPages(pfn: number, n: number): void {
    for (let p = pfn; p < pfn + n; p++) {
      const r = this.recs.get(p);
      if (!r) continue;
      if (r.mapcount) this.setNum(p, 'mapcount', 'mapcount', 0, (o) => `pfn ${hex(p)} is freed: mapcount ${o} → 0.`);
      if (r.entire) this.setNum(p, 'entire', 'entire_mapcount', 0, (o) => `pfn ${hex(p)} is freed: entire_mapcount ${o} → 0.`);
      if (r.large) this.setNum(p, 'large', 'large_mapcount', 0, (o) => `pfn ${hex(p)} is freed: large_mapcount ${o} → 0.`);
      if (r.mapping !== null) this.setMapping(p, null);
      if (r.index) this.setNum(p, 'index', 'index', 0, (o) => `pfn ${hex(p)} is freed: index ${o} → 0.`);
      if (r.order) this.setNum(p, 'order', 'order', 0, () => `pfn ${hex(p)} is freed and its folio dissolved into order-0 pages.`);
      const base = this.baseRef(p);
      if (r.refcount !== base) this.setNum(p, 'refcount', '_refcount', base, (o) => `pfn ${hex(p)} is freed: _refcount ${o} → ${base}.`);
      for (const f of flagNames(r.flags)) this.clearPageFlag(p, f);
    }
  }
}

// ---- memmap cost ----------------------------------------------------------------------------

/** The 8 KiB at the start of an fsdax namespace: 4 KiB left alone, then the pfn info block. */
export const PFN_INFO_RESERVE = 8192;
/** Where nd_pfn_init writes the info block (nd_pfn_sb) inside the namespace. */
export const PFN_INFO_OFFSET = 4096;

export interface MemmapCost {
  /** pfns the memmap describes: every 4 KiB page of the namespace */
  npfns: number;
  /** 64 × npfns */
  memmapBytes: number;
  /** 'DRAM' for map=mem (PFN_MODE_RAM), 'device' for map=dev (PFN_MODE_PMEM, vmem_altmap) */
  where: 'DRAM' | 'device';
  /** bytes from the namespace start to the first data page */
  dataOffset: number;
  /** data pages after dataOffset (the npfns written in the info block) */
  dataPages: number;
  /** bytes reserved for struct pages inside the namespace (0 for map=mem) */
  reservedForMemmap: number;
  /** alignment padding between the end of the memmap (or info block) and the data */
  padBytes: number;
  align: number;
}

/**
 * What the struct pages of an fsdax namespace cost and where they go. map=mem: 64 bytes per
 * pfn of DRAM, the data starts at the first alignment boundary after the 8 KiB info area.
 * map=dev: the struct pages are carved from the namespace itself after the info area
 * (64 × npfns, npfns counted over everything after the info area, as nd_pfn_init does),
 * and the data starts at the next alignment boundary. Fails with -EINVAL on a size that is
 * not a whole number of pages or an alignment that is not a power of two of at least 4 KiB,
 * and when nothing is left for data (nd_pfn_init returns -ENXIO, "unable to satisfy requested
 * alignment"; errno.ts has no ENXIO, so this is -EINVAL whose text says so).
 * Kernel: drivers/nvdimm/pfn_devs.c nd_pfn_init()
 */
export function memmapCost(deviceBytes: number, mode: 'ram' | 'dev', align: number = PMD_SIZE): MemmapCost | KErr {
  if (!Number.isSafeInteger(deviceBytes) || deviceBytes <= 0 || deviceBytes % PAGE_SIZE !== 0) {
    return kerr('EINVAL', `a namespace size must be a positive multiple of 4 KiB, not ${deviceBytes}`);
  }
  if (!Number.isSafeInteger(align) || align < PAGE_SIZE || !Number.isInteger(Math.log2(align))) {
    return kerr('EINVAL', `the namespace alignment must be a power of two of at least 4 KiB, not ${align}`);
  }
  const npfns = deviceBytes / PAGE_SIZE;
  const alignUp = (x: number) => Math.ceil(x / align) * align;
  const initialNpfns = Math.floor((deviceBytes - PFN_INFO_RESERVE) / PAGE_SIZE);
  const reserved = mode === 'dev' ? SIZEOF_STRUCT_PAGE * initialNpfns : 0;
  const dataOffset = alignUp(PFN_INFO_RESERVE + reserved);
  if (dataOffset >= deviceBytes) {
    return kerr('EINVAL', `(the kernel says -ENXIO) a ${deviceBytes}-byte namespace cannot hold its info block${mode === 'dev' ? ' and memmap' : ''} and still start data on a ${align}-byte boundary`);
  }
  return {
    npfns,
    memmapBytes: SIZEOF_STRUCT_PAGE * npfns,
    where: mode === 'dev' ? 'device' : 'DRAM',
    dataOffset,
    dataPages: Math.floor((deviceBytes - dataOffset) / PAGE_SIZE),
    reservedForMemmap: reserved,
    padBytes: dataOffset - PFN_INFO_RESERVE - reserved,
    align,
  };
}
