/**
 * The 6.1 model against the modern one: each behavioural difference listed in
 * docs/kernel-6.1.md, shown by a machine-level scenario run on both kernels, and a property test
 * that on 6.1 every invariant violation the checker reports is one of the documented rules
 * v6.1 itself breaks (KERNEL_61_EXPLAINED_RULES).
 *
 * Conventions in this file:
 *   both(ops)  - the same scenario built for 'modern' and for '6.1'.
 *   pfnOf      - the pmem pfn the file's data fork maps at a byte offset (null for a hole).
 *   rules      - the distinct rule names machine.check() reports.
 *
 * What this model leaves out: PMD mappings in the scenarios (config pmd: false keeps every
 * fault 4 KiB, so pfns are easy to name); the property test also runs with PMDs enabled.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Machine } from '../src/engine/machine';
import type { Op } from '../src/engine/ops';
import type { KernelVersion } from '../src/engine/version';
import { KERNEL_61_EXPLAINED_RULES, KERNEL_EXPLAINED_RULES, explainedRules } from '../src/engine/debug/check-machine';
import { PAGE_MAPPING_DAX_COW } from '../src/engine/mm/page';
import { xa_get_mark, xa_load } from '../src/engine/lib/xarray';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE } from '../src/engine/lib/pagecache-tags';
import { dax_is_zero_entry } from '../src/engine/fs/dax-entry';
import { formatTracepoint } from '../src/engine/trace/tracepoints';
import type { Step } from '../src/engine/trace/steps';

const PAGE = 4096;
const MiB = 1 << 20;

function build(kernel: KernelVersion, ops: Op[], pmd = false): Machine {
  const m = Machine.create({ version: 1, config: { kernel, pmd }, ops });
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  return m;
}

/** Run every op; return the machine and each op's outcome status. */
function runAll(kernel: KernelVersion, ops: Op[]): { m: Machine; status: string[] } {
  const m = build(kernel, ops);
  const status: string[] = [];
  for (let i = 0; i < ops.length; i++) status.push(m.step().status);
  return { m, status };
}

function pfnOf(m: Machine, file: string, off = 0): number | null {
  const ino = m.fs.lookup(file) as number;
  const dev = m.fs.devOffsetOf(ino, off);
  return dev === null ? null : m.phys.pmemOffsetToPfn(dev - (dev % PAGE));
}

function rules(m: Machine): string[] {
  return [...new Set(m.check().map((v) => v.rule))].sort();
}

function warned(m: Machine): string[] {
  return m.warnings.map((w) => `${w.fn}: ${w.cond}`);
}

/** A file f holding "AAAA" at offset 0 in a 4-page file, and an empty file g. */
const base: Op[] = [
  { op: 'create', file: 'f' },
  { op: 'write', file: 'f', offset: 0, data: 'AAAA' },
  { op: 'truncate', file: 'f', size: 4 * PAGE },
  { op: 'create', file: 'g' },
];
const mmap = (proc: string, file: string, as = file, flags: 'shared' | 'private' = 'shared'): Op => ({ op: 'mmap', proc, file, length: MiB, as, flags });
const load = (proc: string, map: string, offset = 0, len = 4): Op => ({ op: 'load', proc, addr: { map, offset }, len });
const store = (proc: string, map: string, data: string, offset = 0): Op => ({ op: 'store', proc, addr: { map, offset }, data });

