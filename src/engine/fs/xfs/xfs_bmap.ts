/**
 * Extent maps: each inode's data fork and CoW fork, and the operations that map, unmap,
 * allocate and convert ranges of them (xfs_bmap.c and the in-core extent list xfs_iext_*).
 *
 * Conventions in this file:
 *   irec     - one mapping as xfs_bmapi_read returns it (struct xfs_bmbt_irec): file block `off`,
 *              `len` blocks, device `block` (HOLESTARTBLOCK for a hole) and state.
 *   extent   - a stored irec (never a hole). Lists are sorted by `off`, non-overlapping, and
 *              merged: two neighbours that touch in the file and on the device and have the same
 *              state are always one extent.
 *   written / unwritten - unwritten extents own blocks but read as zeros (XFS_EXT_UNWRITTEN).
 *
 * Every change to a data fork emits one 'extents' step with the whole old and new lists, marks
 * the inode fsync-dirty (it must reach the log before fsync returns) and keeps the reverse map in
 * step. CoW fork changes emit an 'inode' step with field 'cowFork' (the step schema's 'extents'
 * kind has no fork field); they do not dirty the inode, because XFS keeps the CoW fork in core.
 *
 * What this model leaves out: the bmbt btree and its blocks (extent lists live in the inode),
 * delalloc reservations, extent size hints (no allocation is rounded out beyond the request),
 * the maximum extent length, and attribute forks.
 */

import { EngineBug } from '../../errno';
import { xfs_alloc_vextent, xfs_free_extent } from './xfs_alloc';
import { xfs_trans_log_inode } from './xfs_inode';
import { copyExtents, extentsJson, type ForkName, type XfsExtent, type XfsInode, type XfsMount, XFS_BLOCK_SIZE } from './xfs_mount';
import { xfs_refcount_decrease } from './xfs_refcount';
import { cowOwner, xfs_rmap_map, xfs_rmap_unmap } from './xfs_rmap';

/** The block number of a hole in an irec. */
export const HOLESTARTBLOCK = -1;

/** A mapping: an extent or a hole (block === HOLESTARTBLOCK, state 'written'). */
export interface BmapIrec {
  off: number;
  len: number;
  block: number;
  state: 'written' | 'unwritten';
}

/** xfs_bmapi_write flags (values are the kernel's). */
export const XFS_BMAPI_PREALLOC = 1 << 3;
export const XFS_BMAPI_CONVERT = 1 << 6;
export const XFS_BMAPI_ZERO = 1 << 7;

// ---- the in-core extent list -----------------------------------------------------------------

