import { describe, expect, it } from 'vitest';
import { xarrayTour } from '../app/demo';
import { readStatus, readStatusAfterDeath, makeStatusBlock, StatusWriter, type StatusSnapshot } from './status-block';
import { Session } from './session';
import type { XaScenarioSpec } from './protocol';

const spec = (ops: XaScenarioSpec['ops']): XaScenarioSpec => ({ v: 1, kind: 'xarray', name: 't', title: 't', ops });

describe('Session.run', () => {
  it('brackets every op with an op step and returns where each op starts', () => {
    const r = new Session(new StatusWriter(makeStatusBlock())).run(xarrayTour);
    expect(r.opStarts).toHaveLength(xarrayTour.ops.length);
    r.opStarts.forEach((s, k) => {
      expect(r.steps[s].t).toBe('op');
      expect(r.steps[s].op).toBe(k);
    });
    expect(r.steps.every((s, i) => s.seq === i)).toBe(true);
    expect(r.keyframes[r.xa]).toHaveLength(xarrayTour.ops.length + 1);
    // The tour ends with everything but indices 0 and 1 erased: a single shift-0 node.
    expect(r.keyframes[r.xa].at(-1)).toMatchObject({ shift: 0, count: 2, nr_values: 2, marks: [[], [1], []] });
  });

  it('leaves the status block consistent, done, and counting every op and step', () => {
    const w = new StatusWriter(makeStatusBlock());
    const s = new Session(w);
    const r1 = s.run(xarrayTour);
    const st = readStatus(w.block)!;
    expect(st).toMatchObject({ generation: 1, phase: 'done', opsDone: 8, opsTotal: 8, steps: r1.steps.length, goodSteps: r1.steps.length, goodOps: 8 });
    const r2 = s.run(spec([{ op: 'store', index: 3, value: 3 }]));
    expect(r2.generation).toBe(2);
    expect(readStatus(w.block)).toMatchObject({ generation: 2, opsDone: 1, goodSteps: r2.steps.length });
  });

  it('publishes one copy per op plus start and end in copy mode', () => {
    const got: StatusSnapshot[] = [];
    new Session(new StatusWriter(makeStatusBlock(), (x) => got.push(x))).run(xarrayTour);
    expect(got).toHaveLength(xarrayTour.ops.length + 2);
    expect(got[0].phase).toBe('running');
    expect(got.at(-1)!.phase).toBe('done');
    expect(got.map((g) => g.opsDone)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 8]);
  });

  it('turns bad input into an error in the trace, not an exception', () => {
    const r = new Session(new StatusWriter(makeStatusBlock())).run(spec([{ op: 'store', index: 3, value: 1, order: 2 }]));
    // Index 3 is not aligned to 2^2: the engine returns -EINVAL and changes nothing.
    expect(r.keyframes[r.xa]).toEqual([null, null]);
    expect(r.steps.some((s) => s.t === 'xa_slot')).toBe(false);
  });

  it('beginCrash leaves the block mid-update with the last good counts of the previous run', () => {
    const w = new StatusWriter(makeStatusBlock());
    const s = new Session(w);
    const r = s.run(xarrayTour);
    s.beginCrash();
    expect(readStatus(w.block)).toBeNull();
    const dead = readStatusAfterDeath(w.block);
    expect(dead.midUpdate).toBe(true);
    expect(dead.goodSteps).toBe(r.steps.length);
  });
});
