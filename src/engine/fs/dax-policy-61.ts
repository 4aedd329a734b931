/**
 * Page ownership for DAX as Linux 6.1 (the Debian 12 kernel) does it.
 *
 * In 6.1 an fsdax page is a ZONE_DEVICE struct page that sits at _refcount 1 when nobody uses
 * it; page tables map it with special/devmap entries that take no reference and no mapcount,
 * so only get_user_pages pins raise the count above 1. A DAX entry is associated with struct
 * page pfn by pfn: every one of the 512 pages behind a PMD entry gets its own ->mapping and
 * ->index (there is no compound folio). Reflink support (5.19) added one twist: when a write
 * fault copies a shared block, the association is made with the `cow` flag, which stores the
 * PAGE_MAPPING_DAX_COW sentinel in ->mapping and uses ->index as a counter. The code that
 * undoes it decrements that counter with a post-decrement, so the sentinel outlives the last
 * sharer by one disassociation; this file reproduces that, and every WARN_ON_ONCE the kernel
 * would print, on purpose.
 *
 * Conventions in this file:
 *   cow      - the flag 6.1 passes to dax_associate_entry: the fault is a write (IOMAP_WRITE) to
 *              a range the filesystem reported IOMAP_F_SHARED. A read of a shared block is not
 *              cow in 6.1 and associates like any other page.
 *   counter  - page->index while ->mapping holds the sentinel (the PageMap shows it as 'share').
 *   busy     - a page of the entry with _refcount above 1: a pin, since mappings hold none.
 *   once     - WARN_ON_ONCE fires once per call site per boot; a policy lives as long as one
 *              machine (one boot), so each site reports through `warn` the first time only.
 *
 * What this model leaves out: CONFIG_FS_DAX_LIMITED (the association is always made), the
 * transient wrap of page->index to ULONG_MAX when a zero counter is decremented (the kernel
 * overwrites it with 0 on the next line, so no reader can see it), and device-dax (character
 * device) mappings.
 */
import { hex, type Json } from '../trace/steps';
import { PAGE_MAPPING_DAX_COW, type PageMap } from '../mm/page';
import { PG_PMD_NR } from '../constants';
import type { DaxOwnershipPolicy, EntryView, Warn } from './dax-policy';

export { PAGE_MAPPING_DAX_COW };

/**
 * Linux 6.1: ZONE_DEVICE refcounts idle at 1, devmap PTEs without references, per-pfn
 * association, and the PAGE_MAPPING_DAX_COW sentinel for copy-on-write pages.
 *
 * Constructing it sets the machine's pmem pages to start (and idle) at refcount 1 through
 * PageMap.setDeviceIdleRefcount, so it must be created before any pmem page is touched.
 */
export class Legacy61Ownership implements DaxOwnershipPolicy {
  readonly name = '6.1 (ZONE_DEVICE refcount idle at 1, PAGE_MAPPING_DAX_COW)';
  readonly idleRefcount = 1;
  readonly mapTakesReference = false;
  private readonly warned = new Set<string>();

  constructor(
    private readonly pages: PageMap,
    private readonly warn: Warn,
  ) {
    pages.setDeviceIdleRefcount(1);
  }

