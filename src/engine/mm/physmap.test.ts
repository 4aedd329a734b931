import { describe, expect, it } from 'vitest';
import { GiB, MiB, PAGE_SIZE } from '../constants';
import { isErr } from '../errno';
import { Tracer } from '../trace/steps';
import { countingMemoryProvider, plainMemoryProvider } from './memory';
import { PFN_PHYS, PHYS_PFN, PhysMap } from './physmap';

function machine(opts: ConstructorParameters<typeof PhysMap>[0] = {}): PhysMap {
  return new PhysMap({ memory: plainMemoryProvider(), ...opts });
}

describe('PhysMap ranges', () => {
  it('places DRAM at pfn 0 and pmem at the first 1 GiB boundary above it', () => {
    const m = machine();
    expect(m.dramPages).toBe((256 * MiB) / PAGE_SIZE);
    expect(m.pmemStart).toBe(GiB);
    expect(m.pmemStartPfn).toBe(0x40000);
    expect(m.rangeOf(0)).toBe('dram');
    expect(m.rangeOf(m.dramPages - 1)).toBe('dram');
    expect(m.rangeOf(m.dramPages)).toBeNull();
    expect(m.rangeOf(0x40000)).toBe('pmem');
    expect(m.rangeOf(0x40000 + (64 * MiB) / PAGE_SIZE)).toBeNull();
    expect(m.rangeOf(-1)).toBeNull();
  });

  it('converts between pfns, physical addresses and device offsets', () => {
    const m = machine({ pmemStart: 0x100000000, dramBytes: 3 * GiB });
    expect(m.pmemOffsetToPfn(0)).toBe(0x100000);
    expect(m.pmemOffsetToPfn(5 * PAGE_SIZE + 7)).toBe(0x100005);
    expect(m.pfnToPmemOffset(0x100005)).toBe(5 * PAGE_SIZE);
    expect(m.pfnToPmemPage(0x100005)).toBe(5);
    expect(PFN_PHYS(0x100005)).toBe(0x100005000);
    expect(PHYS_PFN(0x100005fff)).toBe(0x100005);
    expect(() => m.pfnToPmemOffset(3)).toThrow(/engine bug/);
    expect(() => m.pmemOffsetToPfn(64 * MiB)).toThrow(/engine bug/);
  });

  it('rejects bad layouts with -EINVAL', () => {
    expect(isErr(PhysMap.create({ dramBytes: 3 * MiB }))).toBe(true);
    expect(isErr(PhysMap.create({ pmemStart: 128 * MiB }))).toBe(true); // inside DRAM
    expect(isErr(PhysMap.create({ pmemStart: GiB + 4096 }))).toBe(true); // not 2 MiB aligned
    expect(isErr(PhysMap.create({ pmemBytes: 5 * MiB }))).toBe(true);
    expect(isErr(PhysMap.create({ memory: plainMemoryProvider() }))).toBe(false);
  });

  it('reports the memmap of the pmem range', () => {
    expect(machine({ pmemBytes: 64 * GiB }).memmap()).toMatchObject({ memmapBytes: GiB, where: 'DRAM' });
    expect(machine({ memmapMode: 'dev' }).memmap()).toMatchObject({ where: 'device', memmapBytes: MiB, dataOffset: 2 * MiB });
  });
});

