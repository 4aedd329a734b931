import { describe, expect, it } from 'vitest';
import { buildGrid, cellShift, MAX_CELLS, statesOfMask, STATES, wholeRegion, zoomIn, zoomOut } from './layout';
import type { MachineState } from './machine-view';

function emptyState(): MachineState {
  return {
    structPages: new Map(),
    free: [],
    refcount: new Map(),
    dirty: new Map(),
    media: new Set(),
    poisoned: new Set(),
    dram: new Map(),
    leaves: new Map(),
    procNames: new Map(),
    files: new Map(),
    pins: [],
    pending: [],
  };
}

const GiB64 = (64 * 2 ** 30) / 4096;
const info = { pmemStartPfn: 0x1000000, pmemPages: GiB64, dramPages: 65536 };

describe('device grid level of detail', () => {
  it('folds a 64 GiB device into at most MAX_CELLS cells, most interesting state winning', () => {
    const st = emptyState();
    // All free but blocks 0..7 (metadata), one dirty page far away and one poisoned page.
    st.free = [{ start: 8, len: GiB64 - 8 }];
    st.dirty.set(5_000_000, new Set([0]));
    st.media.add(5_000_000);
    st.poisoned.add(GiB64 - 1);
    const whole = wholeRegion('pmem', info);
    const g = buildGrid('pmem', st, info, 0, whole);
    expect(g.k).toBe(13);
    expect(g.top.length).toBe(MAX_CELLS);
    expect(g.cols).toBe(64);
    const idx = (s: string) => STATES.indexOf(s as (typeof STATES)[number]);
    expect(g.top[0]).toBe(idx('allocated'));
    expect(g.top[Math.floor(5_000_000 / 8192)]).toBe(idx('dirty'));
    expect(statesOfMask(g.masks[Math.floor(5_000_000 / 8192)])).toEqual(['dirty', 'durable']);
    expect(g.top[MAX_CELLS - 1]).toBe(idx('poisoned'));
    expect(g.top[1]).toBe(idx('free'));
  });

  it('zooms by eighths down to one page per cell, and back out', () => {
    let r = wholeRegion('pmem', info);
    const path = [r.size];
    for (let z = zoomIn(r, 5_000_000); z; z = zoomIn(r, 5_000_000)) {
      r = z;
      path.push(r.size);
      expect(5_000_000 - r.start).toBeGreaterThanOrEqual(0);
      expect(5_000_000 - r.start).toBeLessThan(r.size);
    }
    expect(cellShift(r.size)).toBe(0);
    expect(path).toEqual([2 ** 24, 2 ** 21, 2 ** 18, 2 ** 15, 2 ** 12, 2 ** 11]);
    let back = 0;
    for (let o = zoomOut(r, wholeRegion('pmem', info)); o; o = zoomOut(r, wholeRegion('pmem', info))) {
      r = o;
      back++;
    }
    expect(r).toEqual(wholeRegion('pmem', info));
    expect(back).toBe(5);
  });

  it('marks cells past the end of a space whose size is not a power of two', () => {
    const small = { ...info, pmemPages: 3000 };
    const st = emptyState();
    st.free = [{ start: 0, len: 3000 }];
    const g = buildGrid('pmem', st, small, 0, wholeRegion('pmem', small));
    expect(g.k).toBe(1);
    expect(g.top[1499]).toBe(0);
    expect(g.top[1500]).toBe(-1);
  });
});