describe('6.1 against modern: struct page and references', () => {
  it('a mapped fsdax page sits at refcount 1 with no mapcount and a special PTE on 6.1; modern counts the mapping', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), store('A', 'f', 'x')];
    const seen: Record<string, unknown> = {};
    for (const k of ['modern', '6.1'] as const) {
      const { m } = runAll(k, ops);
      const pfn = pfnOf(m, 'f')!;
      const leaf = [...m.as.allLeaves()].find((l) => l.pte.pfn === pfn)!;
      seen[k] = { ref: m.pages.get(pfn).refcount, mapcount: m.pages.get(pfn).mapcount, special: leaf.pte.special };
      expect(m.check()).toEqual([]);
      m.exec({ op: 'munmap', proc: 'A', addr: { map: 'f' }, length: MiB });
      seen[k + ' unmapped'] = m.pages.get(pfn).refcount;
      expect(m.check()).toEqual([]);
    }
    expect(seen).toEqual({
      modern: { ref: 1, mapcount: 1, special: false },
      'modern unmapped': 0,
      '6.1': { ref: 1, mapcount: 0, special: true },
      '6.1 unmapped': 1,
    });
  });

  it('a pin adds GUP_PIN_COUNTING_BIAS on top of the idle 1 on 6.1, and unpinning returns the page to 1', () => {
    const { m } = runAll('6.1', [...base, mmap('A', 'f'), store('A', 'f', 'x'), { op: 'pin', proc: 'A', addr: { map: 'f' }, as: 'p' }]);
    const pfn = pfnOf(m, 'f')!;
    expect(m.pages.get(pfn).refcount).toBe(1 + 1024);
    expect(m.check()).toEqual([]);
    m.exec({ op: 'unpin', proc: 'A', pin: 'p' });
    expect(m.pages.get(pfn).refcount).toBe(1);
    expect(m.check()).toEqual([]);
  });

  it('a copy-on-write fault marks the new block PAGE_MAPPING_DAX_COW with counter 1, and the post-decrement leaves the sentinel behind', () => {
    const ops: Op[] = [...base, { op: 'reflink', src: 'f', dst: 'g' }, mmap('B', 'g'), store('B', 'g', 'B')];
    // modern: the new block is an ordinary private page of g
    {
      const { m } = runAll('modern', ops);
      const pfn = pfnOf(m, 'g')!;
      expect(pfn).not.toBe(pfnOf(m, 'f'));
      expect(m.pages.folioMapping(pfn)).toBe(m.fs.lookup('g'));
      expect(m.check()).toEqual([]);
      m.exec({ op: 'truncate', file: 'g', size: 0 });
      expect(m.pages.folioMapping(pfn)).toBeNull();
      expect(m.check()).toEqual([]);
    }
    // 6.1: the sentinel on a page only g holds; truncate leaves it with counter 0
    {
      const { m } = runAll('6.1', ops);
      const pfn = pfnOf(m, 'g')!;
      expect(pfn).not.toBe(pfnOf(m, 'f'));
      expect(m.pages.folioMapping(pfn)).toBe(PAGE_MAPPING_DAX_COW);
      expect(m.pages.folioIndex(pfn)).toBe(1);
      expect(rules(m)).toEqual(['page.cow-private']);
      expect(m.check().find((v) => v.rule === 'page.cow-private')?.where).toBe(`pfn 0x${pfn.toString(16)}`);
      m.exec({ op: 'truncate', file: 'g', size: 0 });
      expect(m.pages.folioMapping(pfn)).toBe(PAGE_MAPPING_DAX_COW);
      expect(m.pages.folioIndex(pfn)).toBe(0);
      expect(rules(m)).toEqual(['page.cow-orphan']);
      expect(warned(m)).toEqual([]);
    }
  });

  it('two files read-faulting one reflinked block: modern shares the folio, 6.1 warns and names the last reader', () => {
    const ops: Op[] = [...base, { op: 'reflink', src: 'f', dst: 'g' }, mmap('A', 'f'), mmap('B', 'g'), load('A', 'f'), load('B', 'g')];
    const mod = runAll('modern', ops).m;
    const pfn = pfnOf(mod, 'f')!;
    expect(pfnOf(mod, 'g')).toBe(pfn);
    expect(mod.pages.folioMapping(pfn)).toBeNull();
    expect(mod.pages.folioIndex(pfn)).toBe(2); // ->share
    expect(mod.check()).toEqual([]);
    const old = runAll('6.1', ops).m;
    expect(old.pages.folioMapping(pfn)).toBe(old.fs.lookup('g'));
    expect(warned(old)).toEqual(['dax_associate_entry: page->mapping']);
    expect(rules(old)).toEqual(['page.mapping']);
  });
});

