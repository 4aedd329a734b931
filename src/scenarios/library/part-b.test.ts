/**
 * The stories the part-B tours promise, checked on the engine's own run of each tour: what fails
 * on purpose (and nothing else), what the power failure keeps, who sleeps and who is signalled,
 * what struct page records. Each expectation follows a claim of the tour's narration.
 */
import { describe, expect, it } from 'vitest';
import { explainedRules } from '../../engine/debug/check-machine';
import { Machine, type OpOutcome } from '../../engine/machine';
import type { Scenario } from '../../engine/ops';
import type { Step } from '../../engine/trace/steps';
import { LIBRARY, type Tour } from './index';
import { PART_B } from './part-b';

const NAMES = PART_B.map((t) => t.name);

function tour(name: string): Tour {
  const t = LIBRARY.find((x) => x.name === name);
  if (!t) throw new Error(`no tour ${name}`);
  return t;
}

function machine(s: Scenario): Machine {
  const m = Machine.create(s);
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  return m;
}

/** Runs a tour op by op; returns the machine and the violations not explained for its kernel. */
function run(name: string): { m: Machine; out: OpOutcome[]; unexplained: string[] } {
  const t = tour(name);
  const m = machine(t.scenario);
  const explained = explainedRules(t.scenario.config?.kernel ?? 'modern');
  const unexplained: string[] = [];
  t.scenario.ops.forEach((_, i) => {
    m.step();
    for (const v of m.check()) if (!explained.includes(v.rule)) unexplained.push(`op ${i}: ${v.rule} ${v.message}`);
  });
  return { m, out: m.outcomes, unexplained };
}

/** Index of the n-th (0-based) operation of a kind, optionally of one process. */
function opIndex(name: string, kind: string, n = 0, proc?: string): number {
  const ops = tour(name).scenario.ops;
  const idx = ops.flatMap((o, i) => (o.op === kind && (proc === undefined || ('proc' in o && o.proc === proc)) ? [i] : []));
  if (idx[n] === undefined) throw new Error(`${name}: no ${kind} #${n}`);
  return idx[n];
}

const inOp = (m: Machine, i: number): Step[] => m.steps.filter((s) => s.op === i);
const data = (o: OpOutcome): string => (o.result as { data: string }).data;
const pageField = (steps: Step[], pfn: number, field: string) =>
  steps.flatMap((s) => (s.t === 'page' && s.pfn === pfn && s.field === field ? [s.new] : []));

/** The operations of each tour that fail or signal on purpose (index: status), as the tours declare them. */
const ON_PURPOSE: Record<string, Record<number, OpOutcome['status']>> = Object.fromEntries(PART_B.map((t) => [t.name, t.onPurpose ?? {}]));

it('declares exactly the failures its stories are about', () => {
  expect(Object.fromEntries(Object.entries(ON_PURPOSE).filter(([, v]) => Object.keys(v).length > 0))).toEqual({
    'truncate-punch': { 9: 'signal' },
    'pin-longterm': { 3: 'error' },
    'memory-failure': { 13: 'signal', 15: 'error' },
  });
});

