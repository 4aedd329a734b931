import { describe, expect, it } from 'vitest';
import { buildMachine, SCENARIOS } from '../../../test/kernel-facts.scenarios';
import { sortedFiles, type FilesState } from '../files/state';
import { sortedProcs, type ProcsState } from '../pagetables/state';
import { record, runScenario, type RecordedRun } from './testing';
import { WorldTimeline } from './world';

/** What a panel shows, as plain data, so two states compare with toEqual. */
function filesView(s: FilesState) {
  return {
    files: sortedFiles(s).map((f) => ({ ino: f.ino, name: f.name, size: f.size, extents: f.extents, nrpages: f.nrpages })),
    refcount: [...s.refcount.entries()].sort((a, b) => a[0] - b[0]),
  };
}
function procsView(s: ProcsState) {
  return sortedProcs(s).map(({ proc, leaves }) => ({ pid: proc.pid, vmas: proc.vmas, leaves: leaves.map((l) => ({ ...l, pte: { ...l.pte } })) }));
}

const COW = {
  version: 1,
  config: { pmd: false },
  ops: [
    { op: 'create', file: 'f' },
    { op: 'write', file: 'f', offset: 0, len: 8192, fill: 65 },
    { op: 'create', file: 'g' },
    { op: 'mmap', proc: 'A', file: 'f', length: 8192, flags: 'shared', prot: 'rw', as: 'm' },
    { op: 'load', proc: 'A', addr: { map: 'm', offset: 0 }, len: 8 },
    { op: 'reflink', src: 'f', dst: 'g' },
    { op: 'store', proc: 'A', addr: { map: 'm', offset: 4096 }, len: 8, value: 1 },
    { op: 'write', file: 'g', offset: 0, len: 4096, fill: 66 },
    { op: 'punch', file: 'f', offset: 0, length: 4096 },
    { op: 'mmap', proc: 'B', file: 'g', length: 8192, flags: 'private', prot: 'rw', as: 'n' },
    { op: 'store', proc: 'B', addr: { map: 'n', offset: 4096 }, len: 8, value: 1 },
  ],
};

function checkBoundaries(r: RecordedRun) {
  const bounds = [...r.opStarts, r.steps.length];
  const tl = new WorldTimeline(r.steps, r.opStarts, r.keyframes);
  expect(tl.hasKeyframes).toBe(true);
  for (let k = 0; k + 1 < bounds.length; k++) {
    // Forwards from keyframe k must reach keyframe k+1; undoing from k+1 must reach keyframe k.
    const next = tl.atFrom(k + 1, bounds[k + 1]);
    const fwd = tl.atFrom(k, bounds[k + 1]);
    expect(filesView(fwd.files)).toEqual(filesView(next.files));
    expect(procsView(fwd.procs)).toEqual(procsView(next.procs));
    const here = tl.atFrom(k, bounds[k]);
    expect(filesView(tl.filesAtBoundary(k))).toEqual(filesView(here.files));
    const back = tl.atFrom(k + 1, bounds[k]);
    expect(filesView(back.files)).toEqual(filesView(here.files));
    expect(procsView(back.procs)).toEqual(procsView(here.procs));
    // Mid-op, both directions agree too.
    const mid = Math.floor((bounds[k] + bounds[k + 1]) / 2);
    expect(filesView(tl.atFrom(k, mid).files)).toEqual(filesView(tl.atFrom(k + 1, mid).files));
    expect(procsView(tl.atFrom(k, mid).procs)).toEqual(procsView(tl.atFrom(k + 1, mid).procs));
  }
}

describe('WorldTimeline: keyframe + steps', () => {
  it('reflink, CoW, punch and a private copy: stepping forwards and backwards between keyframes meets the next keyframe', () => {
    checkBoundaries(runScenario(COW));
  });

  it('every kernel-facts scenario: deltas lead from each keyframe to the next and back', () => {
    for (const key of Object.keys(SCENARIOS)) {
      const r = record(buildMachine(key));
      try {
        checkBoundaries(r);
      } catch (e) {
        throw new Error(`${key}: ${(e as Error).message}`);
      }
    }
  });

  it('the world at a cursor does not depend on the path taken to it', () => {
    const r = runScenario(COW);
    const tl = new WorldTimeline(r.steps, r.opStarts, r.keyframes);
    const order = [200, 17, 340, 341, 5, r.steps.length, 0, 205, 204, 120];
    for (const c of order) {
      const fresh = new WorldTimeline(r.steps, r.opStarts, r.keyframes).at(c);
      const w = tl.at(c);
      expect(filesView(w.files)).toEqual(filesView(fresh.files));
      expect(procsView(w.procs)).toEqual(procsView(fresh.procs));
    }
  });

  it('without keyframes, replaying from an empty machine agrees with the keyframes on extents and page tables', () => {
    const r = runScenario(COW);
    const bare = new WorldTimeline(r.steps, r.opStarts, null);
    const kf = new WorldTimeline(r.steps, r.opStarts, r.keyframes);
    for (const c of [...r.opStarts, r.steps.length]) {
      const a = bare.at(c);
      const b = kf.at(c);
      expect(filesView(a.files)).toEqual(filesView(b.files));
      expect(procsView(a.procs)).toEqual(procsView(b.procs));
    }
  });

  it('shows the CoW remap and the refcount drop inside the store op', () => {
    const r = runScenario(COW);
    const tl = new WorldTimeline(r.steps, r.opStarts, r.keyframes);
    const afterReflink = tl.at(r.opStarts[6]);
    expect(afterReflink.files.refcount.get(512)).toBe(2);
    expect(afterReflink.files.refcount.get(513)).toBe(2);
    const drop = r.steps.findIndex((s) => s.t === 'refcount' && s.op === 6);
    const before = tl.at(drop);
    expect(before.files.refcount.get(513)).toBe(2);
    const after = tl.at(drop + 1);
    expect(after.files.refcount.get(513)).toBeUndefined();
    expect(after.files.refcount.get(512)).toBe(2);
    const end = tl.at(r.opStarts[7]);
    expect(end.files.files.get(131)!.extents).toEqual([
      { off: 0, block: 512, len: 1, state: 'written' },
      { off: 1, block: 1025, len: 1, state: 'written' },
    ]);
  });
});
