import { describe, expect, it } from 'vitest';
import type { ExtentRef, Step } from '../../engine/trace/steps';
import { layoutFileBar, remapsOf } from './layout';
import type { FilesState } from './state';

const state = (refcount: [number, number][]): FilesState => ({ files: new Map(), refcount: new Map(refcount), daxDefault: true });
const file = {
  ino: 131,
  name: 'f',
  size: 4 * 4096,
  dax: true,
  extents: [
    { off: 0, block: 512, len: 2, state: 'written' as const },
    { off: 3, block: 900, len: 1, state: 'unwritten' as const },
  ],
  cowFork: [],
  nrpages: 0,
  reflink: true,
};

describe('layoutFileBar', () => {
  it('places extents along the file offset and leaves holes empty', () => {
    const l = layoutFileBar(file, state([]), 400);
    expect(l.span).toBe(4);
    expect(l.pieces.map((p) => [p.key, p.x, p.w])).toEqual([
      ['131:0', 0, 200],
      ['131:3', 300, 100],
    ]);
    expect(l.pieces[1].state).toBe('unwritten');
    expect(l.eofX).toBe(400);
  });

  it('splits an extent where the shared reference count changes and labels the sharers', () => {
    const l = layoutFileBar(file, state([[513, 2]]), 400);
    expect(l.pieces.map((p) => [p.key, p.refcount, p.label, p.extentOff])).toEqual([
      ['131:0', 1, '512', 0],
      ['131:1', 2, '513 ×2', 0],
      ['131:3', 1, '900', 3],
    ]);
    expect(l.pieces[1].title).toContain('refcount 2');
  });
});

describe('remapsOf', () => {
  const step = (old: ExtentRef[], nw: ExtentRef[]): Step =>
    ({ t: 'extents', ino: 131, old, new: nw, seq: 0, op: 0, depth: 0, text: '' }) as Step;
  it('finds the copy-on-write remap of a shared block', () => {
    const s = step(
      [{ off: 0, block: 512, len: 1, state: 'written' }],
      [
        { off: 0, block: 512, len: 1, state: 'written' },
        { off: 1, block: 1025, len: 1, state: 'written' },
      ],
    );
    expect(remapsOf(s)).toEqual([{ ino: 131, off: 1, len: 1, from: null, to: 1025 }]);
    const s2 = step([{ off: 0, block: 512, len: 2, state: 'written' }], [{ off: 0, block: 700, len: 2, state: 'written' }]);
    expect(remapsOf(s2)).toEqual([{ ino: 131, off: 0, len: 2, from: 512, to: 700 }]);
  });
  it('is empty for other steps and for unchanged blocks', () => {
    expect(remapsOf(undefined)).toEqual([]);
    expect(remapsOf(step([{ off: 0, block: 5, len: 1, state: 'unwritten' }], [{ off: 0, block: 5, len: 1, state: 'written' }]))).toEqual([]);
  });
});