describe('part-B tours: form', () => {
  it('are all in the library, with the two names the app opens', () => {
    for (const n of NAMES) expect(LIBRARY.some((t) => t.name === n)).toBe(true);
    expect(NAMES).toContain('reflink-cow');
    expect(NAMES).toContain('pin-truncate');
  });

  for (const def of PART_B) {
    it(`${def.name}: machine line, 3-6 chapters, narration on every op, size budget`, () => {
      const t = tour(def.name);
      expect(def.text.trimStart().startsWith('machine ')).toBe(true);
      expect(t.chapters.length).toBeGreaterThanOrEqual(3);
      expect(t.chapters.length).toBeLessThanOrEqual(6);
      for (const op of t.scenario.ops) expect(op.note, `${def.name}: ${op.op}`).toMatch(/\S/);
      expect(def.text.length).toBeLessThanOrEqual(3000);
      expect(def.text).not.toMatch(/`|\$\{/);
    });

    it(`${def.name}: only the narrated failures, no unexplained violation, nothing left asleep`, () => {
      const { m, out, unexplained } = run(def.name);
      const bad = Object.fromEntries(out.filter((o) => o.status === 'error' || o.status === 'signal').map((o) => [o.index, o.status]));
      expect(bad).toEqual(ON_PURPOSE[def.name] ?? {});
      expect(unexplained).toEqual([]);
      expect(m.pending).toHaveLength(0);
    });
  }
});

describe('part-B tours: the stories', () => {
  it('power-adr: the fsynced and the user-flushed stores survive, the unflushed line is discarded', () => {
    const { m, out } = run('power-adr');
    const crash = opIndex('power-adr', 'crash');
    expect(out[crash].result).toEqual({ lostLines: 1, drainedLines: 0 });
    expect(out[opIndex('power-adr', 'flush')].result).toBe(1);
    const discarded = inOp(m, crash).filter((s) => s.t === 'cache' && s.action === 'discard');
    expect(discarded.map((s) => (s.t === 'cache' ? s.addr % 4096 : -1))).toEqual([128]);
    const text = data(out[opIndex('power-adr', 'read')]);
    expect(text.startsWith('synced.')).toBe(true);
    expect(text.slice(64, 71)).toBe('flushed');
    expect(text.slice(128, 136)).toBe('........');
  });

  it('power-eadr: both unflushed lines are drained, but the unforced block allocation is rolled back', () => {
    const { m, out } = run('power-eadr');
    const crash = opIndex('power-eadr', 'crash');
    expect(out[crash].result).toEqual({ lostLines: 0, drainedLines: 2 });
    expect(inOp(m, crash).some((s) => s.t === 'blk' && s.action === 'free')).toBe(true);
    expect(data(out[opIndex('power-eadr', 'read', 0)])).toBe('kept');
    expect(data(out[opIndex('power-eadr', 'read', 1)])).toBe('\\x00'.repeat(9));
    // The same scenario on ADR loses "kept": the platform is what made it durable.
    const adr = machine({ ...tour('power-eadr').scenario, config: { ...tour('power-eadr').scenario.config, platform: 'adr' } }).run();
    expect(data(adr.outcomes[opIndex('power-eadr', 'read', 0)])).not.toBe('kept');
  });

  it('truncate-punch: the punch unmaps the file and frees one block; a hole maps the zero page; beyond EOF is SIGBUS', () => {
    const { m, out } = run('truncate-punch');
    const punch = opIndex('truncate-punch', 'punch');
    const unmapped = inOp(m, punch).filter((s) => s.t === 'pte' && s.old && !s.new);
    expect(unmapped).toHaveLength(2);
    const freed = inOp(m, punch).flatMap((s) => (s.t === 'blk' && s.action === 'free' ? [[s.start, s.len]] : []));
    expect(freed).toEqual([[513, 1]]);
    const reload = opIndex('truncate-punch', 'load', 2);
    expect(inOp(m, reload).some((s) => s.t === 'pte' && s.new?.pfn === m.phys.zeroPagePfn)).toBe(true);
    const refill = opIndex('truncate-punch', 'store');
    const alloc = inOp(m, refill).flatMap((s) => (s.t === 'blk' && s.action === 'alloc' ? [s.start] : []));
    expect(alloc).toHaveLength(1);
    expect(alloc[0]).not.toBe(513);
    const sigbus = opIndex('truncate-punch', 'load', 3);
    expect(out[sigbus].status).toBe('signal');
    expect(out[sigbus].result).toMatchObject({ signal: 'SIGBUS' });
    expect(data(out[opIndex('truncate-punch', 'load', 4)])).toBe('refill');
  });

  it('pin-truncate: the truncating task sleeps until the unpin, then frees the block', () => {
    const t = tour('pin-truncate');
    const m = machine(t.scenario);
    const trunc = opIndex('pin-truncate', 'truncate', 1);
    const unpin = opIndex('pin-truncate', 'unpin');
    for (let i = 0; i <= trunc; i++) m.step();
    expect(m.outcomes[trunc].status).toBe('blocked');
    expect(m.steps.some((s) => s.t === 'blk' && s.action === 'free')).toBe(false);
    m.step();
    expect(m.outcomes[trunc].status).toBe('done');
    const waits = m.steps.filter((s) => s.t === 'wait').map((s) => (s.t === 'wait' ? `${s.who}:${s.action}:${s.op}` : ''));
    expect(waits).toEqual([`B:sleep:${trunc}`, `B:wake:${unpin}`]);
    expect(inOp(m, unpin).some((s) => s.t === 'blk' && s.action === 'free')).toBe(true);
    const pin = opIndex('pin-truncate', 'pin');
    expect(inOp(m, pin).some((s) => s.t === 'page' && s.field === '_refcount' && s.old === 1 && s.new === 1025)).toBe(true);
  });

  it('pin-longterm: FOLL_LONGTERM gets EOPNOTSUPP, a short pin adds 1024, and the truncate never waits', () => {
    const { m, out } = run('pin-longterm');
    const lt = opIndex('pin-longterm', 'pin', 0);
    expect(out[lt].status).toBe('error');
    expect(out[lt].result).toMatchObject({ errno: 'EOPNOTSUPP' });
    const dio = opIndex('pin-longterm', 'pin', 1);
    expect(out[dio].status).toBe('done');
    expect(inOp(m, dio).some((s) => s.t === 'page' && s.field === '_refcount' && typeof s.old === 'number' && s.new === s.old + 1024)).toBe(true);
    expect(m.steps.some((s) => s.t === 'wait')).toBe(false);
    expect(inOp(m, opIndex('pin-longterm', 'truncate')).some((s) => s.t === 'blk' && s.action === 'free')).toBe(true);
  });

  it('struct-page: map=dev memmap numbers; owner, references, mapcount and pin of one page', () => {
    const { m } = run('struct-page');
    expect(m.phys.memmap()).toMatchObject({ where: 'device', memmapBytes: 4 * 2 ** 20, dataOffset: 6 * 2 ** 20 });
    const load = opIndex('struct-page', 'load', 0);
    const own = inOp(m, load).find((s) => s.t === 'page' && s.field === 'mapping');
    expect(own).toBeDefined();
    const pfn = own!.t === 'page' ? own!.pfn : -1;
    expect(pageField(m.steps, pfn, 'mapping')[0]).toBe(1 + 130); // the first inode number
    expect(pageField(m.steps, pfn, 'index')).toEqual([1]);
    const refs = pageField(m.steps, pfn, '_refcount') as number[];
    expect(Math.max(...refs)).toBe(1026);
    expect(pageField(m.steps, pfn, 'mapcount')).toEqual([1, 2, 1, 0]);
    const bUnmap = opIndex('struct-page', 'munmap', 1);
    expect(pageField(inOp(m, bUnmap), pfn, '_refcount')).toEqual([0]);
    expect(pageField(inOp(m, bUnmap), pfn, 'mapping')).toEqual([]);
    expect(pageField(inOp(m, opIndex('struct-page', 'truncate')), pfn, 'mapping')).toEqual([null]);
  });

  it('reflink-cow: share counts 1->2->1, A and B map one pfn, B\'s store copies and tags DIRTY+TOWRITE', () => {
    const { m, out } = run('reflink-cow');
    const rc = m.steps.flatMap((s) => (s.t === 'refcount' ? [[s.old, s.new]] : []));
    expect(rc).toEqual([
      [1, 2],
      [2, 1],
    ]);
    const loadA = opIndex('reflink-cow', 'load', 0, 'A');
    const loadB = opIndex('reflink-cow', 'load', 0, 'B');
    const pfnOf = (i: number) => inOp(m, i).flatMap((s) => (s.t === 'pte' && s.new ? [s.new.pfn] : []))[0];
    expect(pfnOf(loadA)).toBe(pfnOf(loadB));
    expect(pageField(inOp(m, loadB), pfnOf(loadA), 'share')).toContain(2);
    expect(pageField(inOp(m, loadB), pfnOf(loadA), 'mapping')).toEqual([null]);
    const store = opIndex('reflink-cow', 'store', 0, 'B');
    const marks = inOp(m, store).flatMap((s) => (s.t === 'xa_mark' && s.set ? [s.mark] : []));
    expect(marks).toEqual(expect.arrayContaining([0, 2]));
    expect(inOp(m, store).some((s) => s.t === 'blk' && s.action === 'alloc')).toBe(true);
    expect(data(out[opIndex('reflink-cow', 'load', 1, 'B')])).toBe('BBAA');
    expect(data(out[opIndex('reflink-cow', 'load', 1, 'A')])).toBe('AAAA');
  });

  it('reflink-write: write(2) copies the shared block, unmaps the old PTE, and leaves copied lines dirty after fsync', () => {
    const { m, out } = run('reflink-write');
    const w = opIndex('reflink-write', 'write', 1);
    expect(inOp(m, w).some((s) => s.t === 'pte' && s.old && !s.new)).toBe(true);
    expect(inOp(m, w).flatMap((s) => (s.t === 'refcount' ? [[s.old, s.new]] : []))).toEqual([[2, 1]]);
    expect(data(out[opIndex('reflink-write', 'load', 1)])).toBe('XYaa');
    expect(data(out[opIndex('reflink-write', 'read')])).toBe('aaaa');
    expect(m.pmem.dirtyLineCount()).toBe(63);
  });

  it('shared-owner: mapping goes NULL and share counts files (1, 2, 3, then 2 after truncate), not PTEs', () => {
    const { m } = run('shared-owner');
    const loadA = opIndex('shared-owner', 'load', 0);
    const pfn = inOp(m, loadA).flatMap((s) => (s.t === 'pte' && s.new ? [s.new.pfn] : []))[0];
    expect(pageField(m.steps, pfn, 'mapping')).toEqual([131, null]);
    expect(pageField(m.steps, pfn, 'share')).toEqual([1, 2, 3, 2]);
    expect(pageField(inOp(m, opIndex('shared-owner', 'munmap')), pfn, 'share')).toEqual([]);
    expect(inOp(m, opIndex('shared-owner', 'truncate')).flatMap((s) => (s.t === 'refcount' ? [[s.old, s.new]] : []))).toEqual([[3, 2]]);
  });

  it('memory-failure: the rmap finds 3 owners, every mapping process gets SIGBUS, later access fails', () => {
    const { m, out } = run('memory-failure');
    const p = opIndex('memory-failure', 'poison');
    expect(out[p].result).toEqual({ owners: 3, killed: ['A', 'B', 'C'], shutdown: false });
    const sigs = inOp(m, p).filter((s) => s.t === 'signal');
    expect(new Set(sigs.map((s) => (s.t === 'signal' ? s.pid : -1))).size).toBe(3);
    expect(sigs.every((s) => s.t === 'signal' && s.sig === 'SIGBUS' && s.why === 'BUS_MCEERR_AO')).toBe(true);
    expect(inOp(m, p).filter((s) => s.t === 'call' && s.fn === 'mf_dax_kill_procs')).toHaveLength(3);
    expect(inOp(m, p).some((s) => s.t === 'page' && Array.isArray(s.new) && s.new.includes('PG_hwpoison'))).toBe(true);
    const again = opIndex('memory-failure', 'load', 3);
    expect(out[again].result).toMatchObject({ signal: 'SIGBUS' });
    expect(String((out[again].result as { why: string }).why)).toContain('BUS_MCEERR_AR');
    expect(out[opIndex('memory-failure', 'load', 4)].status).toBe('done');
    expect(out[opIndex('memory-failure', 'read')].result).toMatchObject({ errno: 'EIO' });
  });

  it('private-cow: the copies go to anonymous DRAM pages; the file and the shared mapping keep the block', () => {
    const { m, out } = run('private-cow');
    const first = opIndex('private-cow', 'store', 0);
    expect(inOp(m, first).some((s) => s.t === 'call' && s.fn === 'do_cow_fault')).toBe(true);
    expect(inOp(m, first).some((s) => s.t === 'dram' && s.action === 'alloc' && s.use === 'anon')).toBe(true);
    expect(inOp(m, first).some((s) => s.t === 'pte' && s.new?.anon && s.new.write)).toBe(true);
    const second = opIndex('private-cow', 'store', 1);
    expect(inOp(m, second).some((s) => s.t === 'call' && s.fn === 'do_wp_page')).toBe(true);
    expect(inOp(m, second).some((s) => s.t === 'dram' && s.action === 'alloc' && s.use === 'anon')).toBe(true);
    // Only the initial write(2) allocated pmem blocks.
    expect(m.steps.filter((s) => s.t === 'blk' && s.action === 'alloc').every((s) => s.op === opIndex('private-cow', 'write'))).toBe(true);
    expect(data(out[opIndex('private-cow', 'load', 0, 'B')])).toBe('ffff');
    expect(data(out[opIndex('private-cow', 'load', 0, 'A')])).toBe('mine');
    expect(data(out[opIndex('private-cow', 'read')])).toBe('ffff');
  });

  it('eras-61: idle refcount 1, no PTE reference, overwritten mapping, DAX_COW sentinel, wait for refcount 1', () => {
    const { m } = run('eras-61');
    const loadA = opIndex('eras-61', 'load', 0);
    const pfn = inOp(m, loadA).flatMap((s) => (s.t === 'pte' && s.new ? [s.new.pfn] : []))[0];
    expect(pageField(inOp(m, loadA), pfn, '_refcount')).toEqual([]);
    expect(pageField(inOp(m, loadA), pfn, 'mapcount')).toEqual([]);
    const loadB = opIndex('eras-61', 'load', 1);
    expect(inOp(m, loadB).some((s) => s.t === 'warn' && s.fn === 'dax_associate_entry')).toBe(true);
    expect(pageField(inOp(m, loadB), pfn, 'mapping')).toEqual([132]);
    const store = opIndex('eras-61', 'store');
    expect(inOp(m, store).some((s) => s.t === 'page' && s.pfn !== pfn && s.field === 'mapping' && s.new === 'PAGE_MAPPING_DAX_COW')).toBe(true);
    expect(pageField(inOp(m, opIndex('eras-61', 'pin')), pfn, '_refcount')).toEqual([1025]);
    const waits = m.steps.filter((s) => s.t === 'wait').map((s) => (s.t === 'wait' ? `${s.who}:${s.action}` : ''));
    expect(waits).toEqual(['T:sleep', 'T:wake']);
    expect(pageField(inOp(m, opIndex('eras-61', 'unpin')), pfn, '_refcount').at(-1)).toBe(1);
    // The modern model, on the same operations, shares instead of overwriting and idles at 0.
    const s = tour('eras-61').scenario;
    const modern = machine({ ...s, config: { ...s.config, kernel: 'modern' } }).run();
    expect(pageField(modern.steps, pfn, 'share')).toContain(2);
    expect(modern.warnings).toEqual([]);
    expect(pageField(modern.steps, pfn, '_refcount').at(-1)).toBe(0);
  });
});
