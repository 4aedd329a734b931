/**
 * The device panel's geometry and colouring, pure (tested in Node): which state each page of the
 * pmem device or of DRAM is in, and how a region of pages folds into a grid of at most MAX_CELLS
 * cells, each standing for 2^k pages and coloured by the most interesting state among them.
 *
 * Conventions in this file:
 *   space    - 'pmem' (indices are device pages; pfn = pmemStartPfn + page) or 'dram' (indices are
 *              pfns from 0).
 *   region   - the part of the space on screen: [start, start + size), size a power of two, start a
 *              multiple of size. Zooming picks an aligned eighth of the region.
 *   k        - log2 of the pages per cell; k = 0 shows every page.
 *   mask     - per cell, one bit per state present among its pages; the cell's colour is the
 *              highest state in the mask (STATES is in ascending order of interest).
 *
 * Painting walks the sparse state only (runs of allocated blocks, mapped leaves, dirty pages...),
 * never every page, so a 64 GiB device (16 Mi pages) costs what its few interesting pages cost plus
 * the cells on screen.
 */
import type { MachineState } from './machine-view';

/** Page states in ascending order of interest: a cell shows the last one its pages have. */
export const STATES = ['free', 'allocated', 'mapped', 'durable', 'zero', 'shared', 'dirty', 'poisoned'] as const;
export type PageState = (typeof STATES)[number];

export const STATE_LABEL: Record<PageState, string> = {
  free: 'free',
  allocated: 'allocated block',
  durable: 'data durable on media',
  mapped: 'mapped by a page table',
  zero: 'zero page',
  shared: 'shared (reflinked block)',
  dirty: 'dirty in CPU cache',
  poisoned: 'poisoned (media error)',
};

/** Legend text (the full label is the legend entry's tooltip). */
export const STATE_SHORT: Record<PageState, string> = {
  free: 'free',
  allocated: 'allocated',
  durable: 'durable',
  mapped: 'mapped',
  zero: 'zero page',
  shared: 'shared',
  dirty: 'dirty in cache',
  poisoned: 'poisoned',
};

/** The CSS variable that colours each state (Okabe-Ito, defined in device.css). */
export const STATE_VAR: Record<PageState, string> = {
  free: '--dev-free',
  allocated: '--dev-allocated',
  durable: '--dev-durable',
  mapped: '--dev-mapped',
  zero: '--dev-zero',
  shared: '--dev-shared',
  dirty: '--dev-dirty',
  poisoned: '--dev-poisoned',
};

const BIT = Object.fromEntries(STATES.map((s, i) => [s, 1 << i])) as Record<PageState, number>;

export const GRID_COLS = 64;
export const MAX_CELLS = 2048;
export const PMD_PAGES = 512;

export type Space = 'pmem' | 'dram';

export interface SpaceInfo {
  pmemStartPfn: number;
  pmemPages: number;
  dramPages: number;
}

export interface Region {
  start: number;
  size: number;
}

export interface Grid {
  space: Space;
  region: Region;
  /** pages per cell is 2^k */
  k: number;
  cols: number;
  rows: number;
  /** cells covering pages beyond the end of the space are marked -1 */
  top: Int8Array;
  masks: Uint16Array;
}