describe('6.1 against modern: the fault path', () => {
  it('read faults tag their entries DIRTY on 6.1 (zero entries included), and fsync writes the zero entry back', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), load('A', 'f', 0), load('A', 'f', 2 * PAGE)];
    const marks = (m: Machine, index: number) => {
      const xa = m.mapping(m.fs.lookup('f') as number).i_pages;
      return { dirty: xa_get_mark(xa, index, PAGECACHE_TAG_DIRTY), towrite: xa_get_mark(xa, index, PAGECACHE_TAG_TOWRITE), zero: dax_is_zero_entry(xa_load(xa, index) as number) };
    };
    const mod = runAll('modern', ops).m;
    expect([marks(mod, 0), marks(mod, 2)]).toEqual([{ dirty: false, towrite: false, zero: false }, { dirty: false, towrite: false, zero: true }]);
    expect(mod.check()).toEqual([]);
    const old = runAll('6.1', ops).m;
    expect([marks(old, 0), marks(old, 2)]).toEqual([{ dirty: true, towrite: false, zero: false }, { dirty: true, towrite: false, zero: true }]);
    expect(rules(old)).toEqual(['dax.zero-entry-dirty']);
    const before = old.steps.length;
    old.exec({ op: 'fsync', file: 'f' });
    const written = old.steps.slice(before).filter((s) => s.t === 'tp' && s.name === 'dax_writeback_one').map((s) => (s.t === 'tp' ? s.fields.pgoff : null));
    expect(written).toEqual([0, 2]);
    expect([marks(old, 0), marks(old, 2)]).toEqual([{ dirty: false, towrite: false, zero: false }, { dirty: false, towrite: false, zero: true }]);
    expect(old.check()).toEqual([]);
    expect(warned(old)).toEqual([]);
  });

  it('a store to a read-only DAX PTE goes through ->pfn_mkwrite (flags |= MKWRITE) on 6.1 and ->page_mkwrite (flags = WRITE|MKWRITE, do_page_mkwrite) on modern; 6.1 flags lack VMA_LOCK', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), load('A', 'f'), store('A', 'f', 'y')];
    const last = (k: KernelVersion) => {
      const m = build(k, ops);
      for (let i = 0; i < ops.length - 1; i++) m.step();
      const from = m.steps.length;
      m.step();
      const steps: Step[] = m.steps.slice(from);
      const calls = steps.filter((s) => s.t === 'call').map((s) => (s as { fn: string }).fn);
      const tp = steps.find((s) => s.t === 'tp' && s.name === 'dax_pte_fault')!;
      return { mkwrite: calls.includes('xfs_filemap_pfn_mkwrite') ? 'pfn' : calls.includes('xfs_filemap_page_mkwrite') ? 'page' : 'none', tp: formatTracepoint(tp, k) };
    };
    const mod = last('modern');
    const old = last('6.1');
    expect(mod.mkwrite).toBe('page');
    expect(old.mkwrite).toBe('pfn');
    expect(old.tp).toMatch(/ WRITE\|MKWRITE\|/);
    expect(old.tp).not.toMatch(/VMA_LOCK/);
    // do_page_mkwrite replaces the flags with exactly FAULT_FLAG_WRITE | FAULT_FLAG_MKWRITE.
    expect(mod.tp).toMatch(/ shared WRITE\|MKWRITE address /);
  });

  it('6.1 fault glue is __xfs_filemap_fault → xfs_dax_fault; modern uses xfs_dax_read_fault / xfs_dax_fault_locked', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), load('A', 'f')];
    const fns = (k: KernelVersion) => new Set(runAll(k, ops).m.steps.filter((s) => s.t === 'call').map((s) => (s as { fn: string }).fn));
    const mod = fns('modern');
    const old = fns('6.1');
    expect(['xfs_dax_read_fault', 'xfs_dax_fault_locked', 'vmf_insert_page_mkwrite'].every((f) => mod.has(f))).toBe(true);
    expect(['__xfs_filemap_fault', 'xfs_dax_fault', 'vmf_insert_mixed'].every((f) => old.has(f))).toBe(true);
    expect(['xfs_dax_read_fault', 'xfs_dax_fault_locked'].some((f) => old.has(f))).toBe(false);
  });

  it('a MAP_PRIVATE write to a read-only page returns VM_FAULT_WRITE from do_wp_page on 6.1 only', () => {
    const ops: Op[] = [...base, mmap('A', 'f', 'p', 'private'), load('A', 'p'), store('A', 'p', 'q')];
    const ret = (k: KernelVersion) => runAll(k, ops).m.steps.filter((s) => s.t === 'ret' && s.fn === 'do_wp_page').map((s) => (s as { result: unknown }).result);
    expect(ret('modern')).toEqual(['0']);
    expect(ret('6.1')).toEqual(['WRITE']);
  });
});

