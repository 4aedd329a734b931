/**
 * Free space: the allocator that hands out device blocks and takes them back.
 *
 * Conventions in this file:
 *   free     - every free block (what the bnobt/cntbt describe), sorted runs, merged.
 *   avail    - free blocks that may be allocated now. Blocks freed since the last log force are
 *              "busy" (struct xfs_extent_busy) and stay out of avail until the log force that
 *              makes their freeing durable; otherwise a crash could leave recovered metadata
 *              pointing at a block already holding someone else's data.
 *   goal     - the file block the allocation is for. The allocator tries to give a device block
 *              with block % 512 == goal % 512 so the file and the device agree on 2 MiB
 *              boundaries and PMD mappings are possible (what an extent size hint of 2 MiB on a
 *              DAX file gets you on real XFS).
 *   target   - an exact device block wanted (the block after the file's previous extent), tried
 *              first so a file grows contiguously (xfs_bmap_adjacent + exact-bno allocation).
 *
 * Allocation policy, in order (deterministic; lowest address wins every tie):
 *   1. exact: the full length starting at `target`;
 *   2. aligned, fresh: a congruent start whose whole 2 MiB chunk(s) are free;
 *   3. aligned: any congruent start with room for the full length;
 *   4. exact, partial: as much as is free from `target` on;
 *   5. first fit: the first free run long enough, unaligned;
 *   6. fragmented: the largest free run, shorter than asked (the caller loops or, for an iomap,
 *      returns a shorter mapping so a PMD fault falls back).
 *
 * What this model leaves out: allocation groups and per-AG free-space btrees, the AGFL,
 * minleft/total reservations for btree splits, the by-size btree search order of
 * xfs_alloc_ag_vextent_size (we scan by address), and discard of freed ranges.
 */

import { EngineBug } from '../../errno';
import { type BlockRange, type XfsMount, XFS_PMD_BLOCKS } from './xfs_mount';

// ---- sorted run lists ---------------------------------------------------------------------

