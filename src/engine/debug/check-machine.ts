/**
 * Invariants across the whole machine, reported as data.
 *
 * Each layer checks itself (checkXArray, checkFilesystem); this file checks that the layers
 * agree with each other: XArray entries with extents, PTEs with entries, struct page fields
 * with the mappings that exist.
 *
 * Conventions in this file:
 *   boundary - checks run between operations (and between the steps of tasks that sleep): in
 *              the middle of one kernel function the layers are legitimately out of step, as
 *              they are in the kernel under its locks.
 *
 *   6.1      - the rules for kernels whose DAX mappings hold no references (devmap PTEs):
 *              _refcount = 1 + 1024 x pins, mapcount 0, ->mapping per pfn or the
 *              PAGE_MAPPING_DAX_COW sentinel. KERNEL_61_EXPLAINED_RULES lists those 6.1 itself
 *              breaks (docs/kernel-6.1.md section 7 says how and where).
 *
 * What this model leaves out: nothing is skipped for the modern model. On the 6.1 model the
 * kernel itself breaks some of these (docs/kernel-6.1.md lists which and why).
 */
import { PAGE_SIZE, PG_PMD_NR } from '../constants';
import { hex } from '../trace/steps';
import { xa_for_each, xa_get_mark } from '../lib/xarray';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE } from '../lib/pagecache-tags';
import { PAGE_MAPPING_DAX_COW } from '../mm/page';
import type { KernelVersion } from '../version';
import { checkXArray } from './check-xarray';
import type { Violation } from './violation';
import type { Machine } from '../machine';
import { dax_entry_order, dax_is_empty_entry, dax_is_locked, dax_is_zero_entry, dax_to_pfn } from '../fs/dax-entry';
import { linear_page_index } from '../mm/mm';

/**
 * Rules whose violations the modelled kernel itself produces (documented in
 * docs/kernel-findings.md); property tests of the modern model tolerate exactly these.
 */
export const KERNEL_EXPLAINED_RULES: readonly string[] = ['page.share-stale'];

/**
 * Rules the 6.1 model breaks because v6.1 breaks them (docs/kernel-6.1.md section 7 gives, for
 * each, the scenario and the kernel file:function responsible). Property tests of the 6.1 model
 * tolerate exactly these; any other violation on 6.1 is a model bug.
 */
export const KERNEL_61_EXPLAINED_RULES: readonly string[] = [
  'pte.stale',
  'dax.entry-vs-extent',
  'blk.free-and-mapped',
  'pin.free-block',
  'page.mapping',
  'page.cow-private',
  'page.cow-orphan',
  'dax.zero-entry-dirty',
];

/** The rules a kernel version's model may break on purpose. */
export function explainedRules(version: KernelVersion): readonly string[] {
  return version === '6.1' ? KERNEL_61_EXPLAINED_RULES : KERNEL_EXPLAINED_RULES;
}