describe('6.1 against modern: write(2), truncate and reflink', () => {
  it('a copy-on-write write(2) leaves the file\'s PTE and entry on the old block in 6.1, and the checker reports it', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), load('A', 'f'), { op: 'reflink', src: 'f', dst: 'g' }, { op: 'write', file: 'f', offset: 0, data: 'ZZ' }, load('A', 'f'), { op: 'read', file: 'f', offset: 0, len: 4 }];
    const mod = build('modern', ops).run();
    const old = build('6.1', ops).run();
    expect(mod.outcomes.map((o) => o.result).slice(-2)).toEqual([{ bytes: 4, data: 'ZZAA' }, { bytes: 4, data: 'ZZAA' }]);
    expect(old.outcomes.map((o) => o.result).slice(-2)).toEqual([{ bytes: 4, data: 'AAAA' }, { bytes: 4, data: 'ZZAA' }]);
    expect(mod.check()).toEqual([]);
    expect(rules(old)).toEqual(['dax.entry-vs-extent', 'pte.stale']);
  });

  it('truncate waits for a pinned page on both kernels (6.1: until _refcount is back to 1), and deletes the entries afterwards', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), store('A', 'f', 'x'), { op: 'pin', proc: 'A', addr: { map: 'f' }, as: 'p' }, { op: 'truncate', proc: 'T', file: 'f', size: 0 }];
    for (const k of ['modern', '6.1'] as const) {
      const { m, status } = runAll(k, ops);
      const pfn = m.pins.get('p')!.pfns[0];
      expect(status.at(-1)).toBe('blocked');
      expect(m.pending.map((t) => t.sleep?.queue)).toEqual([`page:0x${pfn.toString(16)}`]);
      expect(m.check()).toEqual([]);
      m.exec({ op: 'unpin', proc: 'A', pin: 'p' });
      expect(m.outcomes[ops.length - 1].status).toBe('done');
      expect(m.mapping(m.fs.lookup('f') as number).nrpages).toBe(0);
      expect(m.pages.get(pfn).refcount).toBe(k === '6.1' ? 1 : 0);
      expect(m.check()).toEqual([]);
      expect(m.warnings).toEqual([]);
    }
  });

  it('6.1 does not wait for a pin whose process unmapped the file (!mapping_mapped); modern does', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), store('A', 'f', 'x'), { op: 'pin', proc: 'A', addr: { map: 'f' }, as: 'p' }, { op: 'munmap', proc: 'A', addr: { map: 'f' }, length: MiB }, { op: 'truncate', proc: 'T', file: 'f', size: 0 }];
    const mod = runAll('modern', ops);
    expect(mod.status.at(-1)).toBe('blocked');
    expect(mod.m.check()).toEqual([]);
    const old = runAll('6.1', ops);
    expect(old.status.at(-1)).toBe('done');
    expect(warned(old.m)).toEqual(['dax_disassociate_entry: trunc && page_ref_count(page) > 1']);
    expect(rules(old.m)).toEqual(['pin.free-block']);
  });

  it('reflink waits for the destination\'s pin on modern; 6.1 only breaks leases, removes the entry and frees the pinned block', () => {
    const ops: Op[] = [
      ...base,
      { op: 'write', file: 'g', offset: 0, data: 'G' },
      mmap('A', 'g'),
      store('A', 'g', 'x'),
      { op: 'pin', proc: 'A', addr: { map: 'g' }, as: 'p' },
      { op: 'reflink', proc: 'T', src: 'f', dst: 'g' },
    ];
    const mod = runAll('modern', ops);
    expect(mod.status.at(-1)).toBe('blocked');
    expect(mod.m.check()).toEqual([]);
    const old = runAll('6.1', ops);
    expect(old.status.at(-1)).toBe('done');
    expect(warned(old.m)).toEqual(['dax_disassociate_entry: trunc && page_ref_count(page) > 1']);
    expect(rules(old.m)).toEqual(['pin.free-block']);
    const calls = old.m.steps.filter((s) => s.t === 'call').map((s) => (s as { fn: string }).fn);
    expect(calls).toContain('xfs_flush_unmap_range');
    expect(calls).not.toContain('xfs_break_dax_layouts');
  });

  it('6.1 breaks layouts without deleting entries: a hole punch removes them afterwards through xfs_flush_unmap_range', () => {
    const ops: Op[] = [...base, mmap('A', 'f'), store('A', 'f', 'x', PAGE), { op: 'punch', file: 'f', offset: PAGE, length: PAGE }];
    const seq = (k: KernelVersion) =>
      runAll(k, ops).m.steps.filter((s) => s.t === 'call' && ['dax_break_layout', 'xfs_break_dax_layouts', 'xfs_flush_unmap_range', 'dax_delete_mapping_range', 'truncate_inode_pages_range'].includes(s.fn)).map((s) => (s as { fn: string }).fn);
    expect(seq('modern')).toEqual(['dax_break_layout', 'dax_delete_mapping_range']);
    expect(seq('6.1')).toEqual(['xfs_break_dax_layouts', 'xfs_flush_unmap_range', 'truncate_inode_pages_range']);
    for (const k of ['modern', '6.1'] as const) {
      const m = runAll(k, ops).m;
      expect(m.check()).toEqual([]);
      expect(xa_load(m.mapping(m.fs.lookup('f') as number).i_pages, 1)).toBeNull();
    }
  });
});

