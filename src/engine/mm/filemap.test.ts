import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PAGE_SIZE } from '../constants';
import { Machine } from '../machine';
import type { Scenario } from '../ops';
import type { Json, Step } from '../trace/steps';
import { xa_get_mark, xa_load, xa_for_each } from '../lib/xarray';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, PAGECACHE_TAG_WRITEBACK } from '../lib/pagecache-tags';
import { Folio } from './filemap';

type ScOp = Scenario['ops'][number];

function machine(ops: ScOp[], dax: 'always' | 'never' = 'never', trace = true): Machine {
  return new Machine({ version: 1, config: { dax }, ops }, { trace });
}

function run(ops: ScOp[], dax: 'always' | 'never' = 'never', trace = true): Machine {
  return machine(ops, dax, trace).run();
}

const ino = (m: Machine, name = 'f'): number => m.fs.lookup(name) as number;
const pagecacheAllocs = (m: Machine) => m.phys.allocations().filter((a) => a.use === 'pagecache');
const folioAt = (m: Machine, index: number, name = 'f') => xa_load(m.mapping(ino(m, name)).i_pages, index);
const text = (s: string) => new TextEncoder().encode(s);
const result = (m: Machine, i: number): Json => m.outcomes[i].result;
const pteOf = (m: Machine, proc: string, addr: number) => m.as.walk(m.as.proc(proc), addr)?.pte ?? null;
const labelAddr = (m: Machine, label: string) => m.labels.get(label)!.addr;
function stepsOf<K extends Step['t']>(m: Machine, t: K, op?: number): Extract<Step, { t: K }>[] {
  return m.steps.filter((s): s is Extract<Step, { t: K }> => s.t === t && (op === undefined || s.op === op));
}
const calls = (m: Machine, op?: number) => stepsOf(m, 'call', op).map((s) => s.fn);
/** What the media (not the CPU cache) holds for file bytes [pos, pos+len). */
function media(m: Machine, name: string, pos: number, len: number): Uint8Array {
  const dev = m.fs.devOffsetOf(ino(m, name), pos);
  if (dev === null) return new Uint8Array(len);
  return m.pmem.readMedia(dev, len);
}

const BASE: ScOp[] = [{ op: 'create', file: 'f' }];

describe('page-cache read fault', () => {
  it('allocates a DRAM page-cache folio with mapping/index set and a pointer entry in the XArray', () => {
    const m = run([
      ...BASE,
      { op: 'truncate', file: 'f', size: 4 * PAGE_SIZE },
      { op: 'mmap', proc: 'A', file: 'f', length: 4 * PAGE_SIZE, as: 'm' },
      { op: 'load', proc: 'A', addr: { map: 'm', offset: 2 * PAGE_SIZE }, len: 4 },
    ]);
    expect(result(m, 3)).toEqual({ bytes: 4, data: '\\x00\\x00\\x00\\x00' });
    const allocs = pagecacheAllocs(m);
    expect(allocs).toHaveLength(1);
    const pfn = allocs[0].pfn;
    expect(m.phys.isDramPfn(pfn)).toBe(true);
    const e = folioAt(m, 2);
    expect(e).toBeInstanceOf(Folio);
    expect((e as Folio).pfn).toBe(pfn);
    expect(m.pages.folioMapping(pfn)).toBe(ino(m));
    expect(m.pages.folioIndex(pfn)).toBe(2);
    expect(m.pages.testPageFlag(pfn, 'PG_uptodate')).toBe(true);
    expect(m.pages.testPageFlag(pfn, 'PG_locked')).toBe(false);
    expect(m.pages.folio_ref_count(pfn)).toBe(2); // the page cache + the PTE
    expect(m.pages.page_mapcount(pfn)).toBe(1);
    expect(m.mapping(ino(m)).nrpages).toBe(1);
    const pte = pteOf(m, 'A', labelAddr(m, 'm') + 2 * PAGE_SIZE)!;
    expect(pte).toMatchObject({ pfn, write: false, anon: false, special: false });
    // The steps say it: the XArray slot names the page, DRAM was allocated for the page cache.
    expect(stepsOf(m, 'xa_slot', 3).some((s) => JSON.stringify(s.new) === JSON.stringify({ page: pfn }))).toBe(true);
    expect(stepsOf(m, 'dram', 3)).toEqual([expect.objectContaining({ action: 'alloc', pfn, use: 'pagecache' })]);
    expect(stepsOf(m, 'inode', 3).filter((s) => s.field === 'nrpages')).toEqual([expect.objectContaining({ old: 0, new: 1 })]);
    expect(calls(m, 3)).toEqual(expect.arrayContaining(['filemap_fault', 'filemap_add_folio', 'filemap_read_folio']));
    expect(m.check()).toEqual([]);
  });

  it('a second fault on the same page is a page-cache hit: no new DRAM, one more reference', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'shared page' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE_SIZE, as: 'a' },
      { op: 'mmap', proc: 'B', file: 'f', length: PAGE_SIZE, as: 'b' },
      { op: 'load', proc: 'A', addr: { map: 'a' }, len: 6 },
      { op: 'load', proc: 'B', addr: { map: 'b' }, len: 6 },
    ]);
    expect(result(m, 5)).toEqual({ bytes: 6, data: 'shared' });
    expect(pagecacheAllocs(m)).toHaveLength(1);
    const pfn = pagecacheAllocs(m)[0].pfn;
    expect(pteOf(m, 'A', labelAddr(m, 'a'))!.pfn).toBe(pfn);
    expect(pteOf(m, 'B', labelAddr(m, 'b'))!.pfn).toBe(pfn);
    expect(m.pages.folio_ref_count(pfn)).toBe(3);
    expect(m.pages.page_mapcount(pfn)).toBe(2);
    expect(stepsOf(m, 'dram', 5)).toEqual([]);
    expect(m.check()).toEqual([]);
  });

  it('a fault beyond EOF is SIGBUS and creates no folio', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'x' },
      { op: 'mmap', proc: 'A', file: 'f', length: 2 * PAGE_SIZE, as: 'm' },
      { op: 'load', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE } },
    ]);
    expect(m.outcomes[3].status).toBe('signal');
    expect(folioAt(m, 1)).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(1);
  });

  it('munmap drops the PTE\'s reference and mapcount; the page cache keeps the folio', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'abc' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE_SIZE, as: 'm' },
      { op: 'load', proc: 'A', addr: { map: 'm' } },
      { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: PAGE_SIZE },
    ]);
    const pfn = pagecacheAllocs(m)[0].pfn;
    expect(m.pages.folio_ref_count(pfn)).toBe(1);
    expect(m.pages.page_mapcount(pfn)).toBe(0);
    expect(folioAt(m, 0)).toBeInstanceOf(Folio);
    expect(m.check()).toEqual([]);
  });
});

