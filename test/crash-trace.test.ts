/**
 * A power failure runs no kernel code: DRAM forgets. The crash operation's steps must show the
 * state that is lost (a viewer replays them) without a call path through kernel functions, and
 * every such state change must say it was lost with DRAM.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/engine/machine';
import { builtin } from '../src/scenarios/builtin';

describe('power failure in the trace', () => {
  for (const name of ['power-adr', 'power-eadr', 'map-sync']) {
    it(`${name}: no kernel function runs until log recovery, and the losses are steps`, () => {
      const m = Machine.create(builtin(name).scenario) as Machine;
      m.run();
      const crashOp = builtin(name).scenario.ops.findIndex((o) => o.op === 'crash');
      const steps = m.steps.filter((s) => s.op === crashOp);
      const recover = steps.findIndex((s) => s.t === 'call' && s.fn === 'xlog_recover');
      expect(recover).toBeGreaterThan(0);
      const before = steps.slice(0, recover);
      expect(before.filter((s) => s.t === 'call' || s.t === 'ret' || s.t === 'tp').map((s) => (s.t === 'call' || s.t === 'ret' ? s.fn : s.t))).toEqual([]);
      const losses = before.filter((s) => ['pte', 'vma', 'page', 'xa_slot', 'inode'].includes(s.t));
      expect(losses.length).toBeGreaterThan(0);
      for (const s of losses) expect(s.text).toMatch(/^Power loss: /);
      expect(before.every((s) => s.depth === 0)).toBe(true);
    });
  }
});