// ---- property: on 6.1 every violation is a documented one --------------------------------------

const FILES = ['f0', 'f1'];
const PROCS = ['A', 'B'];
type Cmd =
  | { k: 'write'; f: number; page: number; len: number }
  | { k: 'mmap'; p: number; f: number; big: boolean; priv: boolean }
  | { k: 'munmap'; m: number }
  | { k: 'load'; m: number; page: number }
  | { k: 'store'; m: number; page: number }
  | { k: 'fsync'; f: number }
  | { k: 'truncate'; f: number; pages: number }
  | { k: 'punch'; f: number; page: number; pages: number }
  | { k: 'fallocate'; f: number; page: number; pages: number }
  | { k: 'reflink'; src: number; dst: number }
  | { k: 'pin'; m: number; page: number }
  | { k: 'unpin'; n: number }
  | { k: 'unlink'; f: number }
  | { k: 'crash' };

const f = fc.integer({ min: 0, max: FILES.length - 1 });
const p = fc.integer({ min: 0, max: PROCS.length - 1 });
/** Picks one of the mappings that exist when the command runs (modulo their number). */
const sel = fc.nat({ max: 7 });
const page = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 510, max: 514 }) });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('write' as const), f, page, len: fc.integer({ min: 1, max: 2 * PAGE }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('mmap' as const), p, f, big: fc.boolean(), priv: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('munmap' as const), m: sel }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('load' as const), m: sel, page }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('store' as const), m: sel, page }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fsync' as const), f }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('truncate' as const), f, pages: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 510, max: 1024 })) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('punch' as const), f, page, pages: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fallocate' as const), f, page, pages: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('reflink' as const), src: f, dst: f }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pin' as const), m: sel, page }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unpin' as const), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unlink' as const), f }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const) }) },
);

/** The warnings v6.1 prints in the situations the property test creates (docs/kernel-6.1.md). */
const KNOWN_61_WARNINGS = new Set(['dax_associate_entry: page->mapping', 'dax_disassociate_entry: trunc && page_ref_count(page) > 1', 'dax_disassociate_entry: page->mapping && page->mapping != mapping']);

/**
 * Scenario operations for a command list: two 4 MiB files (the first with data in its first
 * three pages), each mapped shared by one process at the start; loads, stores and pins name a mapping that exists at that point.
 */
