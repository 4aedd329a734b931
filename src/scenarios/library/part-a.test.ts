/**
 * Part A of the guided library: every tour runs cleanly, and each tells the story its narration
 * promises. The checks read the engine's step stream (src/engine/trace/steps.ts) and final state.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine';
import type { Step } from '../../engine/trace/steps';
import { VM_FAULT_FALLBACK, VM_FAULT_NEEDDSYNC } from '../../engine/fs/dax';
import { LIBRARY } from './index';
import { PART_A } from './part-a';

function run(name: string): Machine {
  const tour = LIBRARY.find((t) => t.name === name);
  if (!tour) throw new Error(`no tour ${name}`);
  const m = Machine.create(tour.scenario);
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  m.run();
  return m;
}

/** Steps of operation `op` (0-based), of kind `t`. */
function stepsOf<K extends Step['t']>(m: Machine, t: K, op?: number): Extract<Step, { t: K }>[] {
  return m.steps.filter((s): s is Extract<Step, { t: K }> => s.t === t && (op === undefined || s.op === op));
}
const tps = (m: Machine, name: string, op?: number) => stepsOf(m, 'tp', op).filter((s) => s.name === name);
const notes = (m: Machine, op?: number) => stepsOf(m, 'note', op).map((s) => s.text);
const dataOf = (m: Machine, op: number) => (m.outcomes[op].result as { data: string }).data;