/** Index of the first extent that ends after file block `off`. */
export function xfs_iext_lookup(list: readonly XfsExtent[], off: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const e = list[mid];
    if (e.off + e.len <= off) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The mapping at file block `off`, at most `len` blocks long: the extent covering it (trimmed)
 * or the hole up to the next extent.
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bmapi_read()
 */
export function xfs_bmapi_read(list: readonly XfsExtent[], off: number, len: number): BmapIrec {
  const i = xfs_iext_lookup(list, off);
  const e = list[i];
  if (!e || e.off >= off + len) return { off, len, block: HOLESTARTBLOCK, state: 'written' };
  if (e.off > off) return { off, len: e.off - off, block: HOLESTARTBLOCK, state: 'written' };
  const skip = off - e.off;
  return { off, len: Math.min(len, e.len - skip), block: e.block + skip, state: e.state };
}

/** Removes the mapping of [off, off+len) from a list; returns the removed pieces in order. */
export function extCut(list: XfsExtent[], off: number, len: number): XfsExtent[] {
  const end = off + len;
  const removed: XfsExtent[] = [];
  let i = xfs_iext_lookup(list, off);
  while (i < list.length && list[i].off < end) {
    const e = list[i];
    const eEnd = e.off + e.len;
    const s = Math.max(off, e.off);
    const t = Math.min(end, eEnd);
    removed.push({ off: s, block: e.block + (s - e.off), len: t - s, state: e.state });
    const head = s > e.off ? { off: e.off, block: e.block, len: s - e.off, state: e.state } : null;
    const tail = t < eEnd ? { off: t, block: e.block + (t - e.off), len: eEnd - t, state: e.state } : null;
    const repl: XfsExtent[] = [];
    if (head) repl.push(head);
    if (tail) repl.push(tail);
    list.splice(i, 1, ...repl);
    i += repl.length;
    if (tail) break;
  }
  return removed;
}

/** Inserts an extent into a hole of the list and merges it with touching neighbours. */
export function extInsert(list: XfsExtent[], x: XfsExtent): void {
  if (x.len <= 0) return;
  const i = xfs_iext_lookup(list, x.off);
  if (i < list.length && list[i].off < x.off + x.len) throw new EngineBug(`extent at file block ${x.off} overlaps an existing mapping`);
  const e: XfsExtent = { off: x.off, block: x.block, len: x.len, state: x.state };
  list.splice(i, 0, e);
  // merge with the next, then with the previous
  const next = list[i + 1];
  if (next && e.off + e.len === next.off && e.block + e.len === next.block && e.state === next.state) {
    e.len += next.len;
    list.splice(i + 1, 1);
  }
  const prev = i > 0 ? list[i - 1] : undefined;
  if (prev && prev.off + prev.len === e.off && prev.block + prev.len === e.block && prev.state === e.state) {
    prev.len += e.len;
    list.splice(i, 1);
  }
}

/** Blocks of the list inside [off, off+len). */
export function extBlocksIn(list: readonly XfsExtent[], off: number, len: number): number {
  let n = 0;
  const end = off + len;
  for (let i = xfs_iext_lookup(list, off); i < list.length && list[i].off < end; i++) {
    n += Math.min(end, list[i].off + list[i].len) - Math.max(off, list[i].off);
  }
  return n;
}

// ---- traced fork updates -----------------------------------------------------------------------

export function forkOf(ip: XfsInode, fork: ForkName): XfsExtent[] {
  return fork === 'data' ? ip.dataFork : ip.cowFork;
}

/** Snapshot for a step delta, only when tracing. */
function before(mp: XfsMount, ip: XfsInode, fork: ForkName): XfsExtent[] | null {
  return mp.tracer.on ? copyExtents(forkOf(ip, fork)) : null;
}

function changed(mp: XfsMount, ip: XfsInode, fork: ForkName, old: XfsExtent[] | null, text: string): void {
  if (old && mp.tracer.on) {
    const now = copyExtents(forkOf(ip, fork));
    if (fork === 'data') mp.tracer.emit({ t: 'extents', ino: ip.ino, old, new: now }, text);
    else mp.tracer.emit({ t: 'inode', ino: ip.ino, field: 'cowFork', old: extentsJson(old), new: extentsJson(now) }, text);
  }
  if (fork === 'data') xfs_trans_log_inode(mp, ip);
}

function describeExt(e: XfsExtent): string {
  return `file blocks ${e.off}..${e.off + e.len - 1} -> device blocks ${e.block}..${e.block + e.len - 1} (${e.state})`;
}

/**
 * Maps an extent into a fork (whose range must be a hole) and records the owner in the rmap.
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bmap_map_extent() / xfs_bmap_add_extent_hole_real()
 */
export function xfs_bmap_map_extent(mp: XfsMount, ip: XfsInode, fork: ForkName, e: XfsExtent, why: string): void {
  const old = before(mp, ip, fork);
  extInsert(forkOf(ip, fork), e);
  xfs_rmap_map(mp, e.block, e.len, fork === 'data' ? { kind: 'data', ino: ip.ino, off: e.off } : cowOwner());
  changed(mp, ip, fork, old, `Map ${describeExt(e)} into the ${fork} fork of inode ${ip.ino}: ${why}.`);
}

/**
 * Removes the mapping of [off, off+len) from a fork and its rmap records; returns the removed
 * pieces. The blocks are NOT released: the caller decides (refcount, free, or remap).
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bmap_del_extent_real() (the mapping half)
 */
export function xfs_bmap_unmap_range(mp: XfsMount, ip: XfsInode, fork: ForkName, off: number, len: number, why: string): XfsExtent[] {
  const list = forkOf(ip, fork);
  const i = xfs_iext_lookup(list, off);
  if (i >= list.length || list[i].off >= off + len) return [];
  const old = before(mp, ip, fork);
  const removed = extCut(list, off, len);
  for (const r of removed) xfs_rmap_unmap(mp, r.block, r.len, fork === 'data' ? { kind: 'data', ino: ip.ino, off: r.off } : cowOwner());
  changed(mp, ip, fork, old, `Unmap file blocks ${off}..${off + len - 1} from the ${fork} fork of inode ${ip.ino}: ${why}.`);
  return removed;
}

/**
 * Releases blocks that a data fork stopped mapping: written blocks drop a reference (and are
 * freed when nobody else shares them), unwritten blocks are never shared and are freed.
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bmap_del_extent_real() (the freeing half)
 */
export function releaseDataBlocks(mp: XfsMount, removed: readonly XfsExtent[]): void {
  for (const r of removed) {
    if (r.state === 'unwritten') xfs_free_extent(mp, r.block, r.len);
    else for (const f of xfs_refcount_decrease(mp, r.block, r.len)) xfs_free_extent(mp, f.start, f.len);
  }
}

/**
 * Unmaps file blocks [off, off+len) of the data fork and releases their blocks.
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bunmapi()
 */
export function xfs_bunmapi(mp: XfsMount, ip: XfsInode, off: number, len: number, why: string): void {
  const tr = mp.tracer;
  const body = (): void => releaseDataBlocks(mp, xfs_bmap_unmap_range(mp, ip, 'data', off, len, why));
  if (!tr.on) return body();
  tr.call('xfs_bunmapi', { ino: ip.ino, off, len }, `Unmap file blocks ${off}..${off + len - 1} of inode ${ip.ino} and release their blocks (${why}).`, body);
}

/**
 * Allocates blocks for the holes of [off, off+len) in a fork (unwritten with
 * XFS_BMAPI_PREALLOC), converts unwritten data-fork extents with XFS_BMAPI_CONVERT, zeroes new
 * or converted blocks on the device with XFS_BMAPI_ZERO, and returns the resulting mappings from
 * `off` on, at most `maxMaps` of them (an iomap asks for one, so a fragmented allocation returns
 * a shorter first mapping). The caller must have reserved the space.
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bmapi_write()
 */
export function xfs_bmapi_write(
  mp: XfsMount,
  ip: XfsInode,
  fork: ForkName,
  off: number,
  len: number,
  flags: number,
  maxMaps: number,
  why: string,
): BmapIrec[] {
  const body = (): BmapIrec[] => {
    const maps: BmapIrec[] = [];
    const end = off + len;
    let pos = off;
    while (pos < end && maps.length < maxMaps) {
      const list = forkOf(ip, fork);
      const irec = xfs_bmapi_read(list, pos, end - pos);
      if (irec.block === HOLESTARTBLOCK) {
        // xfs_bmap_adjacent: aim right after the previous extent so the file stays contiguous.
        const i = xfs_iext_lookup(list, pos);
        const prev = i > 0 ? list[i - 1] : undefined;
        const target = prev && prev.off + prev.len === pos ? prev.block + prev.len : -1;
        const got = xfs_alloc_vextent(mp, { len: irec.len, goal: pos, target, why: `${fork} fork of inode ${ip.ino}` });
        if (!got) throw new EngineBug(`xfs_bmapi_write: allocation of ${irec.len} blocks failed after the space was reserved`);
        const state = flags & XFS_BMAPI_PREALLOC ? 'unwritten' : 'written';
        if (flags & XFS_BMAPI_ZERO) mp.dev.zeroNT(mp.blockAddr(got.start), got.len * XFS_BLOCK_SIZE);
        xfs_bmap_map_extent(mp, ip, fork, { off: pos, block: got.start, len: got.len, state }, why);
        maps.push({ off: pos, len: got.len, block: got.start, state });
        pos += got.len;
      } else if (irec.state === 'unwritten' && flags & XFS_BMAPI_CONVERT) {
        if (flags & XFS_BMAPI_ZERO) mp.dev.zeroNT(mp.blockAddr(irec.block), irec.len * XFS_BLOCK_SIZE);
        xfs_bmap_convert(mp, ip, fork, irec.off, irec.len, 'written', why);
        maps.push({ ...irec, state: 'written' });
        pos += irec.len;
      } else {
        maps.push(irec);
        pos += irec.len;
      }
    }
    return maps;
  };
  const tr = mp.tracer;
  if (!tr.on) return body();
  const what = [flags & XFS_BMAPI_PREALLOC ? 'PREALLOC' : '', flags & XFS_BMAPI_CONVERT ? 'CONVERT' : '', flags & XFS_BMAPI_ZERO ? 'ZERO' : '']
    .filter(Boolean)
    .join('|');
  return tr.call(
    'xfs_bmapi_write',
    { ino: ip.ino, fork, off, len, flags: what || '0' },
    `Map file blocks ${off}..${off + len - 1} of inode ${ip.ino} (${fork} fork${what ? ', ' + what : ''}), allocating holes.`,
    body,
    (m) => m.map((x) => ({ off: x.off, len: x.len, block: x.block, state: x.state })),
  );
}

/**
 * Changes the state of every extent in [off, off+len) to `state` (splitting and merging as
 * needed). Device blocks and owners do not change.
 * Kernel: fs/xfs/libxfs/xfs_bmap.c xfs_bmap_add_extent_unwritten_real()
 */
export function xfs_bmap_convert(mp: XfsMount, ip: XfsInode, fork: ForkName, off: number, len: number, state: 'written' | 'unwritten', why: string): void {
  const list = forkOf(ip, fork);
  const i = xfs_iext_lookup(list, off);
  let needed = false;
  for (let k = i; k < list.length && list[k].off < off + len; k++) if (list[k].state !== state) needed = true;
  if (!needed) return;
  const old = before(mp, ip, fork);
  const pieces = extCut(list, off, len);
  for (const p of pieces) extInsert(list, { ...p, state });
  changed(mp, ip, fork, old, `Convert file blocks ${off}..${off + len - 1} of inode ${ip.ino} to ${state}: ${why}.`);
}
