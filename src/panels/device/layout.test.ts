import { describe, expect, it } from 'vitest';
import { buildGrid, cellShift, litCells, MAX_CELLS, runsText, statesOfMask, STATES, wholeRegion, zoomIn, zoomOut } from './layout';
import { emptyMachineState } from './machine-view';

const emptyState = emptyMachineState;

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

describe('lit cells (cross-panel highlight)', () => {
  it('lights a folded cell when any page in it is lit, and only pfns of the shown space and region', () => {
    const st = emptyState();
    const g = buildGrid('pmem', st, info, 0, wholeRegion('pmem', info));
    expect(g.k).toBe(13);
    const base = info.pmemStartPfn;
    // Two pages of one cell, one page of another, a DRAM pfn and a pfn past the device.
    const lit = litCells(g, info, new Set([base + 8191, base + 5_000_000, base + 8190, 42, base + GiB64]));
    expect(lit.cells).toEqual([0, Math.floor(5_000_000 / 8192)]);
    expect(lit.pfns).toEqual([base + 8190, base + 8191, base + 5_000_000]);
    // The same pfns on the DRAM grid: only the DRAM one.
    const d = buildGrid('dram', st, info, 0, wholeRegion('dram', info));
    expect(litCells(d, info, [base + 8191, 42]).pfns).toEqual([42]);
    expect(litCells(d, info, [base + 8191, 42]).cells).toEqual([Math.floor(42 / 2 ** d.k)]);
  });

  it('maps a pfn to its own cell at one page per cell, and skips pfns outside the zoomed region', () => {
    const st = emptyState();
    let r = wholeRegion('pmem', info);
    for (let z = zoomIn(r, 5_000_000); z; z = zoomIn(r, 5_000_000)) r = z;
    const g = buildGrid('pmem', st, info, 0, r);
    expect(g.k).toBe(0);
    const pfn = info.pmemStartPfn + 5_000_000;
    const lit = litCells(g, info, [pfn, pfn + 1, info.pmemStartPfn + r.start + r.size, info.pmemStartPfn + r.start - 1]);
    expect(lit.cells).toEqual([5_000_000 - r.start, 5_000_000 - r.start + 1]);
    expect(lit.pfns).toEqual([pfn, pfn + 1]);
    expect(litCells(g, info, []).cells).toEqual([]);
  });

  it('writes ascending integers as runs', () => {
    expect(runsText([])).toBe('');
    expect(runsText([7])).toBe('7');
    expect(runsText([1, 2, 3, 7, 9, 10])).toBe('1-3,7,9-10');
  });
});