export function checkMachine(m: Machine): Violation[] {
  const out: Violation[] = [];
  const v = (rule: string, where: string, message: string) => out.push({ rule, where, message });
  const sleeping = m.pending.length > 0;

  // The filesystem's own structures.
  out.push(...m.fs.check());

  // Per file: XArray structure, entries against extents, nrpages.
  const expectRefs = new Map<number, number>(); // pfn (folio head) → references explained
  const expectMap = new Map<number, number>(); // pfn → PTE mapcount
  const owners = new Map<number, { ino: number; index: number }[]>(); // pmem folio head → owning entries
  const legacy = !m.policy.mapTakesReference; // 6.1: devmap PTEs, per-pfn ownership
  const holders61 = new Map<number, { ino: number; index: number }[]>(); // 6.1: pfn → (inode, file page) holding it
  for (const [ino, mapping] of m.mappings) {
    for (const x of checkXArray(mapping.i_pages)) out.push({ ...x, where: `i_pages of inode ${ino}: ${x.where}` });
    let nr = 0;
    const dax = m.fs.isDax(ino);
    for (const [index, e] of xa_for_each(mapping.i_pages)) {
      if (typeof e !== 'number') {
        nr += 1;
        if (dax) v('dax.non-value-entry', `inode ${ino} index ${index}`, 'A DAX file\'s XArray holds a page pointer.');
        continue;
      }
      const order = dax_entry_order(e);
      nr += 1 << order;
      if (index % (1 << order) !== 0) v('dax.entry-alignment', `inode ${ino} index ${index}`, 'A PMD entry does not start on a 512-page boundary.');
      if (dax_is_locked(e) && !sleeping) v('dax.entry-locked', `inode ${ino} index ${index}`, 'An entry is still locked although no task is in the middle of an operation.');
      if (legacy && dax_is_zero_entry(e)) {
        const marks = [xa_get_mark(mapping.i_pages, index, PAGECACHE_TAG_DIRTY) === true ? 'DIRTY' : '', xa_get_mark(mapping.i_pages, index, PAGECACHE_TAG_TOWRITE) === true ? 'TOWRITE' : ''].filter(Boolean);
        if (marks.length)
          v('dax.zero-entry-dirty', `inode ${ino} index ${index}`, `A zero-page entry is tagged ${marks.join(' and ')}: there is no data to write back (6.1 tags every faulted entry DIRTY).`);
      }
      if (dax_is_zero_entry(e) || dax_is_empty_entry(e)) continue;
      const pfn = dax_to_pfn(e);
      if (legacy)
        for (let i = 0; i < 1 << order; i++) {
          const l = holders61.get(pfn + i) ?? [];
          l.push({ ino, index: index + i });
          holders61.set(pfn + i, l);
        }
      // The entry's pfn must be the block the data fork maps at that index.
      for (let i = 0; i < 1 << order; i += order ? 511 : 1) {
        const dev = m.fs.devOffsetOf(ino, (index + i) * PAGE_SIZE);
        const want = dev === null ? null : m.phys.pmemOffsetToPfn(dev);
        if (want !== pfn + i && !sleeping)
          v('dax.entry-vs-extent', `inode ${ino} index ${index + i}`, `The DAX entry maps pfn ${hex(pfn + i)} but the file's extent says ${want === null ? 'hole' : hex(want)}.`);
      }
      const list = owners.get(pfn) ?? [];
      list.push({ ino, index });
      owners.set(pfn, list);
    }
    if (nr !== mapping.nrpages) v('mapping.nrpages', `inode ${ino}`, `nrpages is ${mapping.nrpages} but the entries cover ${nr} pages.`);
  }

  // Page tables: every leaf maps a live page, and file leaves map the file's current page.
  for (const leaf of m.as.allLeaves()) {
    const where = `${leaf.mm.name} ${hex(leaf.addr)}`;
    const pfn = leaf.pte.pfn;
    const zero = pfn === m.phys.zeroPagePfn || pfn === m.phys.hugeZeroPfn;
    if (!zero) {
      if (m.phys.isDramPfn(pfn) && !m.phys.isAllocated(pfn)) v('pte.free-dram', where, `The entry maps DRAM pfn ${hex(pfn)}, which is free.`);
      if (!m.phys.isDramPfn(pfn) && !m.phys.isPmemPfn(pfn)) v('pte.bad-pfn', where, `The entry maps pfn ${hex(pfn)}, which is neither DRAM nor pmem.`);
    }
    if (leaf.pte.special && !zero && m.policy.mapTakesReference) v('pte.special-data', where, 'A DAX data page is mapped with a special PTE on a kernel that counts references.');
    if (legacy && !leaf.pte.special && !leaf.pte.anon && m.phys.isPmemPfn(pfn))
      v('pte.devmap', where, `pmem pfn ${hex(pfn)} is mapped with a normal ${leaf.level === 'pmd' ? 'PMD' : 'PTE'}; 6.1 maps DAX pages only with devmap (special) entries that take no reference.`);
    if (!leaf.pte.special) {
      const head = m.pages.page_folio(pfn);
      expectRefs.set(head, (expectRefs.get(head) ?? 0) + 1);
      if (leaf.level === 'pte') expectMap.set(pfn, (expectMap.get(pfn) ?? 0) + 1);
    }
    const vma = m.as.find_vma(leaf.mm, leaf.addr);
    if (!vma) {
      v('pte.outside-vma', where, 'A page-table entry exists outside every VMA.');
      continue;
    }
    if (leaf.pte.write && !(vma.flags & 2)) v('pte.write-without-vm-write', where, 'A writable entry in a VMA without write permission.');
    if (vma.ino !== null && !leaf.pte.anon && m.fs.isDax(vma.ino) && !sleeping) {
      // No process can reach another file's data, or freed blocks, through a stale mapping.
      const pgoff = linear_page_index(vma, leaf.addr);
      const n = leaf.level === 'pmd' ? PG_PMD_NR : 1;
      for (let i = 0; i < n; i += leaf.level === 'pmd' ? 511 : 1) {
        const dev = m.fs.devOffsetOf(vma.ino, (pgoff + i) * PAGE_SIZE);
        const mapped = pfn + i;
        if (zero) {
          if (dev !== null && !m.fs.isUnwrittenAt(vma.ino, (pgoff + i) * PAGE_SIZE))
            v('pte.stale-zero', where, `The zero page is mapped at file page ${pgoff + i}, which now has data.`);
        } else if (dev === null || m.phys.pmemOffsetToPfn(dev) !== mapped) {
          v('pte.stale', where, `The entry maps pfn ${hex(mapped)} but file page ${pgoff + i} of inode ${vma.ino} is ${dev === null ? 'a hole' : 'at ' + hex(m.phys.pmemOffsetToPfn(dev))}.`);
        }
      }
    }
  }

  // Pins explain references too.
  for (const p of m.pins.values())
    for (const pfn of p.pfns) {
      const head = m.pages.page_folio(pfn);
      expectRefs.set(head, (expectRefs.get(head) ?? 0) + (m.pages.folio_order(pfn) > 0 ? 1 : 1024));
    }

  // struct page: reference counts and mapcounts equal what exists (modern rules).
  if (m.policy.mapTakesReference) {
    for (const pfn of m.pages.nonDefaultPages()) {
      if (!m.phys.isPmemPfn(pfn)) continue;
      const p = m.pages.get(pfn);
      if (p.head !== pfn) continue;
      const want = expectRefs.get(pfn) ?? 0;
      if (p.refcount !== want) v('page.refcount', `pfn ${hex(pfn)}`, `_refcount is ${p.refcount} but ${want} reference(s) exist (mappings and pins).`);
    }
    for (const [head, want] of expectRefs) {
      if (!m.phys.isPmemPfn(head)) continue;
      if (m.pages.folio_ref_count(head) !== want) {
        if (!out.some((x) => x.rule === 'page.refcount' && x.where === `pfn ${hex(head)}`))
          v('page.refcount', `pfn ${hex(head)}`, `_refcount is ${m.pages.folio_ref_count(head)} but ${want} reference(s) exist.`);
      }
    }
    for (const [pfn, want] of expectMap) {
      if (m.pages.page_mapcount(pfn) !== want) v('page.mapcount', `pfn ${hex(pfn)}`, `mapcount is ${m.pages.page_mapcount(pfn)} but ${want} PTE(s) map it.`);
    }
    // Ownership: one owner → mapping/index name it; several → mapping null and share = count.
    for (const [pfn, list] of owners) {
      const mapping = m.pages.folioMapping(pfn);
      const index = m.pages.folioIndex(pfn);
      if (list.length === 1) {
        const o = list[0];
        const shared = mapping === null && index > 0;
        if (shared) {
          if (index !== 1) v('page.share-stale', `pfn ${hex(pfn)}`, `->share is ${index} but only inode ${o.ino} has the page in its XArray (a stale ->index read as ->share; see docs/kernel-findings.md).`);
        } else if (mapping !== o.ino || index !== o.index)
          v('page.mapping', `pfn ${hex(pfn)}`, `->mapping/->index say ${String(mapping)}/${index} but inode ${o.ino} holds it at index ${o.index}.`);
      } else {
        if (mapping !== null) v('page.mapping-shared', `pfn ${hex(pfn)}`, `${list.length} files hold this page but ->mapping still names inode ${String(mapping)}.`);
        if (index < list.length) v('page.share', `pfn ${hex(pfn)}`, `->share is ${index} but ${list.length} files hold this page: the last disassociation would clear it too early.`);
        else if (index > list.length) v('page.share-stale', `pfn ${hex(pfn)}`, `->share is ${index} but ${list.length} files hold this page (a stale ->index counted as ->share; see docs/kernel-findings.md).`);
      }
    }
    // A page with an owner recorded must be held by some XArray.
    for (const pfn of m.pages.nonDefaultPages()) {
      if (!m.phys.isPmemPfn(pfn) || m.pages.page_folio(pfn) !== pfn) continue;
      const mapping = m.pages.folioMapping(pfn);
      if (mapping !== null && !owners.has(pfn)) v('page.orphan-mapping', `pfn ${hex(pfn)}`, `->mapping names inode ${String(mapping)} but no XArray holds the page.`);
      if (m.pages.folio_order(pfn) > 0 && !owners.has(pfn)) v('page.orphan-folio', `pfn ${hex(pfn)}`, 'An order-9 folio exists but no PMD entry holds it.');
    }
  }
  if (legacy) check61Pages(m, holders61, v);
  // Every pmem page in an entry lies on a block the filesystem has allocated.
  for (const pfn of owners.keys()) {
    const dev = m.phys.pfnToPmemOffset(pfn);
    if (m.fs.isFreeDevOffset(dev) && !sleeping) v('blk.free-and-mapped', `pfn ${hex(pfn)}`, 'A DAX entry holds a block that the filesystem has freed.');
  }
  return out;
}