/** Index of the first run that ends after `block` (binary search). */
export function runIndex(list: readonly BlockRange[], block: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = list[mid];
    if (r.start + r.len <= block) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds [start, start+len) to a sorted run list, merging neighbours. Overlap is an engine bug. */
export function runInsert(list: BlockRange[], start: number, len: number): void {
  if (len <= 0) return;
  const i = runIndex(list, start);
  const end = start + len;
  if (i < list.length && list[i].start < end) throw new EngineBug(`run [${start}, ${end}) overlaps [${list[i].start}, ${list[i].start + list[i].len})`);
  const prev = i > 0 ? list[i - 1] : null;
  const next = i < list.length ? list[i] : null;
  const joinPrev = prev !== null && prev.start + prev.len === start;
  const joinNext = next !== null && next.start === end;
  if (joinPrev && joinNext) {
    prev.len += len + next.len;
    list.splice(i, 1);
  } else if (joinPrev) {
    prev.len += len;
  } else if (joinNext) {
    next.start = start;
    next.len += len;
  } else {
    list.splice(i, 0, { start, len });
  }
}

/** Removes [start, start+len), which must lie inside one run. */
export function runRemove(list: BlockRange[], start: number, len: number): void {
  if (len <= 0) return;
  const i = runIndex(list, start);
  const r = list[i];
  const end = start + len;
  if (!r || r.start > start || r.start + r.len < end) throw new EngineBug(`run [${start}, ${end}) is not inside one free run`);
  const rEnd = r.start + r.len;
  if (r.start === start && rEnd === end) list.splice(i, 1);
  else if (r.start === start) {
    r.start = end;
    r.len = rEnd - end;
  } else if (rEnd === end) {
    r.len = start - r.start;
  } else {
    r.len = start - r.start;
    list.splice(i + 1, 0, { start: end, len: rEnd - end });
  }
}

/** True when every block of [start, start+len) is in the list. */
export function runContains(list: readonly BlockRange[], start: number, len: number): boolean {
  const i = runIndex(list, start);
  const r = list[i];
  return r !== undefined && r.start <= start && r.start + r.len >= start + len;
}

/** Blocks of [start, start+len) that are in the list (they may be spread over several runs). */
export function runOverlap(list: readonly BlockRange[], start: number, len: number): BlockRange[] {
  const out: BlockRange[] = [];
  const end = start + len;
  for (let i = runIndex(list, start); i < list.length && list[i].start < end; i++) {
    const s = Math.max(start, list[i].start);
    const e = Math.min(end, list[i].start + list[i].len);
    if (e > s) out.push({ start: s, len: e - s });
  }
  return out;
}

// ---- the allocator --------------------------------------------------------------------------

export interface AllocArgs {
  /** Blocks wanted (maxlen). */
  len: number;
  /** The file block being mapped: the 2 MiB congruence goal. */
  goal: number;
  /** Exact device block wanted, or -1. */
  target: number;
  /** Why (for the step text): 'data', 'cow'. */
  why: string;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** First congruent start >= from. */
function congruentFrom(from: number, g: number): number {
  return from + mod(g - from, XFS_PMD_BLOCKS);
}

/** Picks a run by the policy above, without changing anything. */
export function xfs_alloc_pick(mp: XfsMount, a: AllocArgs): BlockRange | null {
  const list = mp.avail;
  const L = a.len;
  if (L <= 0 || list.length === 0) return null;
  const g = mod(a.goal, XFS_PMD_BLOCKS);
  // 1. exact, full length.
  let exactRun: BlockRange | null = null;
  if (a.target >= 0) {
    const i = runIndex(list, a.target);
    const r = list[i];
    if (r && r.start <= a.target) {
      exactRun = r;
      if (r.start + r.len >= a.target + L) return { start: a.target, len: L };
    }
  }
  // 2. aligned start whose whole 2 MiB chunks are free; 3. aligned start with room.
  let aligned: BlockRange | null = null;
  for (const r of list) {
    const end = r.start + r.len;
    const b = congruentFrom(r.start, g);
    if (b + L > end) continue;
    // Look for a start whose 2 MiB chunk(s) lie wholly inside this run.
    for (let c = b; c + L <= end; c += XFS_PMD_BLOCKS) {
      const chunkStart = c - g;
      const chunkEnd = Math.ceil((c + L) / XFS_PMD_BLOCKS) * XFS_PMD_BLOCKS;
      if (chunkStart >= r.start && chunkEnd <= end) return { start: c, len: L };
    }
    if (aligned === null) aligned = { start: b, len: L };
  }
  if (aligned) return aligned;
  // 4. exact, partial.
  if (exactRun) return { start: a.target, len: Math.min(L, exactRun.start + exactRun.len - a.target) };
  // 5. first fit.
  let largest: BlockRange | null = null;
  for (const r of list) {
    if (r.len >= L) return { start: r.start, len: L };
    if (largest === null || r.len > largest.len) largest = r;
  }
  // 6. the largest run, shorter than asked.
  return largest ? { start: largest.start, len: Math.min(L, largest.len) } : null;
}

/**
 * Allocates up to `a.len` blocks (at least one) by the policy in the file comment, or returns
 * null when nothing may be allocated. The caller has reserved the space (xfs_trans_reserve),
 * so null here means the caller asked for more than it reserved.
 * Kernel: fs/xfs/libxfs/xfs_alloc.c xfs_alloc_vextent_start_ag() (and the exact-bno, near and
 * size variants it falls back through)
 */
export function xfs_alloc_vextent(mp: XfsMount, a: AllocArgs): BlockRange | null {
  const tr = mp.tracer;
  const body = (): BlockRange | null => {
    const got = xfs_alloc_pick(mp, a);
    if (!got) return null;
    runRemove(mp.avail, got.start, got.len);
    runRemove(mp.free, got.start, got.len);
    mp.availBlocks -= got.len;
    mp.freeBlocks -= got.len;
    if (tr.on) {
      const congruent = mod(got.start, XFS_PMD_BLOCKS) === mod(a.goal, XFS_PMD_BLOCKS);
      tr.emit(
        { t: 'blk', action: 'alloc', start: got.start, len: got.len },
        `Allocate ${got.len} block${got.len === 1 ? '' : 's'} at device block ${got.start} for ${a.why}` +
          (got.len < a.len ? ` (only ${got.len} of ${a.len} contiguous: free space is fragmented)` : '') +
          (congruent ? ', 2 MiB-congruent with the file offset.' : ', not 2 MiB-congruent with the file offset.'),
      );
    }
    return got;
  };
  if (!tr.on) return body();
  return tr.call(
    'xfs_alloc_vextent',
    { len: a.len, goal: a.goal, target: a.target },
    `Search free space for ${a.len} block${a.len === 1 ? '' : 's'} for file block ${a.goal}, preferring device blocks congruent modulo 512.`,
    body,
    (r) => (r ? { start: r.start, len: r.len } : null),
  );
}

/**
 * Returns blocks to free space. They stay busy (not allocatable) until the next log force.
 * Kernel: fs/xfs/libxfs/xfs_alloc.c xfs_free_extent() (via xfs_extent_busy_insert())
 */
export function xfs_free_extent(mp: XfsMount, start: number, len: number): void {
  if (len <= 0) return;
  const tr = mp.tracer;
  const body = (): void => {
    runInsert(mp.free, start, len);
    runInsert(mp.busy, start, len);
    mp.freeBlocks += len;
    if (tr.on)
      tr.emit(
        { t: 'blk', action: 'free', start, len },
        `Free ${len} block${len === 1 ? '' : 's'} at device block ${start}; they stay busy until the next log force.`,
      );
  };
  if (!tr.on) return body();
  tr.call('xfs_free_extent', { start, len }, `Return device blocks ${start}..${start + len - 1} to free space.`, body);
}

/**
 * After a log force: every busy extent may be reused.
 * Kernel: fs/xfs/xfs_extent_busy.c xfs_extent_busy_clear()
 */
export function xfs_extent_busy_clear(mp: XfsMount): void {
  for (const r of mp.busy) {
    runInsert(mp.avail, r.start, r.len);
    mp.availBlocks += r.len;
  }
  mp.busy = [];
}

/** Marks blocks as used at mkfs time (the metadata area). */
export function allocFixed(mp: XfsMount, start: number, len: number): void {
  runRemove(mp.avail, start, len);
  runRemove(mp.free, start, len);
  mp.availBlocks -= len;
  mp.freeBlocks -= len;
}

/** Rebuilds free space from a list of free runs (mkfs and log recovery); nothing is busy. */
export function setFreeSpace(mp: XfsMount, free: readonly BlockRange[]): void {
  mp.free = free.map((r) => ({ start: r.start, len: r.len }));
  mp.avail = free.map((r) => ({ start: r.start, len: r.len }));
  mp.busy = [];
  mp.freeBlocks = free.reduce((n, r) => n + r.len, 0);
  mp.availBlocks = mp.freeBlocks;
}
