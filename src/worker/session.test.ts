import { describe, expect, it } from 'vitest';
import { xarrayTour } from '../app/demo';
import { readStatus, readStatusAfterDeath, readUnderSeqlock, makeStatusBlock, StatusWriter, type StatusSnapshot } from './status-block';
import { BUILTIN_SCENARIOS } from '../scenarios/builtin';
import { pmemPageHead } from '../panels/device/bytes';
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

describe('Session.run with a machine scenario', () => {
  const wf = BUILTIN_SCENARIOS.find((b) => b.name === 'write-fsync')!;
  const mspec = { v: 1 as const, kind: 'machine' as const, name: wf.name, title: wf.title, scenario: wf.scenario };

  it('sends a machine keyframe and an i_pages keyframe per op boundary, and the memory once', () => {
    const r = new Session(new StatusWriter(makeStatusBlock())).run(mspec);
    const n = wf.scenario.ops.length;
    expect(r.opStarts).toHaveLength(n);
    expect(r.machine!.keyframes).toHaveLength(n + 1);
    expect(r.xas).toEqual(['i_pages:131']);
    expect(r.xa).toBe('i_pages:131');
    expect(r.keyframes['i_pages:131']).toHaveLength(n + 1);
    // The file exists after op 0, its mapping only once something looked it up.
    expect(r.keyframes['i_pages:131'][0]).toBeNull();
    // No page bytes in keyframes; dirty lines by address only.
    const after = r.machine!.keyframes[4] as { device: { hasMedia: boolean; cached: string[] }[]; files: { [k: string]: unknown }[] };
    expect(JSON.stringify(r.machine!.keyframes)).not.toContain('hello');
    expect(after.files[0]).not.toHaveProperty('i_pages');
    expect(after.device[0]).toMatchObject({ hasMedia: false, cached: ['0x200000'] });
    // The buffers are the engine's own SharedArrayBuffers, and hold the bytes at the end of the run.
    expect(r.machine!.memory.shared).toBe(true);
    expect(r.machine!.memory.pmem.top).toBeInstanceOf(SharedArrayBuffer);
    const head = pmemPageHead(r.machine!.memory, 512, 8);
    expect(new TextDecoder().decode(head.bytes.subarray(0, 5))).toBe('hello');
    expect(head.dirtyLines).toBe(0);
  });

  it('in copy mode the memory is plain ArrayBuffers', () => {
    const r = new Session(new StatusWriter(makeStatusBlock()), { memory: 'copy' }).run(mspec);
    expect(r.machine!.memory.shared).toBe(false);
    expect(r.machine!.memory.pmem.top).toBeInstanceOf(ArrayBuffer);
  });

  it('page reads of the memory go through the seqlock', () => {
    const w = new StatusWriter(makeStatusBlock());
    new Session(w).run(mspec);
    expect(readUnderSeqlock(w.block, () => 1)).toBe(1);
    w.begin();
    expect(readUnderSeqlock(w.block, () => 1)).toBeNull();
    w.end(true);
    // A read during which an update happened is retried.
    let calls = 0;
    expect(
      readUnderSeqlock(w.block, () => {
        if (calls++ === 0) w.update(() => {});
        return calls;
      }),
    ).toBe(2);
  });

  it('an invalid machine scenario fails the run with a message that says where', () => {
    const w = new StatusWriter(makeStatusBlock());
    const bad = { ...mspec, scenario: { version: 1 as const, ops: [{ op: 'lod', proc: 'A', addr: 0 }] } } as unknown as typeof mspec;
    expect(() => new Session(w).run(bad)).toThrow(/operation 0 field op: unknown operation "lod" \(did you mean "load"\?\)/);
    expect(readStatus(w.block)!.phase).toBe('failed');
  });
});
