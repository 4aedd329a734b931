import { describe, expect, it } from 'vitest';
import { buildMachine, SCENARIOS } from '../../../test/kernel-facts.scenarios';
import { record, runScenario } from '../highlight/testing';
import { CallPathTimeline, callPathAt, sourceLink } from './stack';

describe('call path from call/ret steps', () => {
  it('jumping back restarts from a checkpoint and gives what a fresh scan gives', () => {
    for (const key of Object.keys(SCENARIOS)) {
      const r = record(buildMachine(key));
      const tl = new CallPathTimeline(r.steps, 5);
      tl.pathAt(r.steps.length);
      // Every cursor, visited backwards then at a fixed pseudo-random order (fixed seed).
      const order: number[] = [];
      for (let c = r.steps.length; c >= 0; c--) order.push(c);
      let x = 12345;
      for (let i = 0; i < 40; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        order.push(x % (r.steps.length + 1));
      }
      for (const c of order) expect(tl.pathAt(c)).toEqual(callPathAt(r.steps, c));
    }
  });

  it('equals the engine call stack after every step of every kernel-facts scenario (sleeping and resumed tasks included)', () => {
    for (const key of Object.keys(SCENARIOS)) {
      const r = record(buildMachine(key));
      const tl = new CallPathTimeline(r.steps);
      for (let c = 1; c <= r.steps.length; c++) {
        const got = tl.pathAt(c).running?.frames.map((f) => f.fn) ?? [];
        if (JSON.stringify(got) !== JSON.stringify(r.stacks[c - 1])) {
          throw new Error(`${key} after step ${c - 1} (${r.steps[c - 1].t}): got ${got.join('>')} want ${r.stacks[c - 1].join('>')}`);
        }
      }
    }
  });

  it('keeps a paused task with its stack while another process runs (f31)', () => {
    const r = record(buildMachine('f31'));
    const sleep = r.steps.findIndex((s) => s.t === 'wait' && s.action === 'sleep');
    expect(sleep).toBeGreaterThan(0);
    const p = callPathAt(r.steps, sleep + 1);
    const a = p.others.find((t) => t.who === 'A');
    expect(a?.state).toBe('sleeping');
    expect(a?.frames.map((f) => f.fn)).toContain('dax_iomap_pmd_fault');
    // Going back gives the same answer as a fresh scan.
    const tl = new CallPathTimeline(r.steps);
    tl.pathAt(r.steps.length);
    expect(tl.pathAt(sleep + 1)).toEqual(p);
  });

  it('a read fault: handle_mm_fault > ... > dax_iomap_pte_fault > grab_mapping_entry', () => {
    const r = runScenario({
      version: 1,
      config: { pmd: false },
      ops: [
        { op: 'create', file: 'f' },
        { op: 'truncate', file: 'f', size: 4194304 },
        { op: 'mmap', proc: 'A', file: 'f', length: 4194304, flags: 'shared', prot: 'rw', as: 'm' },
        { op: 'load', proc: 'A', addr: { map: 'm', offset: 4096 }, len: 8 },
      ],
    });
    const at = r.steps.findIndex((s) => s.t === 'call' && s.fn === 'grab_mapping_entry');
    const fns = callPathAt(r.steps, at + 1).running!.frames.map((f) => f.fn);
    expect(fns[0]).toBe('handle_mm_fault');
    expect(fns).toContain('xfs_filemap_fault');
    expect(fns.slice(-2)).toEqual(['dax_iomap_pte_fault', 'grab_mapping_entry']);
  });
});

describe('sourceLink', () => {
  it('links kernel functions to elixir for the modelled version', () => {
    expect(sourceLink('dax_iomap_pte_fault', 'modern')?.href).toBe('https://elixir.bootlin.com/linux/v6.15/A/ident/dax_iomap_pte_fault');
    expect(sourceLink('grab_mapping_entry', '6.1')?.href).toBe('https://elixir.bootlin.com/linux/v6.1/A/ident/grab_mapping_entry');
  });
  it('links an ops-table method to its table, and instructions to nothing', () => {
    expect(sourceLink('xfs_read_iomap_ops.iomap_begin', 'modern')?.ident).toBe('xfs_read_iomap_ops');
    expect(sourceLink('clwb+sfence', 'modern')).toBeNull();
  });
});