function toOps(cmds: Cmd[]): Op[] {
  const ops: Op[] = [];
  for (const name of FILES) ops.push({ op: 'create', file: name }, { op: 'truncate', file: name, size: 4 << 20 });
  ops.push({ op: 'write', file: FILES[0], offset: 0, len: 3 * PAGE, fill: 0x30 });
  let pins = 0;
  let labels = 0;
  let mapped: { label: string; proc: string; len: number }[] = [];
  const mmap = (proc: string, file: string, big: boolean, priv: boolean) => {
    const label = `m${labels++}`;
    const len = big ? 4 << 20 : 3 * PAGE;
    ops.push({ op: 'mmap', proc, file, length: len, as: label, flags: priv ? 'private' : 'shared' });
    mapped.push({ label, proc, len });
  };
  mmap('A', FILES[0], true, false);
  mmap('B', FILES[1], true, false);
  const pick = (n: number) => (mapped.length ? mapped[n % mapped.length] : null);
  for (const c of cmds) {
    switch (c.k) {
      case 'write':
        ops.push({ op: 'write', file: FILES[c.f], offset: c.page * PAGE + 100, len: c.len, fill: 0x41 + c.f });
        break;
      case 'mmap':
        mmap(PROCS[c.p], FILES[c.f], c.big, c.priv);
        break;
      case 'munmap': {
        const x = pick(c.m);
        if (!x) break;
        ops.push({ op: 'munmap', proc: x.proc, addr: { map: x.label }, length: x.len });
        mapped = mapped.filter((y) => y !== x);
        break;
      }
      case 'load':
      case 'store':
      case 'pin': {
        const x = pick(c.m);
        if (!x) break;
        const offset = (c.page * PAGE) % x.len;
        if (c.k === 'load') ops.push({ op: 'load', proc: x.proc, addr: { map: x.label, offset }, len: 8 });
        else if (c.k === 'store') ops.push({ op: 'store', proc: x.proc, addr: { map: x.label, offset: offset + 8 }, data: 'st' });
        else ops.push({ op: 'pin', proc: x.proc, addr: { map: x.label, offset }, as: `p${pins++}` });
        break;
      }
      case 'fsync':
        ops.push({ op: 'fsync', file: FILES[c.f] });
        break;
      case 'truncate':
        ops.push({ op: 'truncate', proc: 'T', file: FILES[c.f], size: c.pages * PAGE + (c.pages % 3) * 512 });
        break;
      case 'punch':
        ops.push({ op: 'punch', proc: 'T', file: FILES[c.f], offset: c.page * PAGE, length: c.pages * PAGE - 1 });
        break;
      case 'fallocate':
        ops.push({ op: 'fallocate', proc: 'T', file: FILES[c.f], offset: c.page * PAGE, length: c.pages * PAGE });
        break;
      case 'reflink':
        if (c.src !== c.dst) ops.push({ op: 'reflink', proc: 'T', src: FILES[c.src], dst: FILES[c.dst] });
        break;
      case 'unpin':
        if (c.n < pins) ops.push({ op: 'unpin', proc: 'A', pin: `p${c.n}` });
        break;
      case 'unlink':
        ops.push({ op: 'unlink', file: FILES[c.f] }, { op: 'create', file: FILES[c.f] }, { op: 'truncate', file: FILES[c.f], size: 4 << 20 });
        break;
      case 'crash':
        ops.push({ op: 'crash' });
        mapped = [];
        break;
    }
  }
  return ops;
}

describe('6.1 property: every violation is one 6.1 itself causes', () => {
  it('the documented rule lists', () => {
    expect(explainedRules('6.1')).toBe(KERNEL_61_EXPLAINED_RULES);
    expect(explainedRules('modern')).toBe(KERNEL_EXPLAINED_RULES);
    expect([...KERNEL_61_EXPLAINED_RULES].sort()).toEqual(['blk.free-and-mapped', 'dax.entry-vs-extent', 'dax.zero-entry-dirty', 'page.cow-orphan', 'page.cow-private', 'page.mapping', 'pin.free-block', 'pte.stale']);
  });

  for (const pmd of [false, true]) {
    it(`random operation sequences on the 6.1 model (PMD ${pmd ? 'on' : 'off'})`, () => {
      const allowed = new Set(KERNEL_61_EXPLAINED_RULES);
      fc.assert(
        fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 30 }), (cmds) => {
          const ops = toOps(cmds);
          const m = Machine.create({ version: 1, config: { kernel: '6.1', pmd }, ops }, { trace: false });
          if ('errors' in m) throw new Error(JSON.stringify(m.errors));
          for (let i = 0; i < ops.length; i++) {
            m.step();
            const bad = m.check().filter((v) => !allowed.has(v.rule));
            expect({ op: i, name: ops[i].op, bad }).toEqual({ op: i, name: ops[i].op, bad: [] });
          }
          // A pin that is never released keeps a truncate asleep; releasing every pin lets it finish.
          for (const label of [...m.pins.keys()]) m.exec({ op: 'unpin', proc: 'A', pin: label });
          expect(m.check().filter((v) => !allowed.has(v.rule))).toEqual([]);
          expect(warned(m).filter((w) => !KNOWN_61_WARNINGS.has(w))).toEqual([]);
        }),
        { seed: pmd ? 6101 : 61, numRuns: 150 },
      );
    });
  }
});
