import { describe, expect, it } from 'vitest';
import { Machine } from '../engine/machine';
import { validateScenario } from '../engine/ops';
import { explainedRules } from '../engine/debug/check-machine';
import { BUILTIN_SCENARIOS } from './builtin';

describe('built-in DAX scenarios', () => {
  it('have distinct names and a note on every operation', () => {
    expect(new Set(BUILTIN_SCENARIOS.map((s) => s.name)).size).toBe(BUILTIN_SCENARIOS.length);
    for (const b of BUILTIN_SCENARIOS) {
      expect('scenario' in validateScenario(b.scenario), b.name).toBe(true);
      for (const op of b.scenario.ops) expect(op.note, `${b.name}: ${op.op}`).toMatch(/\S/);
    }
  });

  for (const b of BUILTIN_SCENARIOS) {
    it(`${b.name}: no invariant violation its kernel model does not explain, and only its declared failures`, () => {
      const m = Machine.create(b.scenario);
      if ('errors' in m) throw new Error(JSON.stringify(m.errors));
      const kernel = b.scenario.config?.kernel ?? 'modern';
      const explained = explainedRules(kernel);
      const failed: Record<number, string> = {};
      b.scenario.ops.forEach((op, i) => {
        const o = m.step();
        if (o.status === 'error' || o.status === 'signal') failed[i] = o.status;
        const unexplained = m.check().filter((v) => !explained.includes(v.rule));
        expect(unexplained, `${b.name} after op ${i} (${op.op})`).toEqual([]);
      });
      expect(failed, `${b.name}: operations that failed`).toEqual(b.onPurpose ?? {});
      expect(m.pending).toHaveLength(0);
      // The modern model warns about nothing; 6.1's warnings are the ones docs/kernel-6.1.md lists.
      if (kernel === 'modern') expect(m.warnings).toEqual([]);
    });
  }

  it('tell the stories they promise', () => {
    const run = (name: string) => {
      const b = BUILTIN_SCENARIOS.find((s) => s.name === name)!;
      const m = Machine.create(b.scenario) as Machine;
      m.run();
      return m;
    };
    // (a) the read fault maps the zero page and allocates nothing.
    const a = run('read-hole');
    expect(a.steps.some((s) => s.t === 'tp' && s.name === 'dax_load_hole')).toBe(true);
    expect(a.steps.some((s) => s.t === 'blk' && s.action === 'alloc')).toBe(false);
    expect(a.steps.some((s) => s.t === 'pte' && s.new?.pfn === a.phys.zeroPagePfn)).toBe(true);
    // (b) the write fault allocates; fsync sets TOWRITE (mark 2), clears it and flushes the line.
    const b = run('write-fsync');
    expect(b.steps.some((s) => s.t === 'blk' && s.action === 'alloc')).toBe(true);
    expect(b.steps.some((s) => s.t === 'xa_mark' && s.mark === 2 && s.set)).toBe(true);
    expect(b.steps.some((s) => s.t === 'cache' && s.action === 'flush')).toBe(true);
    expect(b.pmem.dirtyLineCount()).toBe(0);
    // (c) the share count goes 1 -> 2 -> 1.
    const c = run('reflink-cow');
    const rc = c.steps.filter((s) => s.t === 'refcount').map((s) => (s.t === 'refcount' ? [s.old, s.new] : []));
    expect(rc).toEqual([
      [1, 2],
      [2, 1],
    ]);
    // (e) truncate sleeps until the unpin.
    const e = run('pin-truncate');
    const waits = e.steps.filter((s) => s.t === 'wait').map((s) => (s.t === 'wait' ? `${s.who}:${s.action}` : ''));
    expect(waits).toEqual(['B:sleep', 'B:wake']);
  });
});