describe('page-cache write fault', () => {
  const scenario = (loadFirst: boolean): ScOp[] => [
    ...BASE,
    { op: 'truncate', file: 'f', size: 2 * PAGE_SIZE },
    { op: 'mmap', proc: 'A', file: 'f', length: 2 * PAGE_SIZE, as: 'm' },
    ...(loadFirst ? [{ op: 'load', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE } } as ScOp] : []),
    { op: 'store', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE + 5 }, data: 'dirty' },
  ];

  for (const loadFirst of [false, true]) {
    it(`a store dirties the folio (PG_dirty and the DIRTY mark) and gets it a block${loadFirst ? ' (read-only PTE first: do_wp_page)' : ' (no PTE yet: do_shared_fault)'}`, () => {
      const m = run(scenario(loadFirst));
      const last = m.outcomes.length - 1;
      expect(result(m, last)).toBe(5);
      const f = folioAt(m, 1) as Folio;
      expect(f).toBeInstanceOf(Folio);
      expect(m.pages.testPageFlag(f.pfn, 'PG_dirty')).toBe(true);
      expect(xa_get_mark(m.mapping(ino(m)).i_pages, 1, PAGECACHE_TAG_DIRTY)).toBe(true);
      expect(pteOf(m, 'A', labelAddr(m, 'm') + PAGE_SIZE)).toMatchObject({ pfn: f.pfn, write: true, dirty: true, anon: false });
      expect(m.pages.folio_ref_count(f.pfn)).toBe(2);
      expect(m.pages.page_mapcount(f.pfn)).toBe(1);
      // The hole got a block (allocated at once in the model, unwritten until written back).
      expect(m.fs.devOffsetOf(ino(m), PAGE_SIZE)).not.toBeNull();
      expect(m.fs.isUnwrittenAt(ino(m), PAGE_SIZE)).toBe(true);
      expect(calls(m, last)).toEqual(expect.arrayContaining(['iomap_page_mkwrite', 'folio_mark_dirty']));
      // The data is in DRAM only.
      expect(new TextDecoder().decode(m.phys.readDram(f.pfn, 5, 5))).toBe('dirty');
      expect(media(m, 'f', PAGE_SIZE + 5, 5)).toEqual(new Uint8Array(5));
      expect(m.check()).toEqual([]);
    });
  }

  it('fsync writes the folio to its block (the media has the bytes), cleans it and write-protects the PTE', () => {
    const m = machine([...scenario(false), { op: 'fsync', proc: 'A', file: 'f' }]);
    m.run();
    const fsyncOp = m.outcomes.length - 1;
    expect(result(m, fsyncOp)).toBe(0);
    const f = folioAt(m, 1) as Folio;
    expect(new TextDecoder().decode(media(m, 'f', PAGE_SIZE + 5, 5))).toBe('dirty');
    expect(m.fs.isUnwrittenAt(ino(m), PAGE_SIZE)).toBe(false);
    expect(m.pages.testPageFlag(f.pfn, 'PG_dirty')).toBe(false);
    expect(m.pages.testPageFlag(f.pfn, 'PG_writeback')).toBe(false);
    const xa = m.mapping(ino(m)).i_pages;
    for (const mark of [PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, PAGECACHE_TAG_WRITEBACK]) expect(xa_get_mark(xa, 1, mark)).toBe(false);
    expect(pteOf(m, 'A', labelAddr(m, 'm') + PAGE_SIZE)).toMatchObject({ write: false, dirty: false });
    // The folio stays cached and the block I/O is narrated.
    expect(folioAt(m, 1)).toBe(f);
    expect(stepsOf(m, 'note', fsyncOp).some((s) => /block I\/O/.test(s.text))).toBe(true);
    expect(calls(m, fsyncOp)).toEqual(expect.arrayContaining(['tag_pages_for_writeback', 'iomap_writepages', 'folio_clear_dirty_for_io', 'folio_mkclean', 'xfs_end_ioend']));
    expect(m.check()).toEqual([]);
    // The next store faults again and re-dirties the folio.
    m.exec({ op: 'store', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE }, data: 'again' });
    expect(m.pages.testPageFlag(f.pfn, 'PG_dirty')).toBe(true);
    expect(xa_get_mark(xa, 1, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(calls(m, m.tr.currentOp)).toContain('iomap_page_mkwrite');
  });

  it('msync(MS_SYNC) of the mapping writes the dirty folio back too', () => {
    const m = run([...scenario(false), { op: 'msync', proc: 'A', addr: { map: 'm' }, length: 2 * PAGE_SIZE }]);
    expect(new TextDecoder().decode(media(m, 'f', PAGE_SIZE + 5, 5))).toBe('dirty');
    expect(m.pages.testPageFlag((folioAt(m, 1) as Folio).pfn, 'PG_dirty')).toBe(false);
  });

  it('a MAP_PRIVATE store copies the folio into an anonymous page; the file and its folio stay clean', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'original' },
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE_SIZE, flags: 'private', as: 'p' },
      { op: 'store', proc: 'A', addr: { map: 'p' }, data: 'PRIVATE' },
      { op: 'load', proc: 'A', addr: { map: 'p' }, len: 8 },
      { op: 'read', proc: 'A', file: 'f', offset: 0, len: 8 },
    ]);
    expect(result(m, 5)).toEqual({ bytes: 8, data: 'PRIVATEl' });
    expect(result(m, 6)).toEqual({ bytes: 8, data: 'original' });
    const f = folioAt(m, 0) as Folio;
    const pte = pteOf(m, 'A', labelAddr(m, 'p'))!;
    expect(pte.anon).toBe(true);
    expect(pte.pfn).not.toBe(f.pfn);
    expect(m.pages.testPageFlag(f.pfn, 'PG_dirty')).toBe(false);
    expect(m.pages.folio_ref_count(f.pfn)).toBe(1); // the copy does not map the folio
    expect(stepsOf(m, 'ret', 4).some((s) => s.fn === 'filemap_fault' && String(s.result).includes('DONE_COW'))).toBe(true);
    expect(m.check()).toEqual([]);
  });
  it('a MAP_PRIVATE load then store: wp_page_copy replaces the read-only PTE to the folio and drops its reference', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'original' },
      { op: 'mmap', proc: 'B', file: 'f', length: PAGE_SIZE, flags: 'private', as: 'p' },
      { op: 'load', proc: 'B', addr: { map: 'p' } },
      { op: 'store', proc: 'B', addr: { map: 'p' }, data: 'O' },
      { op: 'read', proc: 'A', file: 'f', offset: 0, len: 8 },
    ]);
    expect(result(m, 5)).toEqual({ bytes: 8, data: 'original' });
    const f = folioAt(m, 0) as Folio;
    expect(m.pages.folio_ref_count(f.pfn)).toBe(1);
    expect(m.pages.page_mapcount(f.pfn)).toBe(0);
    expect(pteOf(m, 'B', labelAddr(m, 'p'))).toMatchObject({ anon: true, write: true });
    expect(m.check()).toEqual([]);
  });
});

