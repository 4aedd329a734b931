/**
 * What the device panel must show, computed from the engine's own objects (for tests and e2e specs
 * only; the app never calls it). It shares no code with the replay (machine-view.ts) or the folding
 * (layout.ts) except the list of states, so comparing the two checks both.
 *
 * Conventions in this file: as in layout.ts (space, region, k); one character per cell, the index
 * of its most interesting state in STATES, '-' for cells past the end of the space.
 */
import { locatePage } from '../../engine/drivers/pmem';
import type { Machine } from '../../engine/machine';
import type { Json } from '../../engine/trace/steps';
import { STATES, type PageState, type Region, type Space } from './layout';

const BIT = Object.fromEntries(STATES.map((s, i) => [s, 1 << i])) as Record<PageState, number>;

/** The state mask of every page of `space`, from the engine. */
export function enginePageMasks(m: Machine, space: Space): Uint16Array {
  const dram = space === 'dram';
  const n = dram ? m.phys.dramPages : m.phys.pmemPages;
  const start = dram ? 0 : m.phys.pmemStartPfn;
  const masks = new Uint16Array(n);
  const flagsOf = (pfn: number) => (m.pages.nonDefaultPages().includes(pfn) ? (m.pages.dumpPage(pfn).flags as string[]) : []);
  if (!dram) {
    masks.fill(BIT.allocated);
    for (const r of m.fs.mp.free) for (let b = r.start; b < r.start + r.len; b++) masks[b] = 0;
    const layout = m.pmem.layout();
    for (const p of m.pmem.writtenPageList()) if (locatePage(layout, p).media) masks[p] |= BIT.durable;
    for (const [b, c] of m.fs.mp.refcount) if (c > 1) masks[b] |= BIT.shared;
    for (const p of m.pmem.dirtyPages()) masks[p] |= BIT.dirty;
    for (const p of m.pmem.poisonedPages()) masks[p] |= BIT.poisoned;
  } else {
    for (const a of m.phys.allocations()) {
      const zero = a.use === 'zero-page' || a.use === 'huge-zero-page';
      for (let p = a.pfn; p < a.pfn + 2 ** a.order; p++) masks[p] |= BIT.allocated | (zero ? BIT.zero : 0);
    }
    if (m.phys.zeroPagePfn >= 0) masks[m.phys.zeroPagePfn] |= BIT.zero;
  }
  for (const l of m.as.allLeaves()) {
    if (!l.pte.present) continue;
    const len = l.level === 'pmd' ? 512 : 1;
    for (let i = 0; i < len; i++) {
      const p = l.pte.pfn + i - start;
      if (p >= 0 && p < n) masks[p] |= BIT.mapped;
    }
  }
  for (const pfn of m.pages.nonDefaultPages()) {
    const p = pfn - start;
    if (p < 0 || p >= n) continue;
    const flags = flagsOf(pfn);
    if (flags.includes('PG_hwpoison')) masks[p] |= BIT.poisoned;
    if (dram && flags.includes('PG_dirty')) masks[p] |= BIT.dirty;
  }
  return masks;
}

/** The cell string for `region` folded 2^k pages per cell, from the engine. */
export function engineCells(m: Machine, space: Space, region: Region, k: number): string {
  const masks = enginePageMasks(m, space);
  const per = 2 ** k;
  let out = '';
  for (let c = 0; c < region.size / per; c++) {
    const first = region.start + c * per;
    if (first >= masks.length) {
      out += '-';
      continue;
    }
    let mask = 0;
    for (let p = first; p < Math.min(first + per, masks.length); p++) mask |= masks[p];
    out += mask === 0 ? '0' : String(31 - Math.clz32(mask));
  }
  return out;
}

/** Every struct page that differs from the defaults, as the struct page panel lists its fields. */
export function engineStructPages(m: Machine): Map<number, { [k: string]: Json }> {
  const out = new Map<number, { [k: string]: Json }>();
  for (const pfn of m.pages.nonDefaultPages()) {
    const { pfnHex: _h, range: _r, zone: _z, pgmap: _g, ...rec } = m.pages.dumpPage(pfn);
    out.set(pfn, rec);
  }
  return out;
}
