/**
 * The reverse map (rmapbt): for every used block, who owns it. Memory failure uses it to turn
 * a bad pmem range into the files (and offsets) that must be told (xfs_dax_notify_failure ->
 * xfs_rmap_query_range).
 *
 * Conventions in this file:
 *   owner    - 'data' (a file's data fork: inode and file block), 'cow' (a CoW staging block,
 *              XFS_RMAP_OWN_COW: no inode is recorded, as in XFS) or 'meta' (the filesystem's
 *              own blocks: AG headers, btree roots, log).
 *   record   - what a query returns: a run of blocks with one owner whose file offsets (for
 *              data owners) advance with the block number, like an rmapbt record.
 *
 * What this model leaves out: the unwritten and attr-fork/bmbt-block flags of rmap records,
 * per-AG btrees (one map for the whole device), and the overlapping-interval btree layout.
 * Changes to the reverse map emit no steps of their own: it is a pure function of the data
 * and CoW forks plus the metadata area, which the 'extents' and 'inode' steps already carry.
 */

import { EngineBug } from '../../errno';
import type { XfsMount } from './xfs_mount';

export type RmapOwner = { kind: 'data'; ino: number; off: number } | { kind: 'cow' } | { kind: 'meta'; what: string };

/** One rmapbt-like record: `len` blocks from `start`, one owner; `off` is the first block's. */
export interface RmapRecord {
  start: number;
  len: number;
  owner: RmapOwner;
}

const COW_OWNER: RmapOwner = { kind: 'cow' };

/**
 * Records that blocks [start, start+len) now belong to `owner` (file offsets advance with the
 * block for data owners).
 * Kernel: fs/xfs/libxfs/xfs_rmap.c xfs_rmap_map()
 */
export function xfs_rmap_map(mp: XfsMount, start: number, len: number, owner: RmapOwner): void {
  for (let i = 0; i < len; i++) {
    const b = start + i;
    const o: RmapOwner = owner.kind === 'data' ? { kind: 'data', ino: owner.ino, off: owner.off + i } : owner.kind === 'cow' ? COW_OWNER : owner;
    const list = mp.rmap.get(b);
    if (list) list.push(o);
    else mp.rmap.set(b, [o]);
  }
}

/**
 * Removes `owner`'s records for blocks [start, start+len). A missing record is an engine bug.
 * Kernel: fs/xfs/libxfs/xfs_rmap.c xfs_rmap_unmap()
 */
export function xfs_rmap_unmap(mp: XfsMount, start: number, len: number, owner: RmapOwner): void {
  for (let i = 0; i < len; i++) {
    const b = start + i;
    const list = mp.rmap.get(b);
    let idx = -1;
    if (list) {
      for (let k = 0; k < list.length; k++) {
        const o = list[k];
        if (o.kind !== owner.kind) continue;
        if (o.kind === 'data' && owner.kind === 'data' && (o.ino !== owner.ino || o.off !== owner.off + i)) continue;
        if (o.kind === 'meta' && owner.kind === 'meta' && o.what !== owner.what) continue;
        idx = k;
        break;
      }
    }
    if (!list || idx < 0) {
      throw new EngineBug(`rmap has no ${JSON.stringify(owner)} record for block ${b}`);
    }
    if (list.length === 1) mp.rmap.delete(b);
    else list.splice(idx, 1);
  }
}

/** The owner a CoW-fork block is recorded under. */
export function cowOwner(): RmapOwner {
  return COW_OWNER;
}

/** The owners of one block (empty when free). */
export function xfs_rmap_owners(mp: XfsMount, block: number): readonly RmapOwner[] {
  return mp.rmap.get(block) ?? [];
}

/**
 * Every record overlapping blocks [start, start+len), in block order, merged into runs where
 * the owner continues (same inode with consecutive offsets, or the same non-file owner).
 * Kernel: fs/xfs/libxfs/xfs_rmap.c xfs_rmap_query_range()
 */
export function xfs_rmap_query_range(mp: XfsMount, start: number, len: number): RmapRecord[] {
  const out: RmapRecord[] = [];
  // Open runs from the previous block, keyed by owner identity, so interleaved owners of a
  // shared block each keep their own record.
  let open: RmapRecord[] = [];
  const end = Math.min(start + len, mp.nrBlocks);
  for (let b = Math.max(0, start); b < end; b++) {
    const owners = mp.rmap.get(b);
    const next: RmapRecord[] = [];
    if (owners) {
      for (const o of owners) {
        const cont = open.find((r) => r.start + r.len === b && continues(r, o));
        if (cont) {
          cont.len++;
          next.push(cont);
        } else {
          const r: RmapRecord = { start: b, len: 1, owner: o.kind === 'data' ? { ...o } : o };
          out.push(r);
          next.push(r);
        }
      }
    }
    open = next;
  }
  return out;
}

function continues(r: RmapRecord, o: RmapOwner): boolean {
  const a = r.owner;
  if (a.kind !== o.kind) return false;
  if (a.kind === 'data' && o.kind === 'data') return a.ino === o.ino && a.off + r.len === o.off;
  if (a.kind === 'meta' && o.kind === 'meta') return a.what === o.what;
  return true;
}