describe('media errors', () => {
  it('a block read from a poisoned block fails: read(2) gets EIO, a load SIGBUS, and no folio stays behind', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 0x61, len: 2 * PAGE_SIZE },
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'crash' },
      { op: 'poison', file: 'f', offset: PAGE_SIZE },
      { op: 'read', proc: 'A', file: 'f', offset: PAGE_SIZE, len: 10 },
      { op: 'mmap', proc: 'A', file: 'f', length: 2 * PAGE_SIZE, as: 'm' },
      { op: 'load', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE } },
      { op: 'load', proc: 'A', addr: { map: 'm' }, len: 4 },
    ]);
    expect(result(m, 5)).toMatchObject({ errno: 'EIO' });
    expect(m.outcomes[7].status).toBe('signal');
    expect(result(m, 8)).toEqual({ bytes: 4, data: 'aaaa' });
    expect(folioAt(m, 1)).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(1);
    expect(m.check()).toEqual([]);
  });
});

describe('read(2) and write(2) through the page cache', () => {
  it('write(2) then read(2) round-trips; the data sits in dirty DRAM folios, not on the media', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 4080, data: 'across a page boundary' },
      { op: 'read', proc: 'A', file: 'f', offset: 4070, len: 100 },
    ]);
    expect(result(m, 1)).toBe(22);
    expect(m.fs.size(ino(m))).toBe(4102);
    expect(result(m, 2)).toEqual({ bytes: 32, data: '\\x00'.repeat(10) + 'across a page boundary' });
    expect(pagecacheAllocs(m)).toHaveLength(2);
    for (const i of [0, 1]) {
      const f = folioAt(m, i) as Folio;
      expect(m.pages.testPageFlag(f.pfn, 'PG_dirty')).toBe(true);
      expect(m.pages.testPageFlag(f.pfn, 'PG_uptodate')).toBe(true);
      expect(xa_get_mark(m.mapping(ino(m)).i_pages, i, PAGECACHE_TAG_DIRTY)).toBe(true);
    }
    expect(media(m, 'f', 4080, 16)).toEqual(new Uint8Array(16));
    expect(media(m, 'f', 4096, 6)).toEqual(new Uint8Array(6));
    expect(calls(m, 1)).toEqual(expect.arrayContaining(['xfs_file_buffered_write', 'iomap_write_begin', 'iomap_write_end', 'folio_mark_dirty']));
    expect(calls(m, 2)).toEqual(expect.arrayContaining(['xfs_file_buffered_read', 'filemap_read', 'filemap_get_pages']));
    expect(m.check()).toEqual([]);
  });

  it('a partial-page write into an uncached page reads the old block first', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 0x41, len: PAGE_SIZE },
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'crash' }, // empties the page cache; the data is durable
      { op: 'write', proc: 'A', file: 'f', offset: 10, data: 'xy' },
      { op: 'read', proc: 'A', file: 'f', offset: 8, len: 6 },
    ]);
    expect(result(m, 5)).toEqual({ bytes: 6, data: 'AAxyAA' });
    expect(stepsOf(m, 'note', 4).some((s) => /partial-page write/.test(s.text))).toBe(true);
    expect(m.check()).toEqual([]);
  });

  it('read(2) of a hole creates a zeroed folio; reading past EOF stops at EOF', () => {
    const m = run([
      ...BASE,
      { op: 'truncate', file: 'f', size: 100 },
      { op: 'read', proc: 'A', file: 'f', offset: 90, len: 50 },
      { op: 'read', proc: 'A', file: 'f', offset: 200, len: 5 },
    ]);
    expect(result(m, 2)).toEqual({ bytes: 10, data: '\\x00'.repeat(10) });
    expect(result(m, 3)).toEqual({ bytes: 0, data: '' });
    expect(folioAt(m, 0)).toBeInstanceOf(Folio);
  });

  it('a store through mmap is seen by read(2) at once: both use the same DRAM folio', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: '..........' },
      { op: 'mmap', proc: 'B', file: 'f', length: PAGE_SIZE, as: 'm' },
      { op: 'store', proc: 'B', addr: { map: 'm', offset: 2 }, data: 'BB' },
      { op: 'read', proc: 'A', file: 'f', offset: 0, len: 10 },
      { op: 'write', proc: 'A', file: 'f', offset: 6, data: 'AA' },
      { op: 'load', proc: 'B', addr: { map: 'm' }, len: 10 },
    ]);
    expect(result(m, 4)).toEqual({ bytes: 10, data: '..BB......' });
    expect(result(m, 6)).toEqual({ bytes: 10, data: '..BB..AA..' });
    expect(pagecacheAllocs(m)).toHaveLength(1);
    expect(m.check()).toEqual([]);
  });
});

