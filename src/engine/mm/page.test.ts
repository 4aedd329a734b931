import { describe, expect, it } from 'vitest';
import { GiB, MiB, TiB } from '../constants';
import { isErr } from '../errno';
import { Tracer, type Step } from '../trace/steps';
import { plainMemoryProvider } from './memory';
import { memmapCost, type MemmapCost } from './page';
import { PhysMap } from './physmap';

function machine(tracer: Tracer | null = null): PhysMap {
  return new PhysMap({ memory: plainMemoryProvider(), tracer, pmemBytes: 8 * MiB });
}

const pageSteps = (t: Tracer) => t.steps.filter((s): s is Extract<Step, { t: 'page' }> => s.t === 'page');

describe('memmap cost', () => {
  it('fact 38: 4 TiB of pmem needs 64 GiB of struct pages; with map=dev the data starts after the info block and memmap, aligned', () => {
    const ram = memmapCost(4 * TiB, 'ram') as MemmapCost;
    expect(ram.memmapBytes).toBe(64 * GiB);
    expect(ram.where).toBe('DRAM');
    expect(ram.dataOffset).toBe(2 * MiB); // 8 KiB info area rounded up to the 2 MiB alignment
    const dev = memmapCost(4 * TiB, 'dev') as MemmapCost;
    expect(dev.memmapBytes).toBe(64 * GiB);
    expect(dev.where).toBe('device');
    // 8 KiB + 64 × (4 TiB - 8 KiB)/4 KiB = 64 GiB - 128 B + 8 KiB, rounded up to 2 MiB
    expect(dev.reservedForMemmap).toBe(64 * GiB - 128);
    expect(dev.dataOffset).toBe(64 * GiB + 2 * MiB);
    expect(dev.dataPages).toBe((4 * TiB - dev.dataOffset) / 4096);
    expect(dev.padBytes).toBe(2 * MiB - 8192 + 128);
  });

  it('honours the namespace alignment and rejects impossible layouts', () => {
    const small = memmapCost(64 * MiB, 'dev', 4096) as MemmapCost;
    // 8 KiB + 64 × 16382 = 1056896 → next 4 KiB boundary
    expect(small.dataOffset).toBe(Math.ceil((8192 + 64 * 16382) / 4096) * 4096);
    expect((memmapCost(64 * MiB, 'ram', GiB) as { errno?: string }).errno).toBe('EINVAL'); // 1 GiB alignment leaves nothing
    expect(isErr(memmapCost(64 * MiB, 'dev', 3000))).toBe(true);
    expect(isErr(memmapCost(4097, 'ram'))).toBe(true);
    expect((memmapCost(64 * GiB, 'ram') as MemmapCost).memmapBytes).toBe(GiB);
  });
});

describe('struct page metadata', () => {
  it('is sparse: untouched pages read as defaults and cost no record', () => {
    const m = machine();
    const pfn = m.pmemStartPfn + 7;
    expect(m.pages.get(pfn)).toEqual({
      pfn,
      range: 'pmem',
      zone: 'ZONE_DEVICE',
      pgmap: 'MEMORY_DEVICE_FS_DAX',
      flags: [],
      refcount: 0,
      mapcount: 0,
      mapping: null,
      index: 0,
      indexMeaning: 'index',
      order: 0,
      head: pfn,
      entireMapcount: 0,
      largeMapcount: 0,
    });
    expect(m.pages.get(5)).toMatchObject({ range: 'dram', zone: 'ZONE_NORMAL', pgmap: null });
    expect(m.pages.recordCount).toBe(1); // only the zero page
    m.pages.folio_ref_inc(pfn);
    m.pages.folio_ref_dec(pfn);
    expect(m.pages.recordCount).toBe(1); // back to the defaults: the record is gone
    expect(() => m.pages.get(m.dramPages + 10)).toThrow(/engine bug/);
  });

  it('emits one page step per field change with old and new values', () => {
    const t = new Tracer(true);
    const m = machine(t);
    const pfn = m.pmemStartPfn;
    t.steps.length = 0;
    m.pages.folio_ref_inc(pfn);
    m.pages.folio_add_file_rmap_pte(pfn);
    m.pages.setMapping(pfn, 42);
    m.pages.setIndex(pfn, 17);
    m.pages.setPageFlag(pfn, 'PG_dirty');
    m.pages.setPageFlag(pfn, 'PG_dirty'); // no change, no step
    m.pages.clearPageFlag(pfn, 'PG_dirty');
    expect(pageSteps(t).map((s) => [s.field, s.old, s.new])).toEqual([
      ['_refcount', 0, 1],
      ['mapcount', 0, 1],
      ['mapping', null, 42],
      ['index', 0, 17],
      ['flags', [], ['PG_dirty']],
      ['flags', ['PG_dirty'], []],
    ]);
    expect(pageSteps(t).every((s) => s.pfn === pfn && s.text.length > 0)).toBe(true);
  });

  it('fact 33: one PTE mapping gives refcount 1 and mapcount 1; a pin adds a reference not explained by mappings', () => {
    const m = machine();
    const pfn = m.pmemStartPfn + 3;
    m.pages.folio_ref_inc(pfn);
    m.pages.folio_add_file_rmap_pte(pfn);
    expect(m.pages.folio_ref_count(pfn) - m.pages.folio_mapcount(pfn)).toBe(0);
    m.pages.folio_ref_inc(pfn, 'GUP pin');
    expect(m.pages.folio_ref_count(pfn) - m.pages.folio_mapcount(pfn)).toBe(1);
    m.pages.folio_put(pfn);
    m.pages.folio_remove_rmap_pte(pfn);
    let idle = -1;
    m.pages.onDeviceFolioIdle = (h) => (idle = h);
    expect(m.pages.folio_put(pfn)).toBe(0);
    expect(idle).toBe(pfn);
    expect(() => m.pages.folio_ref_dec(pfn)).toThrow(/engine bug/);
  });

  it('share overlays index: a helper says which one the slot means', () => {
    const t = new Tracer(true);
    const m = machine(t);
    const pfn = m.pmemStartPfn + 1;
    m.pages.setMapping(pfn, 5);
    m.pages.setIndex(pfn, 9);
    expect(m.pages.indexMeaning(pfn)).toBe('index');
    expect(m.pages.folioShare(pfn)).toBe(0);
    // dax_folio_make_shared: mapping null, share 1; then a second sharer
    m.pages.setMapping(pfn, null);
    m.pages.setShare(pfn, 1);
    m.pages.setShare(pfn, 2);
    expect(m.pages.indexMeaning(pfn)).toBe('share');
    expect(m.pages.folioShare(pfn)).toBe(2);
    expect(m.pages.dumpPage(pfn)).toMatchObject({ share: 2, mapping: null });
    const shareSteps = pageSteps(t).filter((s) => s.field === 'share');
    expect(shareSteps.map((s) => [s.old, s.new])).toEqual([
      [9, 1],
      [1, 2],
    ]);
  });
});