  /** WARN_ON_ONCE: report the first time this site fires on this machine, then stay quiet. */
  private warnOnce(fn: string, cond: string, text: string): void {
    const key = `${fn}\u0000${cond}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(fn, cond, text);
  }

  /** The pfns for_each_mapped_pfn() visits: none for zero/empty entries (their size is 0). */
  private mappedPfns(e: EntryView): number {
    if (e.zeroOrEmpty) return 0;
    return e.pmd ? PG_PMD_NR : 1;
  }

  /** Kernel (v6.1): fs/dax.c dax_mapping_is_cow() */
  private dax_mapping_is_cow(pfn: number): boolean {
    return this.pages.folioMapping(pfn) === PAGE_MAPPING_DAX_COW;
  }

  /**
   * Turn the page into (or keep it as) a copy-on-write page: a page that had an owner restarts
   * the counter at 1 before the increment, so it ends at 2 (the old owner and this one); a page
   * with no owner starts from whatever ->index holds, normally 0, so it ends at 1.
   * Kernel (v6.1): fs/dax.c dax_mapping_set_cow()
   */
  private dax_mapping_set_cow(pfn: number): void {
    const pg = this.pages;
    if (pg.folioMapping(pfn) !== PAGE_MAPPING_DAX_COW) {
      if (pg.folioMapping(pfn) !== null) pg.setShare(pfn, 1);
      pg.setMapping(pfn, PAGE_MAPPING_DAX_COW);
    }
    pg.setShare(pfn, pg.folioIndex(pfn) + 1);
  }

  isShared(pfn: number): boolean {
    return this.dax_mapping_is_cow(pfn);
  }

  /**
   * Record the entry's owner in struct page, pfn by pfn. With `cow` (a write fault to a shared
   * extent; in 6.1 this names the newly allocated copy-on-write block) each page gets the
   * sentinel and its counter bumped. Otherwise each page gets ->mapping and ->index = index + i;
   * a page that already has an owner triggers WARN_ON_ONCE and is simply overwritten, which is
   * what happens when a second file read-faults a reflinked block.
   * @param e       the entry being inserted
   * @param mapping the inode whose XArray takes the entry
   * @param index   the file page of the entry's first page
   * @param cow     6.1's flag: IOMAP_WRITE and IOMAP_F_SHARED (dax_fault_is_cow)
   * Kernel (v6.1): fs/dax.c dax_associate_entry()
   */
  dax_associate_entry(e: EntryView, mapping: number, index: number, cow: boolean): void {
    const n = this.mappedPfns(e);
    const pg = this.pages;
    let i = 0;
    for (let pfn = e.pfn; pfn < e.pfn + n; pfn++) {
      if (cow) {
        this.dax_mapping_set_cow(pfn);
      } else {
        if (pg.folioMapping(pfn) !== null)
          this.warnOnce('dax_associate_entry', 'page->mapping', `pfn ${hex(pfn)} already names ${String(pg.folioMapping(pfn))} in ->mapping; 6.1 overwrites it with inode ${mapping}.`);
        pg.setMapping(pfn, mapping);
        pg.setIndex(pfn, index + i++);
      }
    }
  }

  /**
   * Undo the association, pfn by pfn. A copy-on-write page keeps the sentinel while the
   * post-decremented counter was above 0 (so a counter of 1 becomes 0 and the page stays
   * marked); only a page found with counter 0 is cleared. Other pages warn if another inode
   * owns them, then lose ->mapping and ->index. A truncate that finds a pinned page warns too.
   * @param e       the entry leaving the XArray
   * @param mapping the inode it leaves
   * @param trunc   true from truncate/hole punch (dax_delete_mapping_entry)
   * Kernel (v6.1): fs/dax.c dax_disassociate_entry()
   */
  dax_disassociate_entry(e: EntryView, mapping: number, trunc: boolean): void {
    const n = this.mappedPfns(e);
    const pg = this.pages;
    for (let pfn = e.pfn; pfn < e.pfn + n; pfn++) {
      if (trunc && pg.folio_ref_count(pfn) > 1)
        this.warnOnce('dax_disassociate_entry', 'trunc && page_ref_count(page) > 1', `Truncate removes the entry of pfn ${hex(pfn)} while it still holds ${pg.folio_ref_count(pfn)} references: a pin (DMA) may still reach a block that is about to be freed.`);
      if (this.dax_mapping_is_cow(pfn)) {
        const old = pg.folioIndex(pfn);
        if (old > 0) {
          // page->index-- > 0: the sentinel stays even when the counter has just reached 0.
          pg.setShare(pfn, old - 1);
          continue;
        }
      } else if (pg.folioMapping(pfn) !== null && pg.folioMapping(pfn) !== mapping) {
        this.warnOnce('dax_disassociate_entry', 'page->mapping && page->mapping != mapping', `pfn ${hex(pfn)} names ${String(pg.folioMapping(pfn))} in ->mapping, but inode ${mapping} is removing its entry.`);
      }
      pg.setMapping(pfn, null);
      pg.setIndex(pfn, 0);
    }
  }

  /**
   * The first page of the entry whose _refcount is above 1. Mappings hold no reference in
   * 6.1, so this is a get_user_pages pin; each of the 512 pages of a PMD entry is checked.
   * Kernel (v6.1): fs/dax.c dax_busy_page()
   */
  dax_busy_page(e: EntryView): number | null {
    const n = this.mappedPfns(e);
    for (let pfn = e.pfn; pfn < e.pfn + n; pfn++) if (this.pages.folio_ref_count(pfn) > 1) return pfn;
    return null;
  }

  /**
   * What struct page says about the owner: the inode and index, the sentinel with its counter,
   * or nothing. 6.1's generic memory-failure path (used only when the filesystem's holder
   * callback answers -EOPNOTSUPP) would follow ->mapping as a pointer even when it holds the
   * sentinel.
   */
  pageOwner(pfn: number): Json {
    const m = this.pages.folioMapping(pfn);
    const i = this.pages.folioIndex(pfn);
    if (m === PAGE_MAPPING_DAX_COW) return { cow: i };
    return m === null ? null : { mapping: m, index: i };
  }
}
