/**
 * One test per checkable fact of /work/shared/kernel-model.md §12, asserted through the Machine:
 * scenario operations (test/kernel-facts.scenarios.ts), then the XArray, struct pages, page
 * tables, steps, tracepoints and outcomes. Facts the scenario language cannot reach
 * (WB_SYNC_NONE, an order-3 fault, wait-queue keys, the memmap arithmetic, invalidation without
 * truncate) call the exported kernel-named functions with the machine's own environment.
 *
 * These tests assert the kernel's behaviour; when one fails, the engine is wrong (see the
 * report that came with this file), not the test.
 */
import { describe, it, expect, vi } from 'vitest';
// The page-cache module (non-DAX files) may still be a stub; DAX facts do not need it.
vi.mock('../src/engine/mm/filemap', async (importOriginal) => {
  const orig = (await importOriginal()) as Record<string, unknown>;
  return orig.PageCache ? orig : { PageCache: class { vmOps = null; dropAll() {} } };
});
import type { Machine } from '../src/engine/machine';
import { hex, type Step } from '../src/engine/trace/steps';
import type { KGen } from '../src/engine/kernel/sched';
import {
  XArray,
  XaNode,
  XA_STATE,
  XA_STATE_ORDER,
  xa_erase,
  xa_get_mark,
  xa_is_sibling,
  xa_load,
  xa_marked,
  xa_store_order,
  xa_to_sibling,
  xas_load,
  node_get_mark,
  nodeMarkedSlots,
  type XaMark,
} from '../src/engine/lib/xarray';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE } from '../src/engine/lib/pagecache-tags';
import {
  DAX_EMPTY,
  DAX_LOCKED,
  DAX_PMD,
  dax_is_empty_entry,
  dax_is_locked,
  dax_is_pmd_entry,
  dax_is_zero_entry,
  dax_make_entry,
  dax_to_pfn,
  decodeDaxEntry,
} from '../src/engine/fs/dax-entry';
import {
  dax_delete_mapping_entry,
  dax_entry_waitqueue,
  dax_invalidate_mapping_entry_sync,
  dax_iomap_fault,
  dax_writeback_mapping_range,
  tag_pages_for_writeback,
  type VmFault,
} from '../src/engine/fs/dax';
import { FAULT_FLAG_WRITE, VM_FAULT_FALLBACK, VM_FAULT_MAJOR, VM_FAULT_NEEDDSYNC, VM_FAULT_NOPAGE, VM_FAULT_SIGBUS } from '../src/engine/mm/fault-flags';
import { memmapCost } from '../src/engine/mm/page';
import { GiB, TiB } from '../src/engine/constants';
import { BIG_INDEX, KiB4, MiB, MiB2, SCENARIOS, buildMachine } from './kernel-facts.scenarios';

// ---- helpers --------------------------------------------------------------------------------

type StepOf<K extends Step['t']> = Extract<Step, { t: K }>;

/** Build the scenario's machine and run it to the end. */
function runScenario(key: string): Machine {
  return buildMachine(key).run();
}

/** Run the first `n` operations only. */
function stepN(m: Machine, n: number): Machine {
  for (let i = 0; i < n; i++) m.step();
  return m;
}

function ino(m: Machine, file = 'f'): number {
  const i = m.fs.lookup(file);
  if (typeof i !== 'number') throw new Error(`no file ${file}`);
  return i;
}
const xaOf = (m: Machine, file = 'f') => m.mapping(ino(m, file)).i_pages;
const entryAt = (m: Machine, index: number, file = 'f') => xa_load(xaOf(m, file), index);
const numEntry = (m: Machine, index: number, file = 'f'): number => {
  const e = entryAt(m, index, file);
  if (typeof e !== 'number') throw new Error(`no value entry at ${index}: ${String(e)}`);
  return e;
};
const hasMark = (m: Machine, index: number, mark: XaMark, file = 'f') => xa_get_mark(xaOf(m, file), index, mark) === true;
const steps = (m: Machine, op?: number) => m.steps.filter((s) => op === undefined || s.op === op);
const stepsOfKind = <K extends Step['t']>(m: Machine, t: K, op?: number) => steps(m, op).filter((s): s is StepOf<K> => s.t === t);
const tps = (m: Machine, name: string, op?: number) => stepsOfKind(m, 'tp', op).filter((s) => s.name === name);
const calls = (m: Machine, fn: string, op?: number) => stepsOfKind(m, 'call', op).filter((s) => s.fn === fn);
const rets = (m: Machine, fn: string, op?: number) => stepsOfKind(m, 'ret', op).filter((s) => s.fn === fn);
const addrOf = (m: Machine, label: string, off = 0) => m.labels.get(label)!.addr + off;
const walkAt = (m: Machine, proc: string, label: string, off = 0) => m.as.walk(m.as.proc(proc), addrOf(m, label, off));
const pidOf = (m: Machine, proc: string) => m.as.proc(proc).pid;
const tpResult = (s: StepOf<'tp'>) => s.fields.result as number;
const slotValue = (r: unknown): number | null => (r && typeof r === 'object' && 'value' in r ? (r as { value: number }).value : null);
/** Steps of `op` strictly between the call of `fn` and its return (first such call). */
function inside(m: Machine, fn: string, op?: number): Step[] {
  const c = calls(m, fn, op)[0];
  if (!c) throw new Error(`no call of ${fn}`);
  const r = m.steps.find((s) => s.seq > c.seq && s.t === 'ret' && s.fn === fn && s.depth === c.depth)!;
  return m.steps.filter((s) => s.seq > c.seq && s.seq < r.seq);
}
/** Run a kernel path that must not sleep. */
function drive<T>(g: KGen<T>): T {
  const r = g.next();
  if (!r.done) throw new Error(`slept on ${r.value.queue}`);
  return r.value;
}
const root = (m: Machine, file = 'f'): XaNode => {
  const h = xaOf(m, file).head;
  if (!(h instanceof XaNode)) throw new Error('head is not a node');
  return h;
};
const isDataPte = (e: number) => !dax_is_pmd_entry(e) && !dax_is_zero_entry(e) && !dax_is_empty_entry(e) && !dax_is_locked(e);

// ---- section A: XArray shapes ------------------------------------------------------------------