describe('bytes past EOF in the last folio', () => {
  const storePastEof: ScOp[] = [
    ...BASE,
    { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'abc' },
    { op: 'mmap', proc: 'A', file: 'f', length: PAGE_SIZE, as: 'm' },
    { op: 'store', proc: 'A', addr: { map: 'm', offset: 10 }, data: 'XYZ' }, // past EOF, inside the page
  ];

  it('a write(2) that starts past EOF reads zeros in the gap, even where a store left bytes past EOF', () => {
    const m = run([...storePastEof, { op: 'write', proc: 'A', file: 'f', offset: 20, data: 'w' }, { op: 'read', proc: 'A', file: 'f', offset: 0, len: 30 }]);
    expect(result(m, 3)).toBe(3);
    expect(result(m, 5)).toEqual({ bytes: 21, data: 'abc' + '\\x00'.repeat(17) + 'w' });
    expect(m.check()).toEqual([]);
  });

  it('a write(2) far past EOF zeroes the old EOF folio past the old EOF too', () => {
    const m = run([...storePastEof, { op: 'write', proc: 'A', file: 'f', offset: 2 * PAGE_SIZE, data: 'w' }, { op: 'read', proc: 'A', file: 'f', offset: 0, len: 16 }]);
    expect(result(m, 5)).toEqual({ bytes: 16, data: 'abc' + '\\x00'.repeat(13) });
    expect(m.fs.size(ino(m))).toBe(2 * PAGE_SIZE + 1);
  });

  it('zeroRange (for truncate up) clears what a store left past the old EOF', () => {
    const m = run([...storePastEof, { op: 'truncate', proc: 'A', file: 'f', size: 100 }]);
    expect(m.pagecache.zeroRange(ino(m), 3, 97, 'A').next().done).toBe(true);
    const r = m.exec({ op: 'read', proc: 'A', file: 'f', offset: 0, len: 16 }).result;
    expect(r).toEqual({ bytes: 16, data: 'abc' + '\\x00'.repeat(13) });
    expect(calls(m, 4)).toContain('iomap_zero_range');
  });

  it('writeback zeroes the folio past EOF, so after a crash the mapped page shows zeros there', () => {
    const m = run([
      ...storePastEof,
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'crash' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE_SIZE, as: 'm2' },
      { op: 'load', proc: 'A', addr: { map: 'm2' }, len: 16 },
    ]);
    expect(result(m, 7)).toEqual({ bytes: 16, data: 'abc' + '\\x00'.repeat(13) });
    expect(media(m, 'f', 10, 3)).toEqual(new Uint8Array(3));
  });
});

