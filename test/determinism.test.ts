/**
 * Determinism: the same scenario gives byte-identical JSON (every step, every outcome, the final
 * dumpState) across two runs, and the machine's final state does not depend on whether tracing
 * is on. The scenarios mix DAX and page-cache paths with a task stopped at a pause point, a
 * layout break that sleeps on a pin, a PMD fault, reflink and CoW, a crash and a poison.
 *
 * Conventions in this file:
 *   snapshot - JSON text of { steps, outcomes, state } after running the whole scenario.
 *
 * What this model leaves out: nothing; these are plain scenario runs.
 */
import { describe, it, expect } from 'vitest';
import { Machine } from '../src/engine/machine';
import type { Scenario } from '../src/engine/ops';

const PAGE = 4096;
const MiB2 = 2 << 20;
const MiB4 = 4 << 20;

const MIXED: Scenario = {
  version: 1,
  config: { dax: 'always', platform: 'adr', kernel: 'modern' },
  ops: [
    { op: 'create', file: 'a' },
    { op: 'truncate', file: 'a', size: MiB4 },
    { op: 'mmap', proc: 'A', file: 'a', length: MiB4, as: 'big' },
    // A is stopped inside its PMD fault, after iomap_begin; B runs meanwhile.
    { op: 'store', proc: 'A', addr: { map: 'big' }, data: 'PMD', pause: 'dax_iomap_pmd_fault:iomap_begin' },
    { op: 'write', proc: 'B', file: 'a', offset: MiB2 + 10, data: 'written by B' },
    { op: 'resume', proc: 'A' },
    { op: 'load', proc: 'A', addr: { map: 'big', offset: MiB2 }, len: 32 },
    { op: 'create', file: 'b' },
    { op: 'reflink', proc: 'B', src: 'a', dst: 'b' },
    { op: 'mmap', proc: 'B', file: 'b', length: 4 * PAGE, flags: 'private', as: 'priv' },
    { op: 'store', proc: 'B', addr: { map: 'priv' }, data: 'private' },
    { op: 'mmap', proc: 'C', file: 'b', length: 4 * PAGE, as: 'shb' },
    { op: 'store', proc: 'C', addr: { map: 'shb', offset: 1 }, data: 'CoW' },
    // A short-term pin makes the truncate sleep until it is released.
    { op: 'pin', proc: 'C', addr: { map: 'shb' }, as: 'dma' },
    { op: 'truncate', proc: 'T', file: 'b', size: PAGE },
    { op: 'fsync', proc: 'B', file: 'a' },
    { op: 'msync', proc: 'A', addr: { map: 'big' }, length: MiB4 },
    { op: 'unpin', proc: 'D', pin: 'dma' },
    { op: 'mmap', proc: 'A', file: 'a', length: PAGE, flags: 'sync', as: 'sync' },
    { op: 'store', proc: 'A', addr: { map: 'sync' }, data: 'sync' },
    { op: 'flush', proc: 'A', addr: { map: 'sync' }, length: 64 },
    { op: 'punch', proc: 'B', file: 'a', offset: PAGE, length: 2 * PAGE },
    { op: 'fallocate', proc: 'B', file: 'b', offset: 0, length: 8 * PAGE },
    { op: 'poison', file: 'a', offset: MiB2 },
    { op: 'load', proc: 'A', addr: { map: 'big', offset: MiB2 }, len: 8 },
    { op: 'crash' },
    { op: 'read', file: 'a', offset: 0, len: 16 },
    { op: 'read', file: 'b', offset: 0, len: 16 },
  ],
};

const PAGECACHE: Scenario = {
  version: 1,
  config: { dax: 'never', platform: 'eadr' },
  ops: [
    { op: 'create', file: 'p' },
    { op: 'write', proc: 'A', file: 'p', offset: 0, data: 'page cache' },
    { op: 'mmap', proc: 'A', file: 'p', length: 2 * PAGE, as: 'm' },
    { op: 'mmap', proc: 'B', file: 'p', length: 2 * PAGE, flags: 'private', as: 'q' },
    { op: 'store', proc: 'A', addr: { map: 'm', offset: 5 }, data: '-' },
    { op: 'store', proc: 'B', addr: { map: 'q' }, data: 'mine' },
    { op: 'pin', proc: 'A', addr: { map: 'm' }, longterm: true, as: 'rdma' },
    { op: 'fsync', proc: 'A', file: 'p' },
    { op: 'truncate', proc: 'T', file: 'p', size: 3 },
    { op: 'unpin', proc: 'A', pin: 'rdma' },
    { op: 'create', file: 'p2' },
    { op: 'reflink', proc: 'A', src: 'p', dst: 'p2' },
    { op: 'crash' },
    { op: 'read', file: 'p2', offset: 0, len: 8 },
  ],
};

function snapshot(s: Scenario, trace: boolean): { all: string; state: string; outcomes: string } {
  const m = Machine.create(structuredClone(s), { trace });
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  m.run();
  const state = JSON.stringify(m.dumpState());
  const outcomes = JSON.stringify(m.outcomes);
  return { all: JSON.stringify({ steps: m.steps, outcomes: m.outcomes, state: m.dumpState() }), state, outcomes };
}

describe('determinism', () => {
  for (const [name, s] of [
    ['mixed DAX scenario with a pause, a sleeping truncate, a crash and a poison', MIXED],
    ['page-cache scenario with a long-term pin and a crash', PAGECACHE],
  ] as const) {
    it(`${name}: two runs give byte-identical steps, outcomes and state`, () => {
      const a = snapshot(s, true);
      const b = snapshot(s, true);
      expect(a.all.length).toBeGreaterThan(1000);
      expect(b.all).toBe(a.all);
    });

    it(`${name}: tracing on or off gives the same final state and outcomes`, () => {
      const on = snapshot(s, true);
      const off = snapshot(s, false);
      expect(off.state).toBe(on.state);
      expect(off.outcomes).toBe(on.outcomes);
    });
  }

  it('the mixed scenario really exercises a pause, a sleep and a wake-up', () => {
    const m = Machine.create(structuredClone(MIXED)) as Machine;
    const statuses: string[] = [];
    for (let i = 0; i < MIXED.ops.length; i++) statuses.push(m.step().status);
    expect(statuses[3]).not.toBe('blocked');
    expect(m.outcomes[3].status).toBe('done'); // paused, then resumed to completion
    expect(m.steps.some((x) => x.t === 'wait' && x.action === 'sleep' && x.who === 'A')).toBe(true);
    expect(m.steps.some((x) => x.t === 'wait' && x.action === 'sleep' && x.who === 'T')).toBe(true);
    expect(m.steps.some((x) => x.t === 'wait' && x.action === 'wake' && x.who === 'T')).toBe(true);
    expect(m.outcomes[14].status).toBe('done'); // the truncate finished after the unpin
  });
});
