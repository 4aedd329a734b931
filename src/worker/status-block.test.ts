import { describe, expect, it } from 'vitest';
import { makeStatusBlock, readStatus, readStatusAfterDeath, StatusField, StatusWriter, type StatusSnapshot } from './status-block';

describe('status block seqlock', () => {
  it('reads a consistent copy when the writer is between updates', () => {
    const w = new StatusWriter(makeStatusBlock(new SharedArrayBuffer(64)));
    w.update(() => {
      w.set('generation', 3);
      w.setPhase('running');
      w.set('opsTotal', 5);
    });
    const s = readStatus(w.block)!;
    expect(s).toMatchObject({ seq: 2, generation: 3, phase: 'running', opsTotal: 5 });
  });

  it('reads nothing while the writer is mid-update (seq odd)', () => {
    const w = new StatusWriter(makeStatusBlock());
    w.begin();
    w.set('steps', 10);
    expect(w.midUpdate).toBe(true);
    expect(readStatus(w.block)).toBeNull();
    w.end(true);
    expect(readStatus(w.block)?.steps).toBe(10);
  });

  it('keeps the last good counts of a completed update after the writer dies mid-update', () => {
    const w = new StatusWriter(makeStatusBlock());
    w.update(() => {
      w.set('steps', 40);
      w.set('opsDone', 2);
    });
    // The next operation starts and the worker "dies" before end().
    w.begin();
    w.set('steps', 57);
    const after = readStatusAfterDeath(w.block);
    expect(after.midUpdate).toBe(true);
    expect(after.steps).toBe(57);
    expect(after.goodSteps).toBe(40);
    expect(after.goodOps).toBe(2);
  });

  it('an inconsistent end() does not move the last good counts', () => {
    const w = new StatusWriter(makeStatusBlock());
    w.update(() => w.set('steps', 5));
    w.update(() => w.set('steps', 9), false);
    const s = readStatus(w.block)!;
    expect(s.steps).toBe(9);
    expect(s.goodSteps).toBe(5);
  });

  it('publishes a copy after each update in copy mode', () => {
    const got: StatusSnapshot[] = [];
    const w = new StatusWriter(makeStatusBlock(), (s) => got.push(s));
    w.update(() => w.set('steps', 1));
    w.update(() => w.set('steps', 2));
    expect(got.map((s) => [s.seq, s.steps])).toEqual([[2, 1], [4, 2]]);
  });

  it('refuses nested or unbalanced updates', () => {
    const w = new StatusWriter(makeStatusBlock());
    expect(() => w.end(true)).toThrow();
    expect(() => w.set('steps', 1)).toThrow();
    w.begin();
    expect(() => w.begin()).toThrow();
  });

  it('a second view of the same shared memory (the page) sees the writer\'s updates', () => {
    const buf = new SharedArrayBuffer(64);
    const w = new StatusWriter(makeStatusBlock(buf));
    const page = makeStatusBlock(buf);
    w.update(() => w.set('steps', 99));
    expect(Atomics.load(page, StatusField.seq)).toBe(2);
    expect(readStatus(page)?.steps).toBe(99);
  });
});