describe('power failure', () => {
  it('a crash before fsync loses page-cache data on dax=never but not on dax=always', () => {
    const ops: ScOp[] = [
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'durable?' },
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'LOST' },
      { op: 'crash' },
      { op: 'read', proc: 'A', file: 'f', offset: 0, len: 8 },
    ];
    const never = run(ops, 'never');
    expect(result(never, 5)).toEqual({ bytes: 8, data: 'durable?' });
    expect(pagecacheAllocs(never)).toHaveLength(1); // only the folio read after the crash
    const dax = run(ops, 'always');
    expect(result(dax, 5)).toEqual({ bytes: 8, data: 'LOSTble?' });
    expect(pagecacheAllocs(dax)).toHaveLength(0);
  });

  it('dropAll empties every XArray with steps and frees the DRAM, mapped and dirty folios included', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 1, len: 3 * PAGE_SIZE },
      { op: 'mmap', proc: 'A', file: 'f', length: 3 * PAGE_SIZE, as: 'm' },
      { op: 'store', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE }, data: 'z' },
      { op: 'pin', proc: 'A', addr: { map: 'm' } },
      { op: 'crash' },
    ]);
    expect(pagecacheAllocs(m)).toEqual([]);
    expect(m.mapping(ino(m)).nrpages).toBe(0);
    expect([...xa_for_each(m.mapping(ino(m)).i_pages)]).toEqual([]);
    expect(stepsOf(m, 'dram', 5).filter((s) => s.action === 'free' && s.use === 'pagecache')).toHaveLength(3);
    expect(stepsOf(m, 'xa_slot', 5).filter((s) => s.new === null).length).toBeGreaterThanOrEqual(3);
    expect(stepsOf(m, 'warn', 5)).toEqual([]);
    // Nothing was fsynced: the file is empty again after log recovery.
    expect(m.fs.size(ino(m))).toBe(0);
    expect(m.check()).toEqual([]);
  });
});