/**
 * 6.1's struct page rules. Mappings take no reference and no mapcount, so every pmem page sits
 * at _refcount 1 plus GUP_PIN_COUNTING_BIAS per pin of that very page (a pin through a PMD pins
 * one order-0 page). Ownership is per pfn: a page one XArray holds names that inode and file
 * page in ->mapping/->index; a copy-on-write page holds the PAGE_MAPPING_DAX_COW sentinel.
 * Kernel (v6.1): mm/page_alloc.c __init_zone_device_page(), include/linux/mm.h
 * put_devmap_managed_page(), mm/gup.c try_grab_page(), fs/dax.c dax_associate_entry()
 */
function check61Pages(m: Machine, holders: Map<number, { ino: number; index: number }[]>, v: (rule: string, where: string, message: string) => void): void {
  const pins = new Map<number, number>();
  for (const p of m.pins.values())
    for (const pfn of p.pfns) {
      if (!m.phys.isPmemPfn(pfn)) continue;
      pins.set(pfn, (pins.get(pfn) ?? 0) + 1);
      const dev = m.phys.pfnToPmemOffset(pfn);
      if (m.fs.isFreeDevOffset(dev)) v('pin.free-block', `pfn ${hex(pfn)}`, `Pin "${p.label}" still holds pfn ${hex(pfn)}, whose block the filesystem has freed: DMA may still reach it after it is reused.`);
    }
  const seen = new Set<number>([...m.pages.nonDefaultPages(), ...pins.keys()]);
  for (const pfn of [...seen].sort((a, b) => a - b)) {
    if (!m.phys.isPmemPfn(pfn)) continue;
    const p = m.pages.get(pfn);
    const want = 1 + 1024 * (pins.get(pfn) ?? 0);
    if (p.refcount !== want) v('page.refcount', `pfn ${hex(pfn)}`, `_refcount is ${p.refcount} but 6.1 expects ${want} (1 + 1024 x ${pins.get(pfn) ?? 0} pin(s)); mappings hold none.`);
    if (p.mapcount !== 0) v('page.mapcount', `pfn ${hex(pfn)}`, `mapcount is ${p.mapcount}, but 6.1 never counts DAX mappings.`);
    if (p.order !== 0) v('page.order', `pfn ${hex(pfn)}`, `The page is part of an order-${p.order} folio; 6.1 never makes compound fsdax folios.`);
    const list = holders.get(pfn);
    const mapping = m.pages.folioMapping(pfn);
    if (!list) {
      if (mapping === PAGE_MAPPING_DAX_COW) v('page.cow-orphan', `pfn ${hex(pfn)}`, `->mapping holds PAGE_MAPPING_DAX_COW (counter ${m.pages.folioIndex(pfn)}) but no XArray holds the page: the post-decrement left the sentinel behind.`);
      else if (mapping !== null) v('page.orphan-mapping', `pfn ${hex(pfn)}`, `->mapping names inode ${String(mapping)} but no XArray holds the page.`);
      continue;
    }
    if (mapping === PAGE_MAPPING_DAX_COW) {
      if (list.length === 1) v('page.cow-private', `pfn ${hex(pfn)}`, `Only inode ${list[0].ino} holds the page, yet ->mapping holds the PAGE_MAPPING_DAX_COW sentinel (counter ${m.pages.folioIndex(pfn)}).`);
      continue;
    }
    const index = m.pages.folioIndex(pfn);
    if (list.length === 1) {
      const o = list[0];
      if (mapping !== o.ino || index !== o.index) v('page.mapping', `pfn ${hex(pfn)}`, `->mapping/->index say ${String(mapping)}/${index} but inode ${o.ino} holds it at index ${o.index}.`);
    } else {
      v('page.mapping', `pfn ${hex(pfn)}`, `${list.length} XArrays hold this page (inodes ${list.map((o) => o.ino).join(', ')}) but ->mapping is ${mapping === null ? 'NULL' : `inode ${String(mapping)}`}, neither a single owner nor the copy-on-write sentinel.`);
    }
  }
}