describe('compound folios', () => {
  it('fact 39: prep-compound makes 512 pages one order-9 folio; split turns them back into order-0 pages', () => {
    const t = new Tracer(true);
    const m = machine(t);
    const head = m.pmemStartPfn + 512;
    t.steps.length = 0;
    m.pages.prep_compound_page(head, 9);
    expect(m.pages.folio_order(head)).toBe(9);
    expect(m.pages.page_folio(head + 300)).toBe(head);
    expect(m.pages.get(head + 511)).toMatchObject({ head, order: 9, refcount: 0 });
    expect(m.pages.get(head + 512)).toMatchObject({ head: head + 512, order: 0 });
    expect(m.pages.testPageFlag(head, 'PG_head')).toBe(true);
    // folio-wide fields set through any page land on the head
    m.pages.setMapping(head + 10, 7);
    m.pages.setIndex(head + 10, 512);
    m.pages.folio_ref_inc(head + 10);
    m.pages.folio_add_file_rmap_pmd(head + 10);
    expect(m.pages.get(head + 99)).toMatchObject({ mapping: 7, index: 512, entireMapcount: 1, largeMapcount: 1 });
    expect(m.pages.folio_ref_count(head)).toBe(1);
    expect(m.pages.folio_mapcount(head + 5)).toBe(1);
    // a PTE mapping of one subpage counts on that page and in the folio total
    m.pages.folio_add_file_rmap_pte(head + 4);
    expect(m.pages.page_mapcount(head + 4)).toBe(1);
    expect(m.pages.folio_mapcount(head)).toBe(2);
    m.pages.folio_remove_rmap_pte(head + 4);
    m.pages.folio_remove_rmap_pmd(head);
    m.pages.folio_ref_dec(head);
    expect(() => m.pages.prep_compound_page(head, 9)).toThrow(/engine bug/);
    m.pages.splitFolioToOrder0(head);
    expect(m.pages.folio_order(head + 300)).toBe(0);
    expect(m.pages.page_folio(head + 300)).toBe(head + 300);
    expect(m.pages.get(head)).toMatchObject({ order: 0, mapping: null, index: 0, flags: [] });
    expect(m.pages.nonDefaultPages()).toEqual([0]);
    const fields = pageSteps(t).map((s) => s.field);
    expect(fields.slice(0, 2)).toEqual(['flags', 'order']);
    expect(fields.slice(-4)).toEqual(['mapping', 'share', 'order', 'flags']);
    expect(t.steps.some((s) => s.t === 'warn')).toBe(false);
  });

  it('refuses misaligned compound folios and splitting a mapped one', () => {
    const m = machine();
    expect(() => m.pages.prep_compound_page(m.pmemStartPfn + 1, 9)).toThrow(/engine bug/);
    expect(() => m.pages.prep_compound_page(m.pmemStartPfn, 3)).toThrow(/engine bug/);
    m.pages.prep_compound_page(m.pmemStartPfn, 9);
    m.pages.folio_add_file_rmap_pmd(m.pmemStartPfn);
    expect(() => m.pages.splitFolioToOrder0(m.pmemStartPfn)).toThrow(/engine bug/);
  });

  it('warns when a folio is split while still referenced', () => {
    const t = new Tracer(true);
    const m = machine(t);
    m.pages.prep_compound_page(m.pmemStartPfn, 9);
    m.pages.folio_ref_inc(m.pmemStartPfn);
    m.pages.splitFolioToOrder0(m.pmemStartPfn);
    expect(t.steps.filter((s) => s.t === 'warn')).toHaveLength(1);
  });

  it('lists non-default pages sorted and dumps one as JSON', () => {
    const m = machine();
    const a = m.pmemStartPfn + 9;
    m.pages.setPageFlag(a, 'PG_hwpoison');
    m.pages.setPageFlag(3, 'PG_locked');
    expect(m.pages.nonDefaultPages()).toEqual([0, 3, a]);
    expect(JSON.parse(JSON.stringify(m.pages.dumpPage(a)))).toMatchObject({ pfn: a, flags: ['PG_hwpoison'], zone: 'ZONE_DEVICE', _refcount: 0, compound_head: null });
  });
});