describe('truncate and hole punch', () => {
  it('truncate removes the folios beyond the new EOF, unmaps them and frees their DRAM; dirty data is dropped', () => {
    const m = run([
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 7, len: 3 * PAGE_SIZE },
      { op: 'mmap', proc: 'A', file: 'f', length: 3 * PAGE_SIZE, as: 'm' },
      { op: 'load', proc: 'A', addr: { map: 'm', offset: 2 * PAGE_SIZE } },
      { op: 'truncate', proc: 'A', file: 'f', size: PAGE_SIZE },
      { op: 'load', proc: 'A', addr: { map: 'm', offset: 2 * PAGE_SIZE } },
    ]);
    expect(m.mapping(ino(m)).nrpages).toBe(1);
    expect([...xa_for_each(m.mapping(ino(m)).i_pages)].map(([i]) => i)).toEqual([0]);
    expect(pagecacheAllocs(m)).toHaveLength(1);
    expect(pteOf(m, 'A', labelAddr(m, 'm') + 2 * PAGE_SIZE)).toBeNull();
    expect(m.outcomes[5].status).toBe('signal');
    expect(calls(m, 4)).toContain('truncate_inode_pages_range');
    expect(stepsOf(m, 'note', 4).some((s) => /folio_cancel_dirty/.test(s.text))).toBe(true);
    expect(m.check()).toEqual([]);
  });

  it('with byte bounds a partly covered folio is zeroed over the range and kept', () => {
    const m = run([...BASE, { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 0x61, len: 2 * PAGE_SIZE }]);
    const f0 = folioAt(m, 0) as Folio;
    const g = m.pagecache.truncateRange(ino(m), 0, 1, 'A', { start: 100, end: PAGE_SIZE + 99 });
    expect(g.next().done).toBe(true);
    expect(folioAt(m, 0)).toBe(f0);
    expect(folioAt(m, 1)).toBeInstanceOf(Folio);
    expect(m.phys.readDram(f0.pfn, 98, 4)).toEqual(new Uint8Array([0x61, 0x61, 0, 0]));
    const f1 = folioAt(m, 1) as Folio;
    expect(m.phys.readDram(f1.pfn, 98, 4)).toEqual(new Uint8Array([0, 0, 0x61, 0x61]));
    // A truncate to 10 bytes: the EOF folio keeps 10 bytes and is zeroed after them, even
    // though the index range starts at the next page; the next folio goes.
    expect(m.pagecache.truncateRange(ino(m), 1, Number.MAX_SAFE_INTEGER, 'A', { start: 10, end: Number.MAX_SAFE_INTEGER }).next().done).toBe(true);
    expect(folioAt(m, 0)).toBe(f0);
    expect(folioAt(m, 1)).toBeNull();
    expect(m.phys.readDram(f0.pfn, 8, 4)).toEqual(new Uint8Array([0x61, 0x61, 0, 0]));
    expect(m.phys.readDram(f0.pfn, PAGE_SIZE - 1, 1)).toEqual(new Uint8Array([0]));
    // Without bounds every folio in the index range goes.
    expect(m.pagecache.truncateRange(ino(m), 0, 1, 'A').next().done).toBe(true);
    expect(m.mapping(ino(m)).nrpages).toBe(0);
    expect(pagecacheAllocs(m)).toEqual([]);
  });
});

describe('reflinked blocks', () => {
  it('a dirty folio over a shared block is written to a fresh copy at writeback; the other file keeps the old data', () => {
    const m = run([
      { op: 'create', file: 'a' },
      { op: 'create', file: 'b' },
      { op: 'write', proc: 'A', file: 'a', offset: 0, fill: 0x61, len: 2 * PAGE_SIZE },
      { op: 'fsync', proc: 'A', file: 'a' },
      { op: 'reflink', proc: 'A', src: 'a', dst: 'b' },
      { op: 'write', proc: 'A', file: 'b', offset: 100, data: 'BBBB' }, // partial page: read from the shared block
      { op: 'mmap', proc: 'A', file: 'b', length: 2 * PAGE_SIZE, as: 'm' },
      { op: 'store', proc: 'A', addr: { map: 'm', offset: PAGE_SIZE + 7 }, data: 'SS' },
      { op: 'fsync', proc: 'A', file: 'b' },
      { op: 'crash' },
      { op: 'read', proc: 'A', file: 'a', offset: 98, len: 8 },
      { op: 'read', proc: 'A', file: 'b', offset: 98, len: 8 },
      { op: 'read', proc: 'A', file: 'a', offset: PAGE_SIZE + 5, len: 6 },
      { op: 'read', proc: 'A', file: 'b', offset: PAGE_SIZE + 5, len: 6 },
    ]);
    expect(result(m, 10)).toEqual({ bytes: 8, data: 'aaaaaaaa' });
    expect(result(m, 11)).toEqual({ bytes: 8, data: 'aaBBBBaa' });
    expect(result(m, 12)).toEqual({ bytes: 6, data: 'aaaaaa' });
    expect(result(m, 13)).toEqual({ bytes: 6, data: 'aaSSaa' });
    expect(m.fs.devOffsetOf(ino(m, 'a'), 0)).not.toBe(m.fs.devOffsetOf(ino(m, 'b'), 0));
    expect(stepsOf(m, 'refcount', 8).length).toBe(2);
    expect(m.check()).toEqual([]);
  });
});

