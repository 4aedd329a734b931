/**
 * Page ownership for DAX: who a pmem page belongs to, and how references are counted.
 *
 * This is the one place where kernel generations (and, later, the proposals debated on the
 * mailing lists: page proxy, PFN entries in the page cache, a mapping argument for callbacks)
 * differ in how struct page describes a DAX page. fs/dax.c calls it at four moments:
 *   - dax_associate_entry / dax_disassociate_entry when an entry enters or leaves a file's XArray,
 *   - when a PTE/PMD is installed or zapped (the page reference and mapcount, or none),
 *   - dax_busy_page when truncate asks whether someone still holds the page,
 *   - memory failure, when it asks whose page this is.
 *
 * Conventions in this file:
 *   folio   - the struct page (or the order-9 compound head) the entry's pfn names.
 *   share   - the count of files sharing a reflinked page (overlays ->index in the modern kernel).
 *   idle    - no reference is held that page tables do not explain.
 *
 * What this model leaves out: the memory barriers and the RCU that protect ->mapping readers.
 */
import type { Json } from '../trace/steps';
import type { PageMap } from '../mm/page';

export interface Warn {
  (fn: string, cond: string, text: string): void;
}

export interface EntryView {
  pfn: number;
  pmd: boolean;
  zeroOrEmpty: boolean;
}

/** What a kernel generation does with struct page for DAX. */
export interface DaxOwnershipPolicy {
  readonly name: string;
  /** A page is idle when its refcount is this (modern 0, legacy 1). */
  readonly idleRefcount: number;
  /** Does installing a PTE/PMD take a page reference and a mapcount (modern) or not (legacy devmap)? */
  readonly mapTakesReference: boolean;
  dax_associate_entry(e: EntryView, mapping: number, index: number, shared: boolean): void;
  dax_disassociate_entry(e: EntryView, mapping: number, trunc: boolean): void;
  /** The pfn that makes this entry busy (an unexplained reference), or null. */
  dax_busy_page(e: EntryView): number | null;
  /** Describe the owner the struct page names, for memory failure without a holder. */
  pageOwner(pfn: number): Json;
  /** Is the page shared between files according to struct page? */
  isShared(pfn: number): boolean;
}

/**
 * Linux 6.15 and later: folio refcounts (idle 0, each mapping holds a reference and a mapcount),
 * a PMD association turns the 512 pages into one order-9 folio, and a shared page has
 * mapping = NULL with ->share counting the files.
 */
export class ModernOwnership implements DaxOwnershipPolicy {
  readonly name = 'modern (6.15+ folio refcounts)';
  readonly idleRefcount = 0;
  readonly mapTakesReference = true;
  constructor(
    private readonly pages: PageMap,
    private readonly warn: Warn,
  ) {}

  /** Kernel: fs/dax.c dax_folio_is_shared() */
  private dax_folio_is_shared(pfn: number): boolean {
    return this.pages.folioMapping(pfn) === null && this.pages.folioIndex(pfn) > 0;
  }

  isShared(pfn: number): boolean {
    return this.dax_folio_is_shared(pfn);
  }

  /** Kernel: fs/dax.c dax_folio_init() */
  private dax_folio_init(e: EntryView): void {
    if (this.pages.folio_order(e.pfn) !== 0)
      this.warn('dax_folio_init', 'folio_order(folio)', 'The folio was not split back to order-0 pages when its last mapping went away.');
    if (e.pmd) {
      this.pages.prep_compound_page(e.pfn, 9);
      if (this.pages.folio_ref_count(e.pfn) !== 0) this.warn('dax_folio_init', 'folio_ref_count(folio)', 'A new compound DAX folio should start with no references.');
    }
  }

  /** Kernel: fs/dax.c dax_associate_entry() */
  dax_associate_entry(e: EntryView, mapping: number, index: number, shared: boolean): void {
    if (e.zeroOrEmpty) return;
    const pfn = e.pfn;
    const pg = this.pages;
    if (shared && (pg.folioMapping(pfn) !== null || this.dax_folio_is_shared(pfn))) {
      if (pg.folioMapping(pfn) !== null) {
        // dax_folio_make_shared: no single owner any more; ->share starts at 1.
        pg.setMapping(pfn, null);
        pg.setShare(pfn, 1);
      }
      const share = pg.folioIndex(pfn);
      if (!share) this.warn('dax_associate_entry', '!folio->share', 'A shared folio must have a share count.');
      if ((e.pmd ? 9 : 0) !== pg.folio_order(pfn)) this.warn('dax_associate_entry', 'dax_entry_order(entry) != folio_order(folio)', 'The entry and the folio disagree on the size of the page.');
      pg.setShare(pfn, share + 1);
    } else {
      if (pg.folioMapping(pfn) !== null) this.warn('dax_associate_entry', 'folio->mapping', 'The folio is already owned by another mapping.');
      this.dax_folio_init(e);
      pg.setMapping(pfn, mapping);
      pg.setIndex(pfn, index);
    }
  }

  /** Kernel: fs/dax.c dax_disassociate_entry() and dax_folio_put() */
  dax_disassociate_entry(e: EntryView, _mapping: number, _trunc: boolean): void {
    if (e.zeroOrEmpty) return;
    const pfn = e.pfn;
    const pg = this.pages;
    if (this.dax_folio_is_shared(pfn)) {
      const left = pg.folioIndex(pfn) - 1;
      pg.setShare(pfn, left);
      if (left > 0) return;
    }
    pg.setMapping(pfn, null);
    // Model note: like the kernel, an order-0 page keeps its stale ->index here.
    if (pg.folio_order(pfn) === 0) return;
    pg.splitFolioToOrder0(pg.page_folio(pfn));
  }

  /** Kernel: fs/dax.c dax_busy_page() */
  dax_busy_page(e: EntryView): number | null {
    if (e.zeroOrEmpty) return null;
    return this.pages.folio_ref_count(e.pfn) - this.pages.folio_mapcount(e.pfn) !== 0 ? e.pfn : null;
  }

  pageOwner(pfn: number): Json {
    const m = this.pages.folioMapping(pfn);
    const i = this.pages.folioIndex(pfn);
    if (m === null && i > 0) return { shared: i };
    return m === null ? null : { mapping: m, index: i };
  }
}