describe('guided library, part A', () => {
  it('every tour parses, is narrated, has 3-6 chapters and fits the share-link budget', () => {
    expect(PART_A.length).toBeGreaterThanOrEqual(7);
    for (const def of PART_A) {
      const tour = LIBRARY.find((t) => t.name === def.name)!;
      expect(tour, def.name).toBeDefined();
      expect(def.text.length, def.name).toBeLessThanOrEqual(3000);
      expect(tour.scenario.config, def.name).toBeDefined();
      expect(tour.chapters.length, def.name).toBeGreaterThanOrEqual(3);
      expect(tour.chapters.length, def.name).toBeLessThanOrEqual(6);
      for (const op of tour.scenario.ops) expect(op.note, `${def.name}: ${op.op}`).toMatch(/\S/);
    }
  });

  it('covers each of its topics with a tour that lists it', () => {
    const topics = new Set(PART_A.flatMap((t) => t.topics));
    for (const id of ['xip-direct', 'pagecache-vs-dax', 'hole-zero-page', 'write-fault', 'pmd-fault', 'dirty-fsync', 'map-sync'])
      expect(topics.has(id as (typeof PART_A)[number]['topics'][number]), id).toBe(true);
  });

  for (const def of PART_A) {
    it(`${def.name}: no operation fails, no invariant breaks, nothing is left pending`, () => {
      const tour = LIBRARY.find((t) => t.name === def.name)!;
      const m = Machine.create(tour.scenario);
      if ('errors' in m) throw new Error(JSON.stringify(m.errors));
      tour.scenario.ops.forEach((op, i) => {
        const o = m.step();
        expect(o.status, `${def.name} op ${i} (${op.op}): ${JSON.stringify(o.result)}`).toBe('done');
        expect(m.check(), `${def.name} after op ${i}`).toEqual([]);
      });
      expect(m.pending).toHaveLength(0);
      expect(m.warnings).toEqual([]);
    });
  }

  it('dax-direct: read/write copy to pmem, a load maps the pmem pfn, i_pages holds a value entry, no DRAM page', () => {
    const m = run('dax-direct');
    // op 1 write(2): straight to the media, no XArray entry.
    expect(stepsOf(m, 'media', 1).length).toBeGreaterThan(0);
    expect(stepsOf(m, 'xa_slot', 1)).toEqual([]);
    expect(stepsOf(m, 'xa_slot', 2)).toEqual([]);
    // No DRAM page other than the boot-time zero page.
    expect(stepsOf(m, 'dram').filter((s) => s.action === 'alloc' && s.use !== 'zero-page')).toEqual([]);
    // op 4 load: the PTE maps pmem, and the entry is a value naming that pfn.
    const pte = stepsOf(m, 'pte', 4).find((s) => s.new)!;
    expect(pte.new!.pfn).toBeGreaterThanOrEqual(m.phys.pmemStartPfn);
    expect(stepsOf(m, 'xa_slot').every((s) => s.new === null || 'value' in s.new)).toBe(true);
    // op 6 fsync: a cache-line flush, not a page copy.
    expect(stepsOf(m, 'cache', 6).some((s) => s.action === 'flush')).toBe(true);
    expect(stepsOf(m, 'media', 6)).toEqual([]);
  });

  it('pagecache-twin: the same steps on dax=never use a DRAM folio, a pointer entry and a page copy at fsync', () => {
    const m = run('pagecache-twin');
    const dax = LIBRARY.find((t) => t.name === 'dax-direct')!.scenario.ops.map((o) => ({ ...o, note: undefined }));
    expect(LIBRARY.find((t) => t.name === 'pagecache-twin')!.scenario.ops.map((o) => ({ ...o, note: undefined }))).toEqual(dax);
    expect(stepsOf(m, 'dram', 1).some((s) => s.action === 'alloc' && s.use === 'pagecache')).toBe(true);
    expect(stepsOf(m, 'xa_slot', 1).some((s) => s.new !== null && 'page' in s.new)).toBe(true);
    expect(stepsOf(m, 'media', 1)).toEqual([]);
    expect(stepsOf(m, 'page', 1).some((s) => s.field === 'flags' && JSON.stringify(s.new).includes('PG_dirty'))).toBe(true);
    const pte = stepsOf(m, 'pte', 4).find((s) => s.new)!;
    expect(pte.new!.pfn).toBeLessThan(m.phys.pmemStartPfn);
    // fsync: PG_writeback (mark 1) and a whole-page copy to the device.
    expect(stepsOf(m, 'xa_mark', 6).some((s) => s.mark === 1 && s.set)).toBe(true);
    expect(stepsOf(m, 'media', 6).some((s) => s.len === 4096)).toBe(true);
  });

  it('read-hole: zero-page PTEs and ZERO_PAGE entries, no allocation; read(2) of a hole adds no entry', () => {
    const m = run('read-hole');
    expect(stepsOf(m, 'blk').filter((s) => s.action === 'alloc')).toEqual([]);
    expect(tps(m, 'dax_load_hole')).toHaveLength(2);
    const ptes = stepsOf(m, 'pte').filter((s) => s.new);
    expect(ptes).toHaveLength(2);
    for (const p of ptes) expect(p.new!.pfn).toBe(m.phys.zeroPagePfn);
    // The third load (op 5) does not fault at all.
    expect(stepsOf(m, 'call', 5)).toEqual([]);
    expect(stepsOf(m, 'xa_slot', 6)).toEqual([]);
    expect(dataOf(m, 6)).toBe('\\x00'.repeat(16));
  });

  it('hole-then-write: the store unmaps the zero page from both processes and stores a DIRTY data entry; write(2) deletes a zero entry', () => {
    const m = run('hole-then-write');
    const zero = m.phys.zeroPagePfn;
    const store = stepsOf(m, 'pte', 6);
    const removed = store.filter((s) => s.old?.pfn === zero && s.new === null).map((s) => s.pid);
    expect(new Set(removed).size).toBe(2);
    expect(stepsOf(m, 'blk', 6).some((s) => s.action === 'alloc')).toBe(true);
    expect(stepsOf(m, 'xa_mark', 6).some((s) => s.mark === 0 && s.set)).toBe(true);
    expect(stepsOf(m, 'pte', 7).find((s) => s.new)!.new!.pfn).toBeGreaterThanOrEqual(m.phys.pmemStartPfn);
    expect(dataOf(m, 7)).toBe('new data');
    // op 9 write(2): the zero entry (value 4 = ZERO_PAGE, pfn 0) at index 3 is erased, B's PTE unmapped.
    expect(stepsOf(m, 'xa_slot', 9).some((s) => s.offset === 3 && s.new === null && s.old !== null && 'value' in s.old)).toBe(true);
    expect(stepsOf(m, 'pte', 9).some((s) => s.old?.pfn === zero && s.new === null)).toBe(true);
    expect(dataOf(m, 10)).toBe('via write');
  });

  it('write-fsync: the write fault allocates and dirties; fsync cleans; the next store write-faults without allocating', () => {
    const m = run('write-fsync');
    expect(stepsOf(m, 'blk', 3).filter((s) => s.action === 'alloc')).toHaveLength(1);
    expect(tps(m, 'dax_pte_fault_done', 3)[0].fields.result).toBeTruthy();
    expect(stepsOf(m, 'xa_mark', 3).some((s) => s.mark === 0 && s.set)).toBe(true);
    expect(stepsOf(m, 'xa_mark', 4).some((s) => s.mark === 2 && s.set)).toBe(true);
    expect(stepsOf(m, 'pte', 4).some((s) => s.old?.write && s.new && !s.new.write)).toBe(true);
    expect(stepsOf(m, 'blk', 5)).toEqual([]);
    expect(stepsOf(m, 'pte', 5).some((s) => s.new?.write)).toBe(true);
    expect(stepsOf(m, 'call', 6)).toEqual([]);
    expect(stepsOf(m, 'cache', 7).some((s) => s.action === 'flush')).toBe(true);
    expect(m.pmem.dirtyLineCount()).toBe(0);
  });

  it('msync-dirty: MS_ASYNC changes nothing; MS_SYNC of one page writes back only that entry', () => {
    const m = run('msync-dirty');
    for (const t of ['xa_mark', 'pte', 'cache', 'call'] as const) expect(stepsOf(m, t, 5), t).toEqual([]);
    const one = tps(m, 'dax_writeback_one', 6);
    expect(one.map((s) => s.fields.pgoff)).toEqual([0]);
    expect(stepsOf(m, 'cache', 6).filter((s) => s.action === 'flush')).toHaveLength(1);
    expect(tps(m, 'dax_writeback_one', 8).map((s) => s.fields.pgoff)).toEqual([0, 2]);
    expect(m.pmem.dirtyLineCount()).toBe(0);
  });

  it('pmd-fault: huge zero page, a 2 MiB allocation with one PMD, a PTE inside it, a 2 MiB writeback', () => {
    const m = run('pmd-fault');
    expect(tps(m, 'dax_pmd_load_hole', 3)).toHaveLength(1);
    expect(stepsOf(m, 'pte', 3).some((s) => s.level === 'pmd' && s.new?.huge)).toBe(true);
    expect(stepsOf(m, 'blk', 4).filter((s) => s.action === 'alloc').map((s) => s.len)).toEqual([512]);
    const pmd = stepsOf(m, 'pte', 4).find((s) => s.level === 'pmd' && s.new?.write)!;
    expect(pmd.new!.pfn % 512).toBe(0);
    // B's 4 KiB store inside the data PMD entry: a PTE, no new block.
    expect(stepsOf(m, 'pte', 6).some((s) => s.level === 'pte' && s.new?.write)).toBe(true);
    expect(stepsOf(m, 'blk', 6)).toEqual([]);
    expect(tps(m, 'dax_writeback_one', 7).map((s) => s.fields.pglen)).toEqual([512]);
    expect(tps(m, 'dax_pmd_fault_done', 8)[0].fields.result).not.toBe(VM_FAULT_FALLBACK);
  });

  it('pmd-fallback: each mapping-shape fallback reason shows up, and PTE entries in range make a PMD write fall back', () => {
    const m = run('pmd-fallback');
    const all = notes(m).join('\n');
    for (const why of [
      /PTE entries already exist inside this 2 MiB range/,
      /would pass the end of the file/,
      /position inside 2 MiB \(page 0\) differs from the address's \(page 1\)/,
      /would start before the VMA/,
      /would pass the end of the VMA/,
      /write to a private mapping/,
    ])
      expect(all).toMatch(why);
    // Every PMD attempt in this tour falls back.
    const done = tps(m, 'dax_pmd_fault_done');
    expect(done.length).toBeGreaterThanOrEqual(7);
    for (const d of done) expect((d.fields.result as number) & VM_FAULT_FALLBACK).toBeTruthy();
    expect(stepsOf(m, 'dram').some((s) => s.action === 'alloc' && s.use === 'anon' && s.op === 14)).toBe(true);
  });

  it('pmd-fallback-space: no huge zero folio, a short extent, and a misaligned pfn each fall back', () => {
    const m = run('pmd-fallback-space');
    expect(tps(m, 'dax_pmd_load_hole_fallback', 3)).toHaveLength(1);
    expect(notes(m, 5).join('\n')).toMatch(/shorter than 2 MiB/);
    expect(notes(m, 11).join('\n')).toMatch(/not 2 MiB aligned/);
    for (const op of [3, 5, 11]) expect((tps(m, 'dax_pmd_fault_done', op)[0].fields.result as number) & VM_FAULT_FALLBACK, `op ${op}`).toBeTruthy();
    expect(stepsOf(m, 'pte').filter((s) => s.level === 'pmd' && s.new)).toEqual([]);
  });

  it('pmd-off: no PMD fault is tried; each store takes a 4 KiB fault and one block', () => {
    const m = run('pmd-off');
    expect(tps(m, 'dax_pmd_fault')).toEqual([]);
    expect(tps(m, 'dax_pte_fault_done')).toHaveLength(2);
    expect(stepsOf(m, 'blk').filter((s) => s.action === 'alloc').map((s) => s.len)).toEqual([1, 1]);
  });

  it('map-sync: NEEDDSYNC, the log forced before the PTE is writable, and only the flushed line survives the crash', () => {
    const m = run('map-sync');
    const done = tps(m, 'dax_pte_fault_done', 3)[0];
    expect((done.fields.result as number) & VM_FAULT_NEEDDSYNC).toBeTruthy();
    const s3 = m.steps.filter((s) => s.op === 3);
    const force = s3.findIndex((s) => s.t === 'call' && s.fn === 'xfs_log_force');
    const pte = s3.findIndex((s) => s.t === 'pte' && s.new?.write === true);
    expect(force).toBeGreaterThanOrEqual(0);
    expect(pte).toBeGreaterThan(force);
    // No DIRTY mark before the log force, one after.
    const mark = s3.findIndex((s) => s.t === 'xa_mark' && s.mark === 0 && s.set);
    expect(mark).toBeGreaterThan(force);
    expect(stepsOf(m, 'call', 4)).toEqual([]);
    expect(stepsOf(m, 'cache', 6).some((s) => s.action === 'discard')).toBe(true);
    expect(dataOf(m, 7)).toBe('log record');
    expect(dataOf(m, 8)).toBe('\\x00'.repeat(4));
  });
});