describe('DAX against the page cache', () => {
  const ops: ScOp[] = [
    ...BASE,
    { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 3, len: 4 * PAGE_SIZE },
    { op: 'mmap', proc: 'A', file: 'f', length: 4 * PAGE_SIZE, as: 'm' },
    ...[0, 1, 2, 3].map((i) => ({ op: 'load', proc: 'A', addr: { map: 'm', offset: i * PAGE_SIZE } }) as ScOp),
    { op: 'read', proc: 'B', file: 'f', offset: 0, len: 4 * PAGE_SIZE },
    { op: 'fsync', proc: 'A', file: 'f' },
  ];

  it('the same scenario uses 4 page-cache DRAM pages on dax=never and none on dax=always', () => {
    const never = run(ops, 'never');
    const always = run(ops, 'always');
    expect(pagecacheAllocs(never)).toHaveLength(4);
    expect(pagecacheAllocs(always)).toHaveLength(0);
    // Both read the same bytes.
    expect(result(never, 7)).toEqual(result(always, 7));
    // On dax=never the PTEs point into DRAM; on dax=always into pmem.
    const a = labelAddr(never, 'm');
    expect(never.phys.isDramPfn(pteOf(never, 'A', a)!.pfn)).toBe(true);
    expect(always.phys.isPmemPfn(pteOf(always, 'A', labelAddr(always, 'm'))!.pfn)).toBe(true);
    expect(never.check()).toEqual([]);
    expect(always.check()).toEqual([]);
  });

  it('runs with tracing off and ends in the same state', () => {
    const on = run(ops, 'never', true);
    const off = run(ops, 'never', false);
    expect(off.steps).toEqual([]);
    expect(off.dumpState()).toEqual(on.dumpState());
  });
});

describe('kernel versions', () => {
  it('the page-cache path behaves the same on the 6.1 model (DRAM pages count references on both)', () => {
    const ops: ScOp[] = [
      ...BASE,
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'hello' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE_SIZE, as: 'm' },
      { op: 'store', proc: 'A', addr: { map: 'm', offset: 1 }, data: 'E' },
      { op: 'mmap', proc: 'B', file: 'f', length: PAGE_SIZE, flags: 'private', as: 'p' },
      { op: 'store', proc: 'B', addr: { map: 'p' }, data: 'J' },
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: PAGE_SIZE },
      { op: 'read', proc: 'A', file: 'f', offset: 0, len: 5 },
    ];
    const states = (['modern', '6.1'] as const).map((kernel) => {
      const m = new Machine({ version: 1, config: { dax: 'never', kernel }, ops }).run();
      expect(result(m, 8)).toEqual({ bytes: 5, data: 'hEllo' });
      const f = folioAt(m, 0) as Folio;
      expect(m.pages.folio_ref_count(f.pfn)).toBe(1);
      expect(new TextDecoder().decode(media(m, 'f', 0, 5))).toBe('hEllo');
      expect(m.check()).toEqual([]);
      const { config: _config, ...rest } = m.dumpState() as { [k: string]: Json };
      return rest;
    });
    expect(states[1]).toEqual(states[0]);
  });
});

