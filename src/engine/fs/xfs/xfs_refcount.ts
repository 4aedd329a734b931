/**
 * Reference counts of shared blocks (the refcount btree).
 *
 * Conventions in this file:
 *   refcount - how many data-fork mappings point at a block. Only blocks shared by two or more
 *              mappings have a record; a used block without a record has refcount 1, as in XFS.
 *   run      - consecutive blocks whose count changes from the same old value to the same new
 *              value; one 'refcount' step describes a run.
 *
 * What this model leaves out: the CoW staging domain of the refcount btree (CoW blocks are
 * recognised through their 'cow' reverse-map owner instead), per-AG trees, and the deferred
 * intent items (CUI/CUD) that make refcount updates restartable.
 */

import type { BlockRange, XfsMount } from './xfs_mount';

/** Reference count of a block that is in use (1 when it has no record). */
export function xfs_refcount_get(mp: XfsMount, block: number): number {
  return mp.refcount.get(block) ?? 1;
}

function emitRun(mp: XfsMount, start: number, len: number, oldN: number, newN: number): void {
  mp.tracer.emit(
    { t: 'refcount', block: start, len, old: oldN, new: newN },
    newN > oldN
      ? `Blocks ${start}..${start + len - 1} gain a sharer: refcount ${oldN} -> ${newN}.`
      : `Blocks ${start}..${start + len - 1} lose a sharer: refcount ${oldN} -> ${newN}` +
          (newN === 1 ? ', the record is deleted (one owner left).' : '.'),
  );
}

/** Applies +1 or -1 to blocks [start, start+len); returns the runs that reached 0. */
function adjust(mp: XfsMount, start: number, len: number, delta: 1 | -1): BlockRange[] {
  const freed: BlockRange[] = [];
  const on = mp.tracer.on;
  let runStart = start;
  let runOld = -1;
  let runNew = -1;
  const flush = (end: number): void => {
    if (on && runOld >= 0 && end > runStart && !(runOld === 1 && runNew === 0)) emitRun(mp, runStart, end - runStart, runOld, runNew);
  };
  for (let b = start; b < start + len; b++) {
    const oldN = mp.refcount.get(b) ?? 1;
    const newN = oldN + delta;
    if (newN >= 2) mp.refcount.set(b, newN);
    else mp.refcount.delete(b);
    if (newN === 0) {
      const last = freed[freed.length - 1];
      if (last && last.start + last.len === b) last.len++;
      else freed.push({ start: b, len: 1 });
    }
    if (oldN !== runOld || newN !== runNew) {
      flush(b);
      runStart = b;
      runOld = oldN;
      runNew = newN;
    }
  }
  flush(start + len);
  return freed;
}

/**
 * One more mapping shares blocks [start, start+len).
 * Kernel: fs/xfs/libxfs/xfs_refcount.c xfs_refcount_increase_extent()
 */
export function xfs_refcount_increase(mp: XfsMount, start: number, len: number): void {
  const tr = mp.tracer;
  if (!tr.on) {
    adjust(mp, start, len, 1);
    return;
  }
  tr.call('xfs_refcount_increase_extent', { start, len }, `Raise the reference count of blocks ${start}..${start + len - 1}.`, () => {
    adjust(mp, start, len, 1);
  });
}

/**
 * One mapping of blocks [start, start+len) goes away; returns the runs nobody maps any more
 * (the caller frees them, as __xfs_refcount_adjust queues xfs_free_extent_later()).
 * Kernel: fs/xfs/libxfs/xfs_refcount.c xfs_refcount_decrease_extent()
 */
export function xfs_refcount_decrease(mp: XfsMount, start: number, len: number): BlockRange[] {
  const tr = mp.tracer;
  if (!tr.on) return adjust(mp, start, len, -1);
  return tr.call(
    'xfs_refcount_decrease_extent',
    { start, len },
    `Drop one reference to blocks ${start}..${start + len - 1}; blocks that reach 0 are freed.`,
    () => adjust(mp, start, len, -1),
    (r) => r.map((x) => ({ start: x.start, len: x.len })),
  );
}

/**
 * The first run of shared blocks (refcount >= 2) inside [start, start+len): where it starts
 * and how long it is, or null when no block in the range is shared.
 * Kernel: fs/xfs/libxfs/xfs_refcount.c xfs_refcount_find_shared()
 */
export function xfs_refcount_find_shared(mp: XfsMount, start: number, len: number): BlockRange | null {
  if (mp.refcount.size === 0) return null;
  let b = start;
  const end = start + len;
  while (b < end && !mp.refcount.has(b)) b++;
  if (b === end) return null;
  let e = b;
  while (e < end && mp.refcount.has(e)) e++;
  return { start: b, len: e - b };
}
