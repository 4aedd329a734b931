import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MiB, PG_PMD_NR } from '../constants';
import { EngineBug } from '../errno';
import { Tracer, type Step } from '../trace/steps';
import { plainMemoryProvider } from '../mm/memory';
import { PhysMap } from '../mm/physmap';
import type { PageMap } from '../mm/page';
import { Legacy61Ownership, PAGE_MAPPING_DAX_COW } from './dax-policy-61';
import type { EntryView } from './dax-policy';

const INO_A = 131;
const INO_B = 132;

interface Rig {
  phys: PhysMap;
  pages: PageMap;
  policy: Legacy61Ownership;
  warnings: { fn: string; cond: string }[];
  /** first pmem pfn, 2 MiB aligned */
  base: number;
  tracer: Tracer | null;
}

function rig(trace = false): Rig {
  const tracer = trace ? new Tracer(true) : null;
  const phys = new PhysMap({ memory: plainMemoryProvider(), tracer, pmemBytes: 8 * MiB });
  const warnings: { fn: string; cond: string }[] = [];
  const policy = new Legacy61Ownership(phys.pages, (fn, cond) => warnings.push({ fn, cond }));
  let base = phys.pmemOffsetToPfn(0);
  base += (PG_PMD_NR - (base % PG_PMD_NR)) % PG_PMD_NR;
  return { phys, pages: phys.pages, policy, warnings, base, tracer };
}

const pte = (pfn: number): EntryView => ({ pfn, pmd: false, zeroOrEmpty: false });
const pmd = (pfn: number): EntryView => ({ pfn, pmd: true, zeroOrEmpty: false });
const GUP_PIN_COUNTING_BIAS = 1024;

describe('Legacy61Ownership: refcounts', () => {
  it('pmem pages start at refcount 1 without a record; DRAM pages still start at 0', () => {
    const { pages, base } = rig();
    expect(pages.deviceIdleRefcount).toBe(1);
    expect(pages.folio_ref_count(base)).toBe(1);
    expect(pages.get(base + 77).refcount).toBe(1);
    expect(pages.folio_ref_count(5)).toBe(0);
    expect(pages.nonDefaultPages().filter((p) => p >= base)).toEqual([]);
  });

  it('a pin and its release go 1 → 1025 → 1; the wake comes at 1 and the record disappears', () => {
    const { pages, base } = rig();
    const woken: number[] = [];
    pages.onDeviceFolioIdle = (h) => woken.push(h);
    pages.folio_ref_add(base + 3, GUP_PIN_COUNTING_BIAS, 'pin');
    expect(pages.folio_ref_count(base + 3)).toBe(1025);
    for (let i = 0; i < GUP_PIN_COUNTING_BIAS - 1; i++) pages.folio_ref_dec(base + 3);
    expect(woken).toEqual([]);
    expect(pages.folio_put(base + 3, 'unpin')).toBe(1);
    expect(woken).toEqual([base + 3]);
    expect(pages.nonDefaultPages().includes(base + 3)).toBe(false);
  });

  it('putting an idle 6.1 pmem page (1 → 0) is a model bug', () => {
    const { pages, base } = rig();
    expect(() => pages.folio_put(base)).toThrow(EngineBug);
  });

  it('the idle count cannot change once a pmem page has a record', () => {
    const phys = new PhysMap({ memory: plainMemoryProvider(), pmemBytes: 8 * MiB });
    phys.pages.setPageFlag(phys.pmemOffsetToPfn(0), 'PG_hwpoison');
    expect(() => new Legacy61Ownership(phys.pages, () => {})).toThrow(EngineBug);
  });

  it('states what the kernel generation does with mappings', () => {
    const { policy } = rig();
    expect(policy.idleRefcount).toBe(1);
    expect(policy.mapTakesReference).toBe(false);
  });
});