describe('property: the page cache is a faithful cache of the file', () => {
  type Act =
    | { k: 'write'; off: number; data: string }
    | { k: 'read'; off: number; len: number }
    | { k: 'fsync' }
    | { k: 'store'; off: number; data: string }
    | { k: 'crash' }
    | { k: 'truncate'; size: number };
  const SPAN = 3 * PAGE_SIZE;
  // Positions cluster around page boundaries, where partial pages and EOF folios live.
  const pos = fc.oneof(
    fc.integer({ min: 0, max: SPAN - 1 }),
    fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -40, max: 40 })).map(([p, d]) => Math.min(SPAN - 1, Math.max(0, p * PAGE_SIZE + d))),
  );
  const act: fc.Arbitrary<Act> = fc.oneof(
    fc.record({ k: fc.constant('write' as const), off: pos, data: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'Z'), minLength: 1, maxLength: 60 }) }),
    fc.record({ k: fc.constant('read' as const), off: pos, len: fc.integer({ min: 0, max: 200 }) }),
    fc.record({ k: fc.constant('store' as const), off: pos, data: fc.string({ unit: fc.constantFrom('s', 't'), minLength: 1, maxLength: 30 }) }),
    fc.record({ k: fc.constant('truncate' as const), size: pos }),
    fc.constant({ k: 'fsync' as const }),
    fc.constant({ k: 'crash' as const }),
  );

  it('reads return what the last writes and stores left; a crash goes back to the last fsync', () => {
    fc.assert(
      fc.property(fc.array(act, { minLength: 1, maxLength: 30 }), (acts) => {
        const m = new Machine({ version: 1, config: { dax: 'never' }, ops: [{ op: 'create', file: 'f' }, { op: 'fsync', file: 'f' }] }, { trace: false }).run();
        let model: Uint8Array = new Uint8Array(0);
        let durable: Uint8Array = new Uint8Array(0);
        // Bytes XFS may have zeroed on the device since the last fsync (the tail of the EOF
        // block on truncate, [old EOF, new EOF) on growth): after a crash they read as their
        // durable value or as zero.
        let zeroed = new Uint8Array(SPAN + PAGE_SIZE);
        let mapped = false;
        const put = (off: number, bytes: Uint8Array) => {
          model = growTo(model, off + bytes.length);
          model.set(bytes, off);
        };
        for (const a of acts) {
          switch (a.k) {
            case 'write':
              zeroed.fill(1, Math.min(a.off, model.length), a.off);
              expect(m.exec({ op: 'write', proc: 'A', file: 'f', offset: a.off, data: a.data }).result).toBe(a.data.length);
              put(a.off, text(a.data));
              break;
            case 'read': {
              const r = m.exec({ op: 'read', proc: 'A', file: 'f', offset: a.off, len: a.len }).result as { bytes: number; data: string };
              const want = model.subarray(Math.min(a.off, model.length), Math.min(a.off + a.len, model.length));
              expect(r).toEqual({ bytes: want.length, data: escaped(want) });
              break;
            }
            case 'store': {
              // Any byte of the pages that hold the file may be stored to; bytes past EOF in
              // the last page land in the folio but are not part of the file.
              const pages = Math.ceil(model.length / PAGE_SIZE);
              if (pages === 0) break;
              const off = a.off % (pages * PAGE_SIZE);
              const data = a.data.slice(0, PAGE_SIZE - (off % PAGE_SIZE));
              if (!mapped) {
                m.exec({ op: 'mmap', proc: 'M', file: 'f', length: SPAN + PAGE_SIZE, as: 'map' });
                mapped = true;
              }
              expect(m.exec({ op: 'store', proc: 'M', addr: { map: 'map', offset: off }, data }).result).toBe(data.length);
              const inside = text(data).subarray(0, Math.max(0, Math.min(data.length, model.length - off)));
              if (inside.length) model.set(inside, off);
              break;
            }
            case 'truncate': {
              const old = m.fs.size(ino(m));
              expect(m.exec({ op: 'truncate', proc: 'A', file: 'f', size: a.size }).result).toBe(0);
              // What Machine.sys_truncate is asked to do (see the report): zero the EOF folio
              // past the new size on a shrink, and the old EOF folio's [old, new) on growth.
              const g = a.size < old
                ? m.pagecache.truncateRange(ino(m), Math.ceil(a.size / PAGE_SIZE), Number.MAX_SAFE_INTEGER, 'A', { start: a.size, end: Number.MAX_SAFE_INTEGER })
                : m.pagecache.zeroRange(ino(m), old, a.size - old, 'A');
              expect(g.next().done).toBe(true);
              if (a.size < old) zeroed.fill(1, a.size, Math.ceil(a.size / PAGE_SIZE) * PAGE_SIZE);
              else zeroed.fill(1, old, a.size);
              model = a.size < model.length ? model.slice(0, a.size) : growTo(model, a.size);
              break;
            }
            case 'fsync':
              expect(m.exec({ op: 'fsync', proc: 'A', file: 'f' }).result).toBe(0);
              durable = model.slice();
              zeroed = new Uint8Array(zeroed.length);
              break;
            case 'crash': {
              m.exec({ op: 'crash' });
              mapped = false;
              expect(pagecacheAllocs(m)).toEqual([]);
              expect(m.fs.size(ino(m))).toBe(durable.length);
              const got = readWholeFile(m, durable.length);
              for (let i = 0; i < durable.length; i++) if (got[i] !== durable[i] && !(zeroed[i] && got[i] === 0)) expect({ at: i, got: got[i] }).toEqual({ at: i, got: durable[i] });
              model = got;
              durable = got.slice();
              zeroed = new Uint8Array(zeroed.length);
              break;
            }
          }
          expect(m.fs.size(ino(m))).toBe(model.length);
          expect(m.check()).toEqual([]);
        }
        expectWholeFile(m, model);
        // And after a final fsync and power failure, the device has exactly the file.
        m.exec({ op: 'fsync', proc: 'A', file: 'f' });
        m.exec({ op: 'crash' });
        expectWholeFile(m, model);
      }),
      { seed: 20261121, numRuns: 80 },
    );
  });
});

function escaped(b: Uint8Array): string {
  return [...b].map((c) => (c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0'))).join('');
}

/** read(2) of `len` bytes from 0, as bytes. */
function readWholeFile(m: Machine, len: number): Uint8Array {
  const r = m.exec({ op: 'read', proc: 'V', file: 'f', offset: 0, len: len + 1 }).result as { bytes: number; data: string };
  const out: number[] = [];
  for (let i = 0; i < r.data.length; ) {
    if (r.data[i] === '\\' && r.data[i + 1] === 'x') {
      out.push(parseInt(r.data.slice(i + 2, i + 4), 16));
      i += 4;
    } else out.push(r.data.charCodeAt(i++));
  }
  expect(out.length).toBe(r.bytes);
  return new Uint8Array(out);
}

/** read(2) of the whole file returns exactly `want`. */
function expectWholeFile(m: Machine, want: Uint8Array): void {
  const r = m.exec({ op: 'read', proc: 'V', file: 'f', offset: 0, len: want.length + 1 }).result as { bytes: number; data: string };
  expect(r).toEqual({ bytes: want.length, data: escaped(want) });
}

function growTo(b: Uint8Array, n: number): Uint8Array {
  if (b.length >= n) return b;
  const out = new Uint8Array(n);
  out.set(b);
  return out;
}