describe('PhysMap DRAM allocator', () => {
  it('allocates the zero page at boot and then lowest free first', () => {
    const t = new Tracer(true);
    const m = machine({ tracer: t });
    expect(m.zeroPagePfn).toBe(0);
    expect(m.pages.testPageFlag(0, 'PG_reserved')).toBe(true);
    expect(t.steps[0]).toMatchObject({ t: 'dram', action: 'alloc', pfn: 0, use: 'zero-page' });
    expect(m.alloc_pages(0, 'pagecache')).toBe(1);
    expect(m.alloc_pages(0, 'anon')).toBe(2);
    expect(m.alloc_pages(0, 'cow')).toBe(3);
    m.free_pages(2, 0);
    expect(m.alloc_pages(0, 'pagecache')).toBe(2);
    expect(m.allocations().map((a) => [a.pfn, a.use])).toEqual([
      [0, 'zero-page'],
      [1, 'pagecache'],
      [2, 'pagecache'],
      [3, 'cow'],
    ]);
    const frees = t.steps.filter((s) => s.t === 'dram' && s.action === 'free');
    expect(frees).toEqual([expect.objectContaining({ pfn: 2, use: 'anon' })]);
  });

  it('gives a new page a refcount of 1 and a freed page the defaults', () => {
    const m = machine();
    const p = m.alloc_pages(0, 'pagecache') as number;
    expect(m.pages.folio_ref_count(p)).toBe(1);
    m.pages.setMapping(p, 12);
    m.pages.setIndex(p, 3);
    m.pages.setPageFlag(p, 'PG_uptodate');
    expect(m.pages.folio_put(p)).toBe(0); // last reference: back to the allocator
    expect(m.isAllocated(p)).toBe(false);
    expect(m.pages.nonDefaultPages()).toEqual([0]);
  });

  it('allocates the huge zero page lazily as a 2 MiB aligned order-9 folio, once', () => {
    const m = machine();
    m.alloc_pages(0, 'anon');
    expect(m.hugeZeroPfn).toBeNull();
    const h = m.mm_get_huge_zero_folio() as number;
    expect(h).toBe(512);
    expect(m.mm_get_huge_zero_folio()).toBe(512);
    expect(m.pages.folio_order(700)).toBe(9);
    expect(m.pages.page_folio(700)).toBe(512);
    expect(m.allocationOf(700)).toEqual({ pfn: 512, order: 9, use: 'huge-zero-page' });
    expect(m.readDram(700).every((b) => b === 0)).toBe(true);
    expect(() => m.writeDram(700, 0, new Uint8Array([1]))).toThrow(/engine bug/);
    // pages 2..511 are still free and come first
    expect(m.alloc_pages(0, 'anon')).toBe(2);
  });

  it('returns -ENOMEM when DRAM is exhausted', () => {
    const m = machine({ dramBytes: 4 * MiB });
    for (let i = 1; i < 1024; i++) expect(m.alloc_pages(0, 'anon')).toBe(i);
    expect(m.freePages).toBe(0);
    const r = m.alloc_pages(0, 'anon');
    expect(isErr(r) && r.errno).toBe('ENOMEM');
    const m2 = machine({ dramBytes: 4 * MiB });
    m2.alloc_pages(0, 'anon');
    m2.alloc_pages(0, 'anon');
    m2.alloc_pages(0, 'anon');
    expect(m2.alloc_pages(9, 'anon')).toBe(512);
    const r2 = m2.alloc_pages(9, 'anon'); // 0..511 is partly used, nothing else is left
    expect(isErr(r2) && r2.errno).toBe('ENOMEM');
  });

  it('stores DRAM contents sparsely and forgets them on free', () => {
    const mem = countingMemoryProvider(plainMemoryProvider());
    const m = new PhysMap({ memory: mem, dramBytes: 64 * GiB });
    const boot = mem.bytes;
    expect(boot).toBeLessThan(64 * 1024); // directory only
    const p = m.alloc_pages(0, 'pagecache') as number;
    expect(m.readDram(p).every((b) => b === 0)).toBe(true);
    m.writeDram(p, 100, new Uint8Array([1, 2, 3]));
    expect([...m.readDram(p, 99, 5)]).toEqual([0, 1, 2, 3, 0]);
    expect(m.dramHasContent(p)).toBe(true);
    m.free_pages(p, 0);
    expect(m.dramHasContent(p)).toBe(false);
    const q = m.alloc_pages(0, 'anon') as number;
    expect(q).toBe(p);
    expect(m.readDram(q).every((b) => b === 0)).toBe(true);
    expect(() => m.readDram(m.pmemStartPfn)).toThrow(/engine bug/);
    expect(m.dramStats().pagesWithFrames).toBe(0);
  });

  it('warns when a page is freed while still mapped', () => {
    const t = new Tracer(true);
    const m = machine({ tracer: t });
    const p = m.alloc_pages(0, 'anon') as number;
    m.pages.folio_add_anon_rmap_pte(p);
    m.free_pages(p, 0);
    expect(t.steps.some((s) => s.t === 'warn' && s.fn === 'free_pages_prepare')).toBe(true);
    expect(m.pages.get(p).mapcount).toBe(0);
  });
});