export function spacePages(space: Space, info: SpaceInfo): number {
  return space === 'pmem' ? info.pmemPages : info.dramPages;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The whole space as a region. */
export function wholeRegion(space: Space, info: SpaceInfo): Region {
  return { start: 0, size: nextPow2(spacePages(space, info)) };
}

/** log2 of the pages per cell for a region, so that the region fits in MAX_CELLS cells. */
export function cellShift(size: number, maxCells = MAX_CELLS): number {
  let k = 0;
  while (size / 2 ** k > maxCells) k++;
  return k;
}

/** The region one zoom step into `region` around page `index` (an aligned eighth), or null at k = 0. */
export function zoomIn(region: Region, index: number, maxCells = MAX_CELLS): Region | null {
  if (cellShift(region.size, maxCells) === 0) return null;
  const size = Math.max(region.size / 8, Math.min(region.size, maxCells));
  return { start: Math.floor(index / size) * size, size };
}

/** The region one zoom step out (eight times larger, aligned), or null when it is the whole space. */
export function zoomOut(region: Region, whole: Region): Region | null {
  if (region.size >= whole.size) return null;
  const size = Math.min(whole.size, region.size * 8);
  return { start: Math.floor(region.start / size) * size, size };
}

/** Calls `paint(start, len)` for every run of pages in `space` that have `state`. */
function forEachRun(space: Space, state: PageState, st: MachineState, info: SpaceInfo, zeroPfn: number, paint: (start: number, len: number) => void): void {
  const nPages = spacePages(space, info);
  const inSpace = (pfn: number) => (space === 'pmem' ? pfn - info.pmemStartPfn : pfn);
  switch (state) {
    case 'free':
      return;
    case 'allocated':
      if (space === 'pmem') {
        let at = 0;
        for (const r of st.free) {
          if (r.start > at) paint(at, r.start - at);
          at = Math.max(at, r.start + r.len);
        }
        if (at < nPages) paint(at, nPages - at);
      } else for (const [pfn, a] of st.dram) paint(pfn, 2 ** a.order);
      return;
    case 'durable':
      if (space === 'pmem') for (const p of st.media) paint(p, 1);
      return;
    case 'mapped':
      for (const l of st.leaves.values()) {
        const i = inSpace(l.pfn);
        const len = l.level === 'pmd' ? PMD_PAGES : 1;
        if (i >= 0 && i < nPages) paint(i, len);
      }
      return;
    case 'zero':
      if (space === 'dram') {
        for (const [pfn, a] of st.dram) if (a.use === 'zero-page' || a.use === 'huge-zero-page') paint(pfn, 2 ** a.order);
        if (!st.dram.has(zeroPfn) && zeroPfn >= 0) paint(zeroPfn, 1);
      }
      return;
    case 'shared':
      if (space === 'pmem') for (const b of st.refcount.keys()) paint(b, 1);
      return;
    case 'dirty':
      if (space === 'pmem') for (const p of st.dirty.keys()) paint(p, 1);
      else for (const [pfn, r] of st.structPages) if (pfn < nPages && Array.isArray(r.flags) && r.flags.includes('PG_dirty')) paint(pfn, 1);
      return;
    case 'poisoned':
      if (space === 'pmem') for (const p of st.poisoned) paint(p, 1);
      for (const [pfn, r] of st.structPages) {
        const i = inSpace(pfn);
        if (i >= 0 && i < nPages && Array.isArray(r.flags) && r.flags.includes('PG_hwpoison')) paint(i, 1);
      }
      return;
  }
}

/** The parts of a machine state buildGrid() reads: the same parts (by identity) give the same grid. */
export function gridInputs(st: MachineState): unknown[] {
  return [st.free, st.dram, st.media, st.leaves, st.refcount, st.dirty, st.structPages, st.poisoned];
}

/** The grid for `region` of `space` at the machine state `st`. */
export function buildGrid(space: Space, st: MachineState, info: SpaceInfo, zeroPfn: number, region: Region, maxCells = MAX_CELLS): Grid {
  const k = cellShift(region.size, maxCells);
  const per = 2 ** k;
  const n = Math.ceil(region.size / per);
  const cols = Math.min(GRID_COLS, n);
  const rows = Math.ceil(n / cols);
  const masks = new Uint16Array(n);
  const top = new Int8Array(n);
  const nPages = spacePages(space, info);
  const end = region.start + region.size;
  for (const state of STATES) {
    if (state === 'free') continue;
    const bit = BIT[state];
    forEachRun(space, state, st, info, zeroPfn, (s, len) => {
      const a = Math.max(s, region.start);
      const b = Math.min(s + len, end, nPages);
      if (a >= b) return;
      const c0 = Math.floor((a - region.start) / per);
      const c1 = Math.floor((b - 1 - region.start) / per);
      for (let c = c0; c <= c1; c++) masks[c] |= bit;
    });
  }
  for (let c = 0; c < n; c++) {
    if (region.start + c * per >= nPages) {
      top[c] = -1;
      continue;
    }
    const m = masks[c];
    top[c] = m === 0 ? 0 : 31 - Math.clz32(m);
  }
  return { space, region, k, cols, rows, top, masks };
}

/** The states present in a mask, most interesting first. */
export function statesOfMask(mask: number): PageState[] {
  const out: PageState[] = [];
  for (let i = STATES.length - 1; i >= 1; i--) if (mask & (1 << i)) out.push(STATES[i]);
  if (out.length === 0) out.push('free');
  return out;
}

/** Who refers to one page: files (by extent), page-table leaves, pins. */
export interface PageRefs {
  files: { name: string; ino: number; fileOffset: number }[];
  leaves: { proc: string; pid: number; addr: number; level: 'pte' | 'pmd'; write: boolean }[];
  pins: { label: string; proc: string }[];
  dramUse: string | null;
}

export function pageRefs(space: Space, index: number, st: MachineState, info: SpaceInfo): PageRefs {
  const pfn = space === 'pmem' ? info.pmemStartPfn + index : index;
  const refs: PageRefs = { files: [], leaves: [], pins: [], dramUse: null };
  if (space === 'pmem') {
    for (const f of st.files.values())
      for (const e of f.extents) if (index >= e.block && index < e.block + e.len) refs.files.push({ name: f.name, ino: f.ino, fileOffset: (e.off + index - e.block) * 4096 });
  } else {
    for (const [p, a] of st.dram) if (index >= p && index < p + 2 ** a.order) refs.dramUse = a.use;
  }
  for (const l of st.leaves.values()) {
    const len = l.level === 'pmd' ? PMD_PAGES : 1;
    if (pfn >= l.pfn && pfn < l.pfn + len) refs.leaves.push({ proc: st.procNames.get(l.pid) ?? `pid ${l.pid}`, pid: l.pid, addr: l.addr + (pfn - l.pfn) * 4096, level: l.level, write: l.write });
  }
  for (const p of st.pins) if (p.pfns.includes(pfn)) refs.pins.push({ label: p.label, proc: p.proc });
  return refs;
}

/** Which cells of a grid hold a lit pfn, and the lit pfns the grid shows (ascending). */
export interface LitCells {
  cells: number[];
  pfns: number[];
}

/**
 * The cells of `grid` whose pages contain one of `pfns` (a folded cell lights when any page in it is
 * lit), and those pfns that fall on the grid. Costs one step per lit pfn, not per page or cell.
 */
export function litCells(grid: Grid, info: SpaceInfo, pfns: Iterable<number>): LitCells {
  const nPages = spacePages(grid.space, info);
  const base = grid.space === 'pmem' ? info.pmemStartPfn : 0;
  const { start, size } = grid.region;
  const end = Math.min(start + size, nPages);
  const per = 2 ** grid.k;
  const cells = new Set<number>();
  const shown: number[] = [];
  for (const pfn of pfns) {
    const i = pfn - base;
    if (i < start || i >= end) continue;
    shown.push(pfn);
    cells.add(Math.floor((i - start) / per));
  }
  shown.sort((a, b) => a - b);
  return { cells: [...cells].sort((a, b) => a - b), pfns: shown };
}

/** Ascending integers as runs: [1, 2, 3, 7] -> "1-3,7" (for a compact data attribute). */
export function runsText(sorted: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