describe('kernel-model §12 checkable facts', () => {
  it('fact 1: a read fault on a hole at index 0 leaves a lone unlocked ZERO_PAGE entry in xa_head, no marks', () => {
    const m = runScenario('f1');
    const xa = xaOf(m);
    expect(xa.head).not.toBeInstanceOf(XaNode);
    expect(typeof xa.head).toBe('number');
    const e = xa.head as number;
    expect(dax_is_zero_entry(e)).toBe(true);
    expect(dax_is_locked(e)).toBe(false);
    expect(dax_is_pmd_entry(e)).toBe(false);
    expect(dax_to_pfn(e)).toBe(m.phys.zeroPagePfn);
    for (const mark of [0, 1, 2] as const) expect(xa_marked(xa, mark)).toBe(false);
    expect(calls(m, 'grab_mapping_entry', 3).length).toBe(1);
    expect(tps(m, 'dax_load_hole', 3).length).toBe(1);
    const w = walkAt(m, 'A', 'm')!;
    expect(w.level).toBe('pte');
    expect(w.pte).toMatchObject({ pfn: m.phys.zeroPagePfn, write: false, special: true });
  });

  it('fact 2: read faults at 0 and 5 make one root leaf (shift 0), count 2, nr_values 2', () => {
    const m = runScenario('f2');
    const r = root(m);
    expect(r.parent).toBeNull();
    expect(r.shift).toBe(0);
    expect(r.count).toBe(2);
    expect(r.nr_values).toBe(2);
    expect(dax_is_zero_entry(r.slots[0] as number)).toBe(true);
    expect(dax_is_zero_entry(r.slots[5] as number)).toBe(true);
    expect(r.slots.filter((s) => s !== null).length).toBe(2);
  });

  it('fact 3: a lone entry at index 64 makes a shift-6 root (count 1) whose slot 1 is a shift-0 leaf (count 1)', () => {
    const m = runScenario('f3');
    const r = root(m);
    expect(r.shift).toBe(6);
    expect(r.count).toBe(1);
    expect(r.slots.filter((s) => s !== null).length).toBe(1);
    const leaf = r.slots[1];
    expect(leaf).toBeInstanceOf(XaNode);
    const l = leaf as XaNode;
    expect(l.shift).toBe(0);
    expect(l.count).toBe(1);
    expect(l.offset).toBe(1);
    expect(dax_is_zero_entry(l.slots[0] as number)).toBe(true);
  });

  it('fact 4: a PMD entry at index 0 sits in a shift-6 root: slot 0 canonical, slots 1-7 sibling(0), count 8, nr_values 8, never in xa_head', () => {
    const m = runScenario('f4');
    expect(tpResult(tps(m, 'dax_pmd_fault_done', 3)[0]) & VM_FAULT_NOPAGE).toBeTruthy();
    const r = root(m);
    expect(r.shift).toBe(6);
    expect(typeof r.slots[0]).toBe('number');
    expect(dax_is_pmd_entry(r.slots[0] as number)).toBe(true);
    for (let i = 1; i <= 7; i++) {
      expect(xa_is_sibling(r.slots[i])).toBe(true);
      expect(xa_to_sibling(r.slots[i] as never)).toBe(0);
    }
    expect(r.slots[8]).toBeNull();
    expect(r.count).toBe(8);
    expect(r.nr_values).toBe(8);
  });

  it('fact 5: with a PMD entry at 512, every index 512-1023 loads it (1000 → slot 15 → sibling(8) → slot 8)', () => {
    const m = runScenario('f5');
    const r = root(m);
    const e = r.slots[8];
    expect(dax_is_pmd_entry(e as number)).toBe(true);
    expect(xa_to_sibling(r.slots[15] as never)).toBe(8);
    const xas = XA_STATE(xaOf(m), 1000);
    expect(xas_load(xas)).toBe(e);
    expect(xas.xa_offset).toBe(8);
    for (const i of [512, 513, 700, 1000, 1023]) expect(entryAt(m, i)).toBe(e);
    expect(entryAt(m, 511)).toBeNull();
    expect(entryAt(m, 1024)).toBeNull();
  });

  it('fact 6: XA_STATE_ORDER: order 9 → shift 6 sibs 7; order 6 → 6/0; order 12 → 12/0', () => {
    const xa = new XArray('fact6');
    const s9 = XA_STATE_ORDER(xa, 1000, 9);
    expect([s9.xa_shift, s9.xa_sibs, s9.xa_index]).toEqual([6, 7, 512]);
    const s6 = XA_STATE_ORDER(xa, 100, 6);
    expect([s6.xa_shift, s6.xa_sibs, s6.xa_index]).toEqual([6, 0, 64]);
    const s12 = XA_STATE_ORDER(xa, 5000, 12);
    expect([s12.xa_shift, s12.xa_sibs, s12.xa_index]).toEqual([12, 0, 4096]);
  });

  // ---- section C: the fault path -----------------------------------------------------------------

  it('fact 7: a PMD fault falls back when (pgoff & 511) != ((address >> 12) & 511)', () => {
    const m = runScenario('f7');
    const done = tps(m, 'dax_pmd_fault_done', 3);
    expect(done.length).toBe(1);
    expect(done[0].fields.pgoff).toBe(511);
    expect(((done[0].fields.address as number) / KiB4) % 512).toBe(0);
    expect(tpResult(done[0]) & VM_FAULT_FALLBACK).toBeTruthy();
    // The colour check comes before grab_mapping_entry: no order-9 entry was ever asked for.
    expect(calls(m, 'grab_mapping_entry', 3).map((c) => c.args.order)).toEqual([0]);
    expect(walkAt(m, 'A', 'm', MiB2 - KiB4)!.level).toBe('pte');
    expect(dax_is_pmd_entry(numEntry(m, 511))).toBe(false);
    // Control: the same fault with matching colours maps a PMD.
    const ok = runScenario('f7.match');
    expect(tpResult(tps(ok, 'dax_pmd_fault_done', 3)[0]) & VM_FAULT_FALLBACK).toBe(0);
    expect(dax_is_pmd_entry(numEntry(ok, 0))).toBe(true);
  });

  it('fact 8: a write PMD fault on a MAP_PRIVATE mapping falls back', () => {
    const m = runScenario('f8');
    const done = tps(m, 'dax_pmd_fault_done', 3);
    expect(done.length).toBe(1);
    expect(tpResult(done[0]) & VM_FAULT_FALLBACK).toBeTruthy();
    expect(calls(m, 'grab_mapping_entry', 3).every((c) => c.args.order === 0)).toBe(true);
    const w = walkAt(m, 'A', 'm')!;
    expect(w.level).toBe('pte');
    expect(w.pte.anon).toBe(true);
    expect(w.pte.write).toBe(true);
    expect(dax_is_pmd_entry(numEntry(m, 0))).toBe(false);
  });

  it('fact 9: size 2 MiB - 4096 → the PMD fault at index 0 falls back; size 2 MiB - 1 → the size check passes', () => {
    const short = runScenario('f9.short');
    const d1 = tps(short, 'dax_pmd_fault_done', 3)[0];
    expect(d1.fields.max_pgoff).toBe(511);
    expect(tpResult(d1) & VM_FAULT_FALLBACK).toBeTruthy();
    expect(calls(short, 'grab_mapping_entry', 3).map((c) => c.args.order)).toEqual([0]);
    const ok = runScenario('f9.ok');
    const d2 = tps(ok, 'dax_pmd_fault_done', 3)[0];
    expect(d2.fields.max_pgoff).toBe(512);
    expect(tpResult(d2) & VM_FAULT_FALLBACK).toBe(0);
    expect(calls(ok, 'grab_mapping_entry', 3).map((c) => c.args.order)).toEqual([9]);
    expect(dax_is_pmd_entry(numEntry(ok, 0))).toBe(true);
  });

  it('fact 10: a PMD fault over a range holding a PTE entry falls back without touching the XArray', () => {
    const m = runScenario('f10');
    const grab = rets(m, 'grab_mapping_entry', 5).filter((_, i) => calls(m, 'grab_mapping_entry', 5)[i].args.order === 9);
    expect(grab.length).toBe(1);
    expect(grab[0].result).toBe('FALLBACK');
    const during = inside(m, 'dax_iomap_pmd_fault', 5);
    expect(during.filter((s) => s.t === 'xa_slot' || s.t === 'xa_node' || s.t === 'xa_mark' || (s.t === 'inode' && s.field === 'nrpages'))).toEqual([]);
    expect(tpResult(tps(m, 'dax_pmd_fault_done', 5)[0]) & VM_FAULT_FALLBACK).toBeTruthy();
    const r = root(m);
    expect(r.shift).toBe(0);
    expect(dax_is_pmd_entry(r.slots[0] as number)).toBe(false);
    expect(dax_is_pmd_entry(r.slots[5] as number)).toBe(false);
  });

  it('fact 11: a PMD fault on an extent shorter than 2 MiB leaves an unlocked EMPTY|PMD entry (nrpages 512); the PTE retry deletes it and ends with one PTE entry (nrpages 1)', () => {
    const m = runScenario('f11');
    const nr = stepsOfKind(m, 'inode', 4).filter((s) => s.field === 'nrpages').map((s) => [s.old, s.new]);
    expect(nr).toEqual([[0, 512], [512, 0], [0, 1]]);
    const done = tps(m, 'dax_pmd_fault_done', 4)[0];
    expect(tpResult(done) & VM_FAULT_FALLBACK).toBeTruthy();
    // What the XArray held when the PMD fault returned: the canonical slot's last store.
    const before = stepsOfKind(m, 'xa_slot', 4).filter((s) => s.seq < done.seq && slotValue(s.new) !== null);
    const left = slotValue(before[before.length - 1].new)!;
    expect(left).toBe(dax_make_entry(0, DAX_EMPTY | DAX_PMD));
    expect(dax_is_locked(left)).toBe(false);
    // The PTE fault's grab_mapping_entry removes it.
    const grab0 = inside(m, 'dax_iomap_pte_fault', 4).filter((s): s is StepOf<'xa_slot'> => s.t === 'xa_slot');
    expect(grab0.some((s) => slotValue(s.old) !== null && dax_is_pmd_entry(slotValue(s.old)!) && s.new === null)).toBe(true);
    expect(m.mapping(ino(m)).nrpages).toBe(1);
    const e = xaOf(m).head;
    expect(typeof e).toBe('number');
    expect(dax_is_pmd_entry(e as number)).toBe(false);
  });

  it('fact 12: a PMD fault with aligned index >= ceil(i_size/4096) is SIGBUS; a PTE fault at pos >= i_size is SIGBUS and creates no entry', () => {
    const pmd = runScenario('f12.pmd');
    expect(pmd.outcomes[3].status).toBe('signal');
    expect(pmd.outcomes[3].result).toMatchObject({ signal: 'SIGBUS' });
    const d = tps(pmd, 'dax_pmd_fault_done', 3);
    expect(d.length).toBe(1);
    expect(d[0].fields.pgoff).toBe(512);
    expect(d[0].fields.max_pgoff).toBe(512);
    expect(tpResult(d[0]) & VM_FAULT_SIGBUS).toBeTruthy();
    expect(calls(pmd, 'grab_mapping_entry').length).toBe(0);
    expect(xaOf(pmd).head).toBeNull();
    const pte = runScenario('f12.pte');
    expect(pte.outcomes[3].result).toMatchObject({ signal: 'SIGBUS' });
    const d2 = tps(pte, 'dax_pte_fault_done', 3);
    expect(d2.length).toBe(1);
    expect(tpResult(d2[0]) & VM_FAULT_SIGBUS).toBeTruthy();
    expect(calls(pte, 'grab_mapping_entry').length).toBe(0);
    expect(xaOf(pte).head).toBeNull();
    expect(pte.mapping(ino(pte)).nrpages).toBe(0);
  });

  it('fact 13: dax_iomap_fault with an order other than 0 or 9 returns VM_FAULT_FALLBACK', () => {
    const m = runScenario('f13');
    const mm = m.as.proc('A');
    const address = addrOf(m, 'm');
    const vma = m.as.find_vma(mm, address)!;
    const vmf: VmFault = { vma, mm, address, pgoff: 0, flags: FAULT_FLAG_WRITE, cow_page: null, who: 'A' };
    for (const order of [1, 3, 6, 10]) {
      expect(drive(dax_iomap_fault(m.dax, { ...vmf }, order, m.fs.writeOps, { pfn: 0 }))).toBe(VM_FAULT_FALLBACK);
    }
    expect(xaOf(m).head).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(0);
    expect(m.as.walk(mm, address)).toBeNull();
  });

  it('fact 14: a write fault into a hole yields a data PTE entry tagged DIRTY (not TOWRITE), a writable PTE, VM_FAULT_MAJOR', () => {
    const m = runScenario('f14');
    const e = numEntry(m, 0);
    expect(isDataPte(e)).toBe(true);
    expect(dax_to_pfn(e)).toBe(m.phys.pmemOffsetToPfn(m.fs.devOffsetOf(ino(m), 0)!));
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(hasMark(m, 0, PAGECACHE_TAG_TOWRITE)).toBe(false);
    const w = walkAt(m, 'A', 'm')!;
    expect(w.pte).toMatchObject({ pfn: dax_to_pfn(e), write: true });
    const done = tps(m, 'dax_pte_fault_done', 3);
    expect(done.length).toBe(1);
    expect(tpResult(done[0]) & VM_FAULT_MAJOR).toBeTruthy();
    const begin = rets(m, 'xfs_dax_write_iomap_ops.iomap_begin', 3).pop()!;
    expect(JSON.stringify(begin.result)).toContain('NEW');
  });

  it('fact 15: read then write fault on an allocated block: the entry value is unchanged, the write only adds DIRTY', () => {
    const m = stepN(buildMachine('f15'), 5);
    const v = numEntry(m, 0);
    expect(isDataPte(v)).toBe(true);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(false);
    expect(walkAt(m, 'A', 'm')!.pte.write).toBe(false);
    m.step();
    expect(numEntry(m, 0)).toBe(v);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(hasMark(m, 0, PAGECACHE_TAG_TOWRITE)).toBe(false);
    // Only the entry lock and unlock touched the slot.
    for (const s of stepsOfKind(m, 'xa_slot', 5)) {
      expect([v, v + DAX_LOCKED]).toContain(slotValue(s.old));
      expect([v, v + DAX_LOCKED]).toContain(slotValue(s.new));
    }
    expect(walkAt(m, 'A', 'm')!.pte).toMatchObject({ pfn: dax_to_pfn(v), write: true });
  });

  it('fact 16: read fault on a hole then write fault: the zero-page PTE is unmapped from every process and the entry becomes data + DIRTY', () => {
    const m = stepN(buildMachine('f16'), 6);
    expect(walkAt(m, 'A', 'a')!.pte.pfn).toBe(m.phys.zeroPagePfn);
    expect(walkAt(m, 'B', 'b')!.pte.pfn).toBe(m.phys.zeroPagePfn);
    m.step();
    expect(walkAt(m, 'B', 'b')).toBeNull();
    const e = numEntry(m, 0);
    expect(isDataPte(e)).toBe(true);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(walkAt(m, 'A', 'a')!.pte).toMatchObject({ pfn: dax_to_pfn(e), write: true });
    const zap = stepsOfKind(m, 'pte', 6).filter((s) => s.pid === pidOf(m, 'B') && s.new === null && s.old?.pfn === m.phys.zeroPagePfn);
    expect(zap.length).toBe(1);
    const store = stepsOfKind(m, 'xa_slot', 6).find((s) => slotValue(s.new) !== null && !dax_is_zero_entry(slotValue(s.new)!) && !dax_is_empty_entry(slotValue(s.new)!))!;
    expect(zap[0].seq).toBeLessThan(store.seq);
  });

  it('fact 17: a PTE write fault inside a data PMD entry made through another mapping keeps the PMD entry and sets DIRTY on it', () => {
    const m = stepN(buildMachine('f17'), 5);
    const e0 = numEntry(m, 0);
    expect(dax_is_pmd_entry(e0) && !dax_is_zero_entry(e0) && !dax_is_empty_entry(e0)).toBe(true);
    expect(walkAt(m, 'A', 'm')!.level).toBe('pmd');
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(false);
    m.run();
    expect(numEntry(m, 0)).toBe(e0);
    expect(numEntry(m, 2)).toBe(e0);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(walkAt(m, 'B', 'b', 2 * KiB4)!.pte).toMatchObject({ pfn: dax_to_pfn(e0) + 2, write: true });
    expect(walkAt(m, 'B', 'b', 2 * KiB4)!.level).toBe('pte');
    expect(walkAt(m, 'A', 'm')!.level).toBe('pmd');
    expect(m.mapping(ino(m)).nrpages).toBe(512);
  });

  it('fact 18: a PTE fault inside a zero PMD entry unmaps the huge zero page from every process and deletes the PMD entry before creating a PTE entry', () => {
    const m = stepN(buildMachine('f18'), 6);
    const z = numEntry(m, 0);
    expect(dax_is_pmd_entry(z) && dax_is_zero_entry(z)).toBe(true);
    expect(walkAt(m, 'A', 'a')!.level).toBe('pmd');
    expect(walkAt(m, 'C', 'c')!.level).toBe('pmd');
    m.run();
    const op = 7;
    const zaps = stepsOfKind(m, 'pte', op).filter((s) => s.level === 'pmd' && s.new === null);
    expect(zaps.map((s) => s.pid).sort()).toEqual([pidOf(m, 'A'), pidOf(m, 'C')].sort());
    const slots = stepsOfKind(m, 'xa_slot', op);
    const del = slots.find((s) => slotValue(s.old) !== null && dax_is_pmd_entry(slotValue(s.old)!) && s.new === null)!;
    const add = slots.find((s) => s.old === null && slotValue(s.new) !== null && !dax_is_pmd_entry(slotValue(s.new)!))!;
    expect(del).toBeDefined();
    expect(add).toBeDefined();
    for (const zp of zaps) expect(zp.seq).toBeLessThan(del.seq);
    expect(del.seq).toBeLessThan(add.seq);
    expect(walkAt(m, 'A', 'a')).toBeNull();
    expect(walkAt(m, 'C', 'c')).toBeNull();
    expect(entryAt(m, 0)).toBeNull();
    expect(dax_is_zero_entry(numEntry(m, 1)) && !dax_is_pmd_entry(numEntry(m, 1))).toBe(true);
    expect(m.mapping(ino(m)).nrpages).toBe(1);
  });

  // ---- section E: writeback -------------------------------------------------------------------

  it('fact 19: fsync of a DIRTY entry adds TOWRITE, then clears TOWRITE and DIRTY; the entry stays and its PTE becomes read-only and clean', () => {
    const m = stepN(buildMachine('f19'), 4);
    const v = numEntry(m, 0);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(walkAt(m, 'A', 'm')!.pte).toMatchObject({ write: true, dirty: true });
    m.step();
    const marks = stepsOfKind(m, 'xa_mark', 4).filter((s) => s.node === null).map((s) => `${s.mark}:${s.set ? 'set' : 'clear'}`);
    expect(marks).toEqual(['2:set', '2:clear', '0:clear']);
    expect(numEntry(m, 0)).toBe(v);
    expect(xa_marked(xaOf(m), PAGECACHE_TAG_DIRTY)).toBe(false);
    expect(xa_marked(xaOf(m), PAGECACHE_TAG_TOWRITE)).toBe(false);
    expect(walkAt(m, 'A', 'm')!.pte).toMatchObject({ pfn: dax_to_pfn(v), write: false, dirty: false, present: true });
  });

  it('fact 20: writeback with WB_SYNC_NONE changes nothing', () => {
    const m = runScenario('f20');
    const before = JSON.stringify(m.dumpState());
    const n = m.steps.length;
    const mapping = m.mapping(ino(m));
    expect(drive(dax_writeback_mapping_range(m.dax, mapping, 0, 2 ** 62, false, 'kernel'))).toBe(0);
    expect(JSON.stringify(m.dumpState())).toBe(before);
    expect(m.steps.slice(n).filter((s) => !['call', 'ret', 'note', 'tp'].includes(s.t))).toEqual([]);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    // Control: WB_SYNC_ALL does clean it.
    drive(dax_writeback_mapping_range(m.dax, mapping, 0, 2 ** 62, true, 'kernel'));
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(false);
  });

  it('fact 21: writeback of a PMD entry flushes and write-protects the whole 2 MiB even when the range starts mid-PMD', () => {
    const m = runScenario('f21');
    const wb = calls(m, 'dax_writeback_mapping_range', 4)[0];
    expect([wb.args.start, wb.args.end]).toEqual([256, 256]);
    const fl = calls(m, 'dax_flush', 4);
    expect(fl.length).toBe(1);
    expect(fl[0].args.len).toBe(MiB2);
    expect(fl[0].args.addr).toBe(m.fs.devOffsetOf(ino(m), 0));
    const one = tps(m, 'dax_writeback_one', 4);
    expect(one.map((s) => [s.fields.pgoff, s.fields.pglen])).toEqual([[0, 512]]);
    const w = walkAt(m, 'A', 'm')!;
    expect(w.level).toBe('pmd');
    expect(w.pte).toMatchObject({ write: false, dirty: false });
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(false);
  });

  it('fact 22: dax_flush does nothing when the device write-cache flag is off (eADR, persistence_domain cpu_cache)', () => {
    const e = runScenario('f22.eadr');
    expect(e.pmem.writeCache).toBe(false);
    expect(e.pmem.persistenceDomain).toBe('cpu_cache');
    expect(stepsOfKind(e, 'cache', 4).filter((s) => s.action === 'flush')).toEqual([]);
    const dirty = e.pmem.dirtyLineCount();
    expect(dirty).toBeGreaterThan(0);
    e.dax.dax_flush(e.fs.devOffsetOf(ino(e), 0)!, KiB4);
    expect(e.pmem.dirtyLineCount()).toBe(dirty);
    // Control: on ADR the same fsync writes the line back.
    const a = runScenario('f22.adr');
    expect(a.pmem.writeCache).toBe(true);
    expect(stepsOfKind(a, 'cache', 4).filter((s) => s.action === 'flush').length).toBeGreaterThan(0);
    expect(a.pmem.dirtyLineCount()).toBe(0);
  });

  it('fact 23: MAP_SYNC write fault with IOMAP_F_DIRTY: no DIRTY and no PTE after dax_insert_entry, NEEDDSYNC; after dax_finish_sync_fault the entry is DIRTY and the PTE writable', () => {
    const m = runScenario('f23');
    const op = 3;
    const begin = rets(m, 'xfs_dax_write_iomap_ops.iomap_begin', op).pop()!;
    expect(JSON.stringify(begin.result)).toContain('DIRTY');
    const ins = rets(m, 'dax_insert_entry', op).pop()!;
    const fin = calls(m, 'dax_finish_sync_fault', op)[0];
    expect(fin).toBeDefined();
    const between = steps(m, op).filter((s) => s.seq > ins.seq && s.seq < fin.seq);
    const beforeFin = steps(m, op).filter((s) => s.seq < fin.seq);
    expect(beforeFin.filter((s) => s.t === 'xa_mark' && s.set && s.mark === PAGECACHE_TAG_DIRTY)).toEqual([]);
    expect(beforeFin.filter((s) => s.t === 'pte' && s.new !== null)).toEqual([]);
    expect(between.some((s) => s.t === 'tp' && s.name === 'dax_pte_fault_done' && (tpResult(s) & VM_FAULT_NEEDDSYNC) !== 0)).toBe(true);
    const after = steps(m, op).filter((s) => s.seq > fin.seq);
    const dirtySet = after.find((s) => s.t === 'xa_mark' && s.set && s.mark === PAGECACHE_TAG_DIRTY);
    const pteSet = after.find((s) => s.t === 'pte' && s.new !== null && s.new.write);
    const logForce = after.find((s) => s.t === 'inode' && s.field === 'fsyncDirty' && s.new === false);
    expect(dirtySet && pteSet && logForce).toBeTruthy();
    expect(logForce!.seq).toBeLessThan(pteSet!.seq);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(walkAt(m, 'A', 'm')!.pte).toMatchObject({ pfn: dax_to_pfn(numEntry(m, 0)), write: true });
  });

  // ---- section D: read(2) and write(2) ------------------------------------------------------

  it('fact 24: read(2)/write(2) never add XArray entries; read(2) of a hole returns zeros without touching the XArray', () => {
    const m = runScenario('f24');
    expect(m.outcomes[2].result).toEqual({ bytes: 16, data: '\\x00'.repeat(16) });
    expect(m.outcomes[5].result).toEqual({ bytes: 3, data: 'xyz' });
    expect(m.steps.filter((s) => s.t === 'xa_slot' || s.t === 'xa_node' || s.t === 'xa_mark')).toEqual([]);
    expect(xaOf(m).head).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(0);
  });

  it('fact 25: a write(2) that allocates blocks over a zero entry removes the entry and unmaps the zero page', () => {
    const m = stepN(buildMachine('f25'), 4);
    expect(dax_is_zero_entry(numEntry(m, 0))).toBe(true);
    expect(walkAt(m, 'A', 'm')!.pte.pfn).toBe(m.phys.zeroPagePfn);
    m.step();
    expect(calls(m, 'dax_invalidate_mapping_entry_sync', 4).length).toBe(1);
    expect(entryAt(m, 0)).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(0);
    expect(walkAt(m, 'A', 'm')).toBeNull();
    expect(stepsOfKind(m, 'pte', 4).filter((s) => s.new === null && s.old?.pfn === m.phys.zeroPagePfn).length).toBe(1);
  });

  it('fact 26: dax_invalidate_mapping_entry_sync keeps DIRTY/TOWRITE entries; dax_delete_mapping_entry removes them', () => {
    const m = runScenario('f26');
    const mapping = m.mapping(ino(m));
    const v = numEntry(m, 0);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(drive(dax_invalidate_mapping_entry_sync(m.dax, mapping, 0, 'kernel'))).toBe(false);
    expect(numEntry(m, 0)).toBe(v);
    tag_pages_for_writeback(m.dax, mapping, 0, 0);
    expect(hasMark(m, 0, PAGECACHE_TAG_TOWRITE)).toBe(true);
    expect(drive(dax_invalidate_mapping_entry_sync(m.dax, mapping, 0, 'kernel'))).toBe(false);
    expect(numEntry(m, 0)).toBe(v);
    // A clean (zero) entry goes.
    expect(drive(dax_invalidate_mapping_entry_sync(m.dax, mapping, 1, 'kernel'))).toBe(true);
    expect(entryAt(m, 1)).toBeNull();
    // The truncate path removes the dirty one.
    expect(drive(dax_delete_mapping_entry(m.dax, mapping, 0, 'kernel'))).toBe(true);
    expect(entryAt(m, 0)).toBeNull();
    expect(mapping.nrpages).toBe(0);
    expect(xa_marked(mapping.i_pages, PAGECACHE_TAG_DIRTY)).toBe(false);
  });

  // ---- XArray removal and marks ----------------------------------------------------------------

  it('fact 27: deleting a multi-index entry through any one of its indices removes all 8 slots', () => {
    const m = stepN(buildMachine('f27'), 4);
    const z = numEntry(m, 300);
    expect(dax_is_pmd_entry(z) && dax_is_zero_entry(z)).toBe(true);
    const rootId = root(m).id;
    m.step();
    const nulled = stepsOfKind(m, 'xa_slot', 4).filter((s) => s.node === rootId && s.new === null).map((s) => s.offset);
    expect(nulled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(xaOf(m).head).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(0);
    // The XArray itself: erase through an inner index of an order-9 entry at 512.
    const xa = new XArray('fact27');
    const e = dax_make_entry(0x40400, DAX_PMD);
    xa_store_order(xa, 512, 9, e);
    expect(xa_erase(xa, 700)).toBe(e);
    for (const i of [512, 700, 1023]) expect(xa_load(xa, i)).toBeNull();
    expect(xa.head).toBeNull();
    // The write(2) invalidated the one index it wrote (find_get_entries reports index 300 for the
    // multi-index entry, invalidate_exceptional_entry2 passes it on), and that took all 8 slots.
    expect(calls(m, 'dax_invalidate_mapping_entry_sync', 4).map((c) => c.args.index)).toEqual([300]);
  });

  it('fact 28: entries at 0 and 64, erase 64: the nodes are freed and xa_head holds the index-0 entry', () => {
    const m = stepN(buildMachine('f28'), 5);
    const r = root(m);
    expect(r.shift).toBe(6);
    const ids = [r.id, (r.slots[0] as XaNode).id, (r.slots[1] as XaNode).id];
    const e0 = numEntry(m, 0);
    m.step();
    expect(calls(m, 'dax_invalidate_mapping_entry_sync', 5).map((c) => c.args.index)).toEqual([64]);
    const freed = stepsOfKind(m, 'xa_node', 5).filter((s) => s.action === 'free').map((s) => s.node);
    expect(freed.sort()).toEqual([...ids].sort());
    expect(xaOf(m).head).toBe(e0);
    expect(entryAt(m, 64)).toBeNull();
  });

  it('fact 29: setting DIRTY marks the slot in every ancestor and the array flag; clearing the only DIRTY entry clears them all', () => {
    const m = stepN(buildMachine('f29'), 4);
    const xa = xaOf(m);
    const path: { node: XaNode; off: number }[] = [];
    let n: unknown = xa.head;
    while (n instanceof XaNode) {
      const off = Math.floor(BIG_INDEX / 2 ** n.shift) % 64;
      path.push({ node: n, off });
      n = n.slots[off];
    }
    expect(path.map((p) => p.node.shift)).toEqual([18, 12, 6, 0]);
    expect(typeof n).toBe('number');
    for (const p of path) expect(nodeMarkedSlots(p.node, PAGECACHE_TAG_DIRTY)).toEqual([p.off]);
    expect(xa_marked(xa, PAGECACHE_TAG_DIRTY)).toBe(true);
    m.step();
    for (const p of path) {
      expect(node_get_mark(p.node, p.off, PAGECACHE_TAG_DIRTY)).toBe(false);
      expect(node_get_mark(p.node, p.off, PAGECACHE_TAG_TOWRITE)).toBe(false);
    }
    expect(xa_marked(xa, PAGECACHE_TAG_DIRTY)).toBe(false);
    expect(xa_marked(xa, PAGECACHE_TAG_TOWRITE)).toBe(false);
    expect(xa_load(xa, BIG_INDEX)).toBe(n);
  });

  it('fact 30: locking and unlocking an entry keeps its marks; storing null clears them', () => {
    const m = stepN(buildMachine('f30'), 5);
    const v = numEntry(m, 0);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    m.step();
    const lock = stepsOfKind(m, 'xa_slot', 5).map((s) => [slotValue(s.old), slotValue(s.new)]);
    expect(lock).toContainEqual([v, v + DAX_LOCKED]);
    expect(lock).toContainEqual([v + DAX_LOCKED, v]);
    expect(stepsOfKind(m, 'xa_mark', 5)).toEqual([]);
    expect(hasMark(m, 0, PAGECACHE_TAG_DIRTY)).toBe(true);
    m.step();
    const clear = stepsOfKind(m, 'xa_mark', 6).filter((s) => !s.set && s.mark === PAGECACHE_TAG_DIRTY);
    const del = stepsOfKind(m, 'xa_slot', 6).find((s) => s.new === null)!;
    expect(clear.length).toBeGreaterThan(0);
    for (const c of clear) expect(c.seq).toBeLessThan(del.seq);
    expect(xa_marked(xaOf(m), PAGECACHE_TAG_DIRTY)).toBe(false);
  });

  it('fact 31: a locked entry differs only in bit 0; waiters for any index of a PMD entry share the queue keyed by the PMD-aligned index', () => {
    const m = stepN(buildMachine('f31'), 5);
    expect(m.outcomes[4].status).toBe('paused');
    const locked = numEntry(m, 0);
    expect(dax_is_locked(locked) && dax_is_pmd_entry(locked)).toBe(true);
    m.step();
    expect(m.outcomes[5].status).toBe('blocked');
    const mapping = m.mapping(ino(m));
    const sleep = stepsOfKind(m, 'wait', 5).filter((s) => s.who === 'B' && s.action === 'sleep');
    expect(sleep.length).toBe(1);
    const q = dax_entry_waitqueue(mapping, 300, locked);
    expect(sleep[0].on).toBe(q);
    expect(dax_entry_waitqueue(mapping, 0, locked)).toBe(q);
    expect(dax_entry_waitqueue(mapping, 511, locked)).toBe(q);
    expect(dax_entry_waitqueue(mapping, 512, locked)).not.toBe(q);
    const pte = dax_make_entry(0x40300, 0);
    expect(dax_entry_waitqueue(mapping, 300, pte)).not.toBe(dax_entry_waitqueue(mapping, 301, pte));
    m.step();
    expect(stepsOfKind(m, 'wait', 6).some((s) => s.who === 'B' && s.action === 'wake' && s.on === q)).toBe(true);
    expect(m.outcomes[5].status).toBe('done');
    const data = numEntry(m, 0);
    // B's grab_mapping_entry locks the data PMD entry: only bit 0 changes.
    const lockStep = stepsOfKind(m, 'xa_slot', 6).find((s) => slotValue(s.old) === data && slotValue(s.new) === data + DAX_LOCKED)!;
    expect(lockStep).toBeDefined();
    expect(slotValue(lockStep.old)! ^ slotValue(lockStep.new)!).toBe(1);
    const a = decodeDaxEntry(slotValue(lockStep.old)!);
    const b = decodeDaxEntry(slotValue(lockStep.new)!);
    expect({ ...a, locked: true }).toEqual(b);
  });

  // ---- section F: pins, busy pages, layout breaks ----------------------------------------------

  it('fact 32: a FOLL_LONGTERM pin of an fsdax VMA fails with -EOPNOTSUPP', () => {
    const m = runScenario('f32');
    expect(m.outcomes[3].status).toBe('error');
    expect(m.outcomes[3].result).toMatchObject({ errno: 'EOPNOTSUPP', code: -95 });
    expect(m.outcomes[4].status).toBe('done');
  });

  it('fact 33: modern: one PTE → refcount 1, mapcount 1, not busy; a pin makes it busy; unmapped and idle = refcount 0. Legacy: idle = refcount 1, mapping adds none', () => {
    const m = stepN(buildMachine('f33'), 4);
    const pfn = walkAt(m, 'A', 'm')!.pte.pfn;
    const view = { pfn, pmd: false, zeroOrEmpty: false };
    expect(m.pages.folio_ref_count(pfn)).toBe(1);
    expect(m.pages.page_mapcount(pfn)).toBe(1);
    expect(m.policy.dax_busy_page(view)).toBeNull();
    m.step();
    expect(m.policy.dax_busy_page(view)).toBe(pfn);
    m.step();
    expect(m.policy.dax_busy_page(view)).toBeNull();
    m.step();
    expect(m.pages.folio_ref_count(pfn)).toBe(0);
    expect(m.pages.page_mapcount(pfn)).toBe(0);
    expect(m.policy.idleRefcount).toBe(0);
    expect(m.policy.dax_busy_page(view)).toBeNull();

    const l = stepN(buildMachine('f33.legacy'), 4);
    const lp = walkAt(l, 'A', 'm')!.pte.pfn;
    const lv = { pfn: lp, pmd: false, zeroOrEmpty: false };
    expect(l.policy.idleRefcount).toBe(1);
    expect(l.pages.folio_ref_count(lp)).toBe(1);
    expect(l.pages.page_mapcount(lp)).toBe(0);
    expect(l.policy.dax_busy_page(lv)).toBeNull();
    l.step();
    expect(l.policy.dax_busy_page(lv)).toBe(lp);
    l.step();
    expect(l.pages.folio_ref_count(lp)).toBe(1);
    expect(l.policy.dax_busy_page(lv)).toBeNull();
  });

  it('fact 34: a hole punch over a pinned page sleeps in the layout break until the pin is released, then deletes the entries', () => {
    const m = stepN(buildMachine('f34'), 5);
    const pfn = walkAt(m, 'A', 'm')!.pte.pfn;
    m.step();
    expect(m.outcomes[5].status).toBe('blocked');
    const sleep = stepsOfKind(m, 'wait', 5).filter((s) => s.who === 'K' && s.action === 'sleep');
    expect(sleep.map((s) => s.on)).toEqual([`page:${hex(pfn)}`]);
    expect(calls(m, 'dax_break_layout', 5).length).toBe(1);
    expect(rets(m, 'dax_break_layout', 5)).toEqual([]);
    expect(dax_to_pfn(numEntry(m, 0))).toBe(pfn);
    expect(m.fs.devOffsetOf(ino(m), 0)).not.toBeNull();
    m.step();
    expect(stepsOfKind(m, 'wait', 6).some((s) => s.who === 'K' && s.action === 'wake' && s.on === `page:${hex(pfn)}`)).toBe(true);
    expect(m.outcomes[5].status).toBe('done');
    expect(entryAt(m, 0)).toBeNull();
    expect(m.fs.devOffsetOf(ino(m), 0)).toBeNull();
    expect(m.mapping(ino(m)).nrpages).toBe(0);

    // XFS breaks the layout of the whole file (xfs_break_dax_layouts → dax_break_layout_inode,
    // 0..LLONG_MAX): a pin anywhere in the file holds the punch, and then every entry goes.
    const o = stepN(buildMachine('f34.outside'), 5);
    const opfn = walkAt(o, 'A', 'm', 5 * KiB4)!.pte.pfn;
    o.step();
    expect(o.outcomes[5].status).toBe('blocked');
    expect(stepsOfKind(o, 'wait', 5).filter((s) => s.who === 'K' && s.action === 'sleep').map((s) => s.on)).toEqual([`page:${hex(opfn)}`]);
    o.step();
    expect(o.outcomes[5].status).toBe('done');
    expect(entryAt(o, 5)).toBeNull();
    expect(o.mapping(ino(o)).nrpages).toBe(0);
  });

  // ---- section H: reflink and memory failure ---------------------------------------------------

  it('fact 35: the first read fault associates folio.mapping/index with the file and pgoff; a second file on the same reflinked block makes mapping null and share 2', () => {
    const m = stepN(buildMachine('f35'), 8);
    const a = ino(m, 'a');
    const b = ino(m, 'b');
    const pfn = dax_to_pfn(numEntry(m, 2, 'a'));
    expect(m.pages.folioMapping(pfn)).toBe(a);
    expect(m.pages.folioIndex(pfn)).toBe(2);
    expect(m.pages.indexMeaning(pfn)).toBe('index');
    m.step();
    expect(dax_to_pfn(numEntry(m, 2, 'b'))).toBe(pfn);
    expect(m.pages.folioMapping(pfn)).toBeNull();
    expect(m.pages.indexMeaning(pfn)).toBe('share');
    expect(m.pages.folioIndex(pfn)).toBe(2);
    expect(b).not.toBe(a);
  });

  it('fact 36: a write fault on a reflinked block installs a new-block entry, unmaps the old block from this file, drops the old share, sets DIRTY and TOWRITE', () => {
    const m = stepN(buildMachine('f36'), 9);
    const old = dax_to_pfn(numEntry(m, 2, 'b'));
    expect(m.pages.folioIndex(old)).toBe(2);
    m.step();
    const op = 9;
    const e = numEntry(m, 2, 'b');
    const nu = dax_to_pfn(e);
    expect(nu).not.toBe(old);
    expect(isDataPte(e)).toBe(true);
    expect(hasMark(m, 2, PAGECACHE_TAG_DIRTY, 'b')).toBe(true);
    expect(hasMark(m, 2, PAGECACHE_TAG_TOWRITE, 'b')).toBe(true);
    expect(m.pages.folioMapping(old)).toBeNull();
    expect(m.pages.indexMeaning(old)).toBe('share');
    expect(m.pages.folioIndex(old)).toBe(1);
    expect(m.pages.folioMapping(nu)).toBe(ino(m, 'b'));
    expect(m.pages.folioIndex(nu)).toBe(2);
    expect(stepsOfKind(m, 'pte', op).filter((s) => s.pid === pidOf(m, 'B') && s.old?.pfn === old && s.new === null).length).toBe(1);
    expect(stepsOfKind(m, 'pte', op).filter((s) => s.pid === pidOf(m, 'A')).length).toBe(0);
    expect(walkAt(m, 'B', 'mb', 2 * KiB4)!.pte).toMatchObject({ pfn: nu, write: true });
    expect(walkAt(m, 'A', 'ma', 2 * KiB4)!.pte.pfn).toBe(old);
    expect(calls(m, 'dax_iomap_copy_around', op).length).toBe(1);
    expect(dax_to_pfn(numEntry(m, 2, 'a'))).toBe(old);
    m.run();
    expect(m.outcomes[10].result).toEqual({ bytes: 4, data: 'BBAA' });
    expect(m.outcomes[11].result).toEqual({ bytes: 4, data: 'AAAA' });
  });

  it('fact 37: a media error on a block shared by two in-core files calls mf_dax_kill_procs once per owner; a metadata owner shuts the filesystem down', () => {
    const m = runScenario('f37');
    const op = 9;
    const fns = calls(m, 'xfs_dax_failure_fn', op).map((c) => c.args.ino);
    expect(fns.sort()).toEqual([ino(m, 'a'), ino(m, 'b')].sort());
    expect(calls(m, 'mf_dax_kill_procs', op).map((c) => c.args.ino).sort()).toEqual([ino(m, 'a'), ino(m, 'b')].sort());
    expect(m.outcomes[op].result).toMatchObject({ owners: 2, killed: ['A', 'B'], shutdown: false });
    expect(m.fs.mp.shutdown).toBe(false);
    const meta = runScenario('f37.meta');
    expect(calls(meta, 'xfs_force_shutdown', 2).length).toBe(1);
    expect(calls(meta, 'mf_dax_kill_procs').length).toBe(0);
    expect(meta.fs.mp.shutdown).toBe(true);
    expect(meta.outcomes[2].result).toMatchObject({ shutdown: true });
  });

  it('fact 38: 4 TiB of pmem needs 64 GiB of struct pages; map=dev data starts after 8 KiB + 64 × npfns, aligned up', () => {
    const ram = memmapCost(4 * TiB, 'ram');
    if (ram instanceof Error || !('memmapBytes' in ram)) throw new Error('memmapCost failed');
    expect(ram.memmapBytes).toBe(64 * GiB);
    expect(ram.where).toBe('DRAM');
    const dev = memmapCost(4 * TiB, 'dev', MiB2);
    if (!('dataOffset' in dev)) throw new Error('memmapCost failed');
    // npfns = (4 TiB - 8 KiB) / 4 KiB = 2^30 - 2; 8 KiB + 64 (2^30 - 2) = 64 GiB + 8064 → 64 GiB + 2 MiB.
    expect(dev.reservedForMemmap).toBe(64 * (2 ** 30 - 2));
    expect(dev.dataOffset).toBe(64 * GiB + MiB2);
    expect(dev.where).toBe('device');
    const small = memmapCost(64 * MiB, 'dev', MiB2);
    if (!('dataOffset' in small)) throw new Error('memmapCost failed');
    expect(small.dataOffset).toBe(MiB2); // 8192 + 64 × 16382 = 1 056 640 → 2 MiB
  });

  it('fact 39: a PMD data association makes the 512 pages one order-9 folio; the last disassociation splits it back', () => {
    const m = stepN(buildMachine('f39'), 4);
    const head = dax_to_pfn(numEntry(m, 0));
    expect(head % 512).toBe(0);
    expect(m.pages.folio_order(head)).toBe(9);
    for (const t of [1, 5, 511]) {
      expect(m.pages.page_folio(head + t)).toBe(head);
      expect(m.pages.folio_order(head + t)).toBe(9);
    }
    expect(m.pages.get(head).flags).toContain('PG_head');
    m.step();
    expect(m.pages.folio_order(head)).toBe(9);
    m.step();
    expect(entryAt(m, 0)).toBeNull();
    expect(m.pages.folio_order(head)).toBe(0);
    for (const t of [1, 5, 511]) {
      expect(m.pages.page_folio(head + t)).toBe(head + t);
      expect(m.pages.folio_order(head + t)).toBe(0);
    }
    expect(m.pages.folioMapping(head)).toBeNull();
  });

  it('fact 40: a PMD fault adds 512 to nrpages when the EMPTY|PMD entry is created; deleting it subtracts 512', () => {
    const m = runScenario('f40');
    const add = stepsOfKind(m, 'inode', 3).filter((s) => s.field === 'nrpages');
    expect(add.map((s) => [s.old, s.new])).toEqual([[0, 512]]);
    const grab = rets(m, 'grab_mapping_entry', 3)[0];
    expect(add[0].seq).toBeLessThan(grab.seq);
    const del = stepsOfKind(m, 'inode', 4).filter((s) => s.field === 'nrpages');
    expect(del.map((s) => [s.old, s.new])).toEqual([[512, 0]]);
    expect(m.mapping(ino(m)).nrpages).toBe(0);
  });
});

// Every scenario key is used by a fact above (keeps the scenario list and the facts in step).
describe('scenario list', () => {
  it('every scenario belongs to a fact 1-40', () => {
    for (const k of Object.keys(SCENARIOS)) {
      const n = Number(/^f(\d+)/.exec(k)?.[1]);
      expect(n >= 1 && n <= 40).toBe(true);
    }
    expect(MiB).toBe(1 << 20);
  });
});