describe('Legacy61Ownership: dax_associate_entry', () => {
  it('a PTE entry names the inode and index on its one page', () => {
    const { pages, policy, base, warnings } = rig();
    policy.dax_associate_entry(pte(base + 9), INO_A, 40, false);
    expect(pages.folioMapping(base + 9)).toBe(INO_A);
    expect(pages.folioIndex(base + 9)).toBe(40);
    expect(pages.folio_ref_count(base + 9)).toBe(1);
    expect(policy.pageOwner(base + 9)).toEqual({ mapping: INO_A, index: 40 });
    expect(policy.isShared(base + 9)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('a PMD entry gives each of its 512 pages mapping and index + i, with no compound folio', () => {
    const { pages, policy, base } = rig();
    policy.dax_associate_entry(pmd(base), INO_A, 512, false);
    for (const i of [0, 1, 255, 511]) {
      expect(pages.folioMapping(base + i)).toBe(INO_A);
      expect(pages.folioIndex(base + i)).toBe(512 + i);
      expect(pages.folio_order(base + i)).toBe(0);
      expect(pages.page_folio(base + i)).toBe(base + i);
    }
    expect(pages.folioMapping(base + 512)).toBeNull();
  });

  it('zero and empty entries touch no struct page', () => {
    const { pages, policy, base } = rig();
    policy.dax_associate_entry({ pfn: base, pmd: true, zeroOrEmpty: true }, INO_A, 0, false);
    policy.dax_associate_entry({ pfn: base + 1, pmd: false, zeroOrEmpty: true }, INO_A, 0, true);
    expect(pages.nonDefaultPages().filter((p) => p >= base)).toEqual([]);
  });

  it('a second non-cow owner (a read fault of a reflinked block) warns once and overwrites', () => {
    const { pages, policy, base, warnings } = rig();
    policy.dax_associate_entry(pte(base), INO_A, 3, false);
    policy.dax_associate_entry(pte(base), INO_B, 7, false);
    expect(pages.folioMapping(base)).toBe(INO_B);
    expect(pages.folioIndex(base)).toBe(7);
    expect(warnings).toEqual([{ fn: 'dax_associate_entry', cond: 'page->mapping' }]);
    policy.dax_associate_entry(pte(base), INO_A, 3, false);
    expect(warnings.length).toBe(1); // WARN_ON_ONCE
  });

  it('cow on an owned page: the counter restarts at 1 and is bumped to 2, then 3', () => {
    const { pages, policy, base } = rig();
    policy.dax_associate_entry(pte(base), INO_A, 30, false);
    policy.dax_associate_entry(pte(base), INO_B, 0, true);
    expect(pages.folioMapping(base)).toBe(PAGE_MAPPING_DAX_COW);
    expect(pages.folioIndex(base)).toBe(2);
    expect(pages.indexMeaning(base)).toBe('share');
    policy.dax_associate_entry(pte(base), INO_A, 0, true);
    expect(pages.folioIndex(base)).toBe(3);
    expect(policy.isShared(base)).toBe(true);
    expect(policy.pageOwner(base)).toEqual({ cow: 3 });
  });

  it('cow on a fresh page (the block a CoW fault just allocated) counts 1', () => {
    const { pages, policy, base } = rig();
    policy.dax_associate_entry(pmd(base), INO_A, 0, true);
    for (const i of [0, 511]) {
      expect(pages.folioMapping(base + i)).toBe(PAGE_MAPPING_DAX_COW);
      expect(pages.folioIndex(base + i)).toBe(1);
    }
  });

  it('emits page steps with old and new values when tracing', () => {
    const { policy, base, tracer } = rig(true);
    policy.dax_associate_entry(pte(base), INO_A, 3, false);
    policy.dax_associate_entry(pte(base), INO_B, 0, true);
    const steps = tracer!.steps.filter((s): s is Extract<Step, { t: 'page' }> => s.t === 'page' && s.pfn === base);
    expect(steps.map((s) => [s.field, s.old, s.new])).toEqual([
      ['mapping', null, INO_A],
      ['index', 0, 3],
      ['share', 3, 1],
      ['mapping', INO_A, PAGE_MAPPING_DAX_COW],
      ['share', 1, 2],
    ]);
  });
});

describe('Legacy61Ownership: dax_disassociate_entry', () => {
  it('clears mapping and index of its own pages', () => {
    const { pages, policy, base, warnings } = rig();
    policy.dax_associate_entry(pmd(base), INO_A, 0, false);
    policy.dax_disassociate_entry(pmd(base), INO_A, true);
    expect(pages.folioMapping(base + 100)).toBeNull();
    expect(pages.folioIndex(base + 100)).toBe(0);
    expect(pages.nonDefaultPages().filter((p) => p >= base)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('post-decrement: a counter of 2 needs three disassociations, and the sentinel outlives the last sharer', () => {
    const { pages, policy, base } = rig();
    policy.dax_associate_entry(pte(base), INO_A, 5, false);
    policy.dax_associate_entry(pte(base), INO_B, 0, true); // counter 2
    policy.dax_disassociate_entry(pte(base), INO_B, false);
    expect([pages.folioMapping(base), pages.folioIndex(base)]).toEqual([PAGE_MAPPING_DAX_COW, 1]);
    policy.dax_disassociate_entry(pte(base), INO_A, false);
    // Both sharers are gone, yet the page is still marked: 1-- > 0 kept the sentinel.
    expect([pages.folioMapping(base), pages.folioIndex(base)]).toEqual([PAGE_MAPPING_DAX_COW, 0]);
    expect(policy.isShared(base)).toBe(true);
    policy.dax_disassociate_entry(pte(base), INO_A, false);
    expect([pages.folioMapping(base), pages.folioIndex(base)]).toEqual([null, 0]);
  });

  it('the lingering sentinel makes the next owner of the block warn', () => {
    const { pages, policy, base, warnings } = rig();
    policy.dax_associate_entry(pte(base), INO_A, 0, true); // a CoW copy: counter 1
    policy.dax_disassociate_entry(pte(base), INO_A, true); // file truncated: counter 0, sentinel stays
    policy.dax_associate_entry(pte(base), INO_B, 4, false); // the block is reused by another file
    expect(warnings).toEqual([{ fn: 'dax_associate_entry', cond: 'page->mapping' }]);
    expect(pages.folioMapping(base)).toBe(INO_B);
  });

  it('warns when another inode owns the page, and still clears it', () => {
    const { pages, policy, base, warnings } = rig();
    policy.dax_associate_entry(pte(base), INO_B, 2, false);
    policy.dax_disassociate_entry(pte(base), INO_A, false);
    expect(warnings).toEqual([{ fn: 'dax_disassociate_entry', cond: 'page->mapping && page->mapping != mapping' }]);
    expect(pages.folioMapping(base)).toBeNull();
  });

  it('truncating a pinned page warns; invalidation (trunc false) does not', () => {
    const { pages, policy, base, warnings } = rig();
    policy.dax_associate_entry(pte(base), INO_A, 0, false);
    pages.folio_ref_add(base, GUP_PIN_COUNTING_BIAS, 'pin');
    policy.dax_disassociate_entry(pte(base), INO_A, false);
    expect(warnings).toEqual([]);
    policy.dax_associate_entry(pte(base), INO_A, 0, false);
    policy.dax_disassociate_entry(pte(base), INO_A, true);
    expect(warnings).toEqual([{ fn: 'dax_disassociate_entry', cond: 'trunc && page_ref_count(page) > 1' }]);
    expect(pages.folio_ref_count(base)).toBe(1 + GUP_PIN_COUNTING_BIAS);
  });
});

describe('Legacy61Ownership: dax_busy_page', () => {
  it('an idle page (refcount 1) is not busy; mapping it changes nothing; a pin makes it busy', () => {
    const { pages, policy, base } = rig();
    policy.dax_associate_entry(pte(base), INO_A, 0, false);
    expect(policy.dax_busy_page(pte(base))).toBeNull();
    pages.folio_ref_add(base, GUP_PIN_COUNTING_BIAS, 'pin');
    expect(policy.dax_busy_page(pte(base))).toBe(base);
  });

  it('any extra reference counts, not only a pin bias', () => {
    const { pages, policy, base } = rig();
    pages.folio_get(base + 1);
    expect(policy.dax_busy_page(pte(base + 1))).toBe(base + 1);
  });

  it('a PMD entry reports the first pinned page among its 512, which may be a tail', () => {
    const { pages, policy, base } = rig();
    pages.folio_ref_add(base + 300, GUP_PIN_COUNTING_BIAS, 'pin');
    pages.folio_ref_add(base + 7, GUP_PIN_COUNTING_BIAS, 'pin');
    expect(policy.dax_busy_page(pmd(base))).toBe(base + 7);
    expect(policy.dax_busy_page(pte(base + 8))).toBeNull();
  });

  it('zero and empty entries are never busy', () => {
    const { pages, policy, base } = rig();
    pages.folio_ref_add(base, GUP_PIN_COUNTING_BIAS, 'pin');
    expect(policy.dax_busy_page({ pfn: base, pmd: false, zeroOrEmpty: true })).toBeNull();
  });
});

describe('Legacy61Ownership: properties', () => {
  it('any sequence keeps ->mapping one of null, an inode or the sentinel, and the counter at 0 or above', () => {
    const op = fc.record({ kind: fc.constantFrom('assoc', 'cow', 'dis', 'trunc'), ino: fc.constantFrom(INO_A, INO_B), index: fc.nat(1000) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { pages, policy, base } = rig();
        let lastOwner: number | string | null = null;
        for (const o of ops) {
          if (o.kind === 'assoc') policy.dax_associate_entry(pte(base), o.ino, o.index, false);
          else if (o.kind === 'cow') policy.dax_associate_entry(pte(base), o.ino, o.index, true);
          else policy.dax_disassociate_entry(pte(base), o.ino, o.kind === 'trunc');
          const m = pages.folioMapping(base);
          expect(m === null || m === INO_A || m === INO_B || m === PAGE_MAPPING_DAX_COW).toBe(true);
          expect(pages.folioIndex(base)).toBeGreaterThanOrEqual(0);
          // Only a disassociation of a sentinel page with counter 0 can clear a cow mark.
          if (lastOwner === PAGE_MAPPING_DAX_COW && m === null) expect(o.kind === 'dis' || o.kind === 'trunc').toBe(true);
          lastOwner = m;
        }
        expect(pages.folio_ref_count(base)).toBe(1);
      }),
      { seed: 61, numRuns: 300 },
    );
  });
});
