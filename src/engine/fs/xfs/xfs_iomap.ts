/**
 * iomap: how the filesystem tells the DAX code (and the model's read/write paths) where file
 * data lives. ->iomap_begin maps a byte range, allocating for writes; ->iomap_end finishes
 * copy-on-write.
 *
 * Conventions in this file:
 *   iomap    - the mapping of a file range (struct iomap): type HOLE / MAPPED / UNWRITTEN, flags,
 *              device byte address `addr` (-1 for holes), file byte `offset` and `length`.
 *   srcmap   - for a copy-on-write iomap (IOMAP_F_SHARED on a write), where the old data is; a
 *              srcmap of type HOLE means "no separate source": the source reads as zeros.
 *   request flags - IOMAP_WRITE, IOMAP_ZERO, IOMAP_FAULT, IOMAP_DIRECT, IOMAP_DAX (include/linux/iomap.h).
 *   F_NEW    - the blocks were just allocated (and, for DAX, zeroed): a fault adds VM_FAULT_MAJOR.
 *   F_SHARED - reads: the blocks are shared with another file; writes: iomap is a fresh CoW
 *              block and srcmap the old shared one.
 *   F_DIRTY  - a write mapping on an inode whose fsync-relevant metadata is not in the log yet:
 *              a MAP_SYNC fault must fsync before it makes the PTE writable.
 *
 * Allocation length for a write iomap: the request is rounded out to blocks and capped at 1024
 * blocks (as xfs_direct_write_iomap_begin does); holes are allocated up to the request's end
 * (or the hole's end). The allocator places the extent 2 MiB-congruent when it can, so a 2 MiB
 * request at a 2 MiB-aligned offset gets one 512-block extent that a PMD can map. When free
 * space is fragmented the first (shorter) extent is returned alone, the iomap is shorter than
 * asked, and a PMD fault falls back to PTEs. The space for the whole request is reserved first:
 * if the filesystem has fewer free blocks than that, the call fails with ENOSPC (XFS reserves
 * the full count in xfs_trans_alloc).
 *
 * What this model leaves out: delalloc and the buffered-write iomap ops (the page cache is the
 * lead's layer), IOMAP_NOWAIT/OVERWRITE_ONLY/ATOMIC, the inode sequence numbers that validate
 * cached iomaps, post-EOF alignment of allocations, and inline data.
 */

import { EngineBug, isErr, kerr, type KErr } from '../../errno';
import type { Json } from '../../trace/steps';
import { type BmapIrec, HOLESTARTBLOCK, XFS_BMAPI_CONVERT, XFS_BMAPI_PREALLOC, XFS_BMAPI_ZERO, xfs_bmap_convert, xfs_bmapi_read, xfs_bmapi_write } from './xfs_bmap';
import { xfs_iget } from './xfs_inode';
import { xfs_trans_reserve } from './xfs_log';
import { fsbEnd, fsbOf, type XfsInode, type XfsMount, XFS_BLOCK_SIZE, XFS_MAX_FILE_SIZE, XFS_MAX_IOMAP_ALLOC } from './xfs_mount';
import { xfs_is_cow_inode, xfs_reflink_allocate_cow, xfs_reflink_cancel_cow_range, xfs_reflink_end_cow, xfs_reflink_trim_around_shared } from './xfs_reflink';

export {
  IOMAP_WRITE, IOMAP_ZERO, IOMAP_REPORT, IOMAP_FAULT, IOMAP_DIRECT, IOMAP_NOWAIT, IOMAP_DAX,
  IOMAP_F_NEW, IOMAP_F_DIRTY, IOMAP_F_SHARED, IOMAP_NULL_ADDR,
} from '../iomap';
export type { IomapType, Iomap, IomapPair } from '../iomap';
import {
  IOMAP_WRITE, IOMAP_ZERO, IOMAP_REPORT, IOMAP_DAX,
  IOMAP_F_NEW, IOMAP_F_DIRTY, IOMAP_F_SHARED, IOMAP_NULL_ADDR, type Iomap, type IomapPair,
} from '../iomap';

/** Names of the mapping flags, for step texts. */
export function iomapFlagNames(flags: number): string {
  const n: string[] = [];
  if (flags & IOMAP_F_NEW) n.push('NEW');
  if (flags & IOMAP_F_DIRTY) n.push('DIRTY');
  if (flags & IOMAP_F_SHARED) n.push('SHARED');
  return n.join('|') || '0';
}

/**
 * Turns an extent-map record into an iomap; a write mapping of a pinned inode with
 * fsync-relevant changes gets IOMAP_F_DIRTY.
 * Kernel: fs/xfs/xfs_iomap.c xfs_bmbt_to_iomap()
 */
export function xfs_bmbt_to_iomap(mp: XfsMount, ip: XfsInode, imap: BmapIrec, mapFlags: number, iomapFlags: number): Iomap {
  let flags = iomapFlags;
  if (mapFlags & IOMAP_WRITE && ip.fsyncDirty) flags |= IOMAP_F_DIRTY;
  const offset = imap.off * XFS_BLOCK_SIZE;
  const length = imap.len * XFS_BLOCK_SIZE;
  if (imap.block === HOLESTARTBLOCK) return { type: 'HOLE', flags, addr: IOMAP_NULL_ADDR, offset, length };
  return { type: imap.state === 'unwritten' ? 'UNWRITTEN' : 'MAPPED', flags, addr: mp.blockAddr(imap.block), offset, length };
}

function noSrcmap(iomap: Iomap): Iomap {
  return { type: 'HOLE', flags: 0, addr: IOMAP_NULL_ADDR, offset: iomap.offset, length: iomap.length };
}

function checkRange(mp: XfsMount, ino: number, pos: number, length: number): XfsInode | KErr {
  const ip = xfs_iget(mp, ino);
  if (isErr(ip)) return ip;
  if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
  if (!Number.isInteger(pos) || !Number.isInteger(length) || pos < 0 || length <= 0)
    return kerr('EINVAL', `iomap range (pos ${pos}, length ${length}) must be a non-negative position and a positive length.`);
  if (pos + length > XFS_MAX_FILE_SIZE) return kerr('EFBIG', 'the range runs past the maximum file size.');
  return ip;
}

function describePair(r: IomapPair | KErr): Json {
  if (isErr(r)) return `-${r.errno}`;
  const d = (m: Iomap) => ({ type: m.type, flags: iomapFlagNames(m.flags), addr: m.addr, offset: m.offset, length: m.length });
  return r.srcmap.type === 'HOLE' && !(r.iomap.flags & IOMAP_F_SHARED) ? d(r.iomap) : { iomap: d(r.iomap), srcmap: d(r.srcmap) };
}

/**
 * ->iomap_begin for reads (and read faults): the data-fork mapping at `pos`, never allocating.
 * On DAX files (or with IOMAP_DAX / IOMAP_REPORT) a shared extent is trimmed to its shared run
 * and reported with IOMAP_F_SHARED.
 * Kernel: fs/xfs/xfs_iomap.c xfs_read_iomap_begin()
 */
export function xfs_read_iomap_begin(mp: XfsMount, ino: number, pos: number, length: number, flags: number): IomapPair | KErr {
  const body = (): IomapPair | KErr => {
    const ip = checkRange(mp, ino, pos, length);
    if (isErr(ip)) return ip;
    const off = fsbOf(pos);
    const end = fsbEnd(pos + length);
    let imap = xfs_bmapi_read(ip.dataFork, off, end - off);
    let shared = false;
    if (flags & (IOMAP_REPORT | IOMAP_DAX) || ip.dax) ({ imap, shared } = xfs_reflink_trim_around_shared(mp, ip, imap));
    const iomap = xfs_bmbt_to_iomap(mp, ip, imap, flags, shared ? IOMAP_F_SHARED : 0);
    return { iomap, srcmap: noSrcmap(iomap) };
  };
  const tr = mp.tracer;
  if (!tr.on) return body();
  return tr.call('xfs_read_iomap_begin', { ino, pos, length, flags }, `Map ${length} bytes of inode ${ino} at ${pos} for reading.`, body, describePair);
}

/**
 * ->iomap_begin for DAX and direct writes: allocates holes (DAX: written and zeroed,
 * IOMAP_F_NEW; direct: unwritten, IOMAP_F_NEW), converts unwritten extents under DAX (zeroed,
 * MAPPED + IOMAP_F_NEW), and for shared blocks stages a CoW extent: iomap = the CoW block with
 * IOMAP_F_SHARED, srcmap = the old shared block. With IOMAP_ZERO nothing is allocated (holes
 * and unwritten extents are already zero) but shared blocks are still copied on write.
 * Kernel: fs/xfs/xfs_iomap.c xfs_direct_write_iomap_begin()
 */
export function xfs_direct_write_iomap_begin(mp: XfsMount, ino: number, pos: number, length: number, flags: number): IomapPair | KErr {
  const body = (): IomapPair | KErr => {
    const ip = checkRange(mp, ino, pos, length);
    if (isErr(ip)) return ip;
    const off = fsbOf(pos);
    const end = fsbEnd(pos + length);
    let imap = xfs_bmapi_read(ip.dataFork, off, end - off);
    if (flags & (IOMAP_WRITE | IOMAP_ZERO) && xfs_is_cow_inode(ip)) {
      // The model writes CoW data at once on every path, so staging is converted now.
      const r = xfs_reflink_allocate_cow(mp, ip, imap, true);
      if (isErr(r)) return r;
      if (r.shared && r.cmap) {
        const iomap = xfs_bmbt_to_iomap(mp, ip, r.cmap, flags, IOMAP_F_SHARED);
        const srcmap = r.imap.block === HOLESTARTBLOCK ? noSrcmap(iomap) : xfs_bmbt_to_iomap(mp, ip, r.imap, flags, 0);
        return { iomap, srcmap };
      }
      imap = r.imap;
    }
    const needsAlloc = !(flags & IOMAP_ZERO) && (imap.block === HOLESTARTBLOCK || (flags & IOMAP_DAX && imap.state === 'unwritten'));
    if (needsAlloc) {
      const count = Math.min(imap.len, XFS_MAX_IOMAP_ALLOC);
      const got = xfs_iomap_write_direct(mp, ip, off, count, flags, imap.block === HOLESTARTBLOCK);
      if (isErr(got)) return got;
      const iomap = xfs_bmbt_to_iomap(mp, ip, got, flags, IOMAP_F_NEW);
      return { iomap, srcmap: noSrcmap(iomap) };
    }
    const iomap = xfs_bmbt_to_iomap(mp, ip, imap, flags, 0);
    return { iomap, srcmap: noSrcmap(iomap) };
  };
  const tr = mp.tracer;
  if (!tr.on) return body();
  return tr.call(
    'xfs_direct_write_iomap_begin',
    { ino, pos, length, flags },
    `Map ${length} bytes of inode ${ino} at ${pos} for ${flags & IOMAP_ZERO ? 'zeroing' : 'writing'}${flags & IOMAP_DAX ? ' through DAX' : ''}, allocating if needed.`,
    body,
    describePair,
  );
}

/**
 * Allocates (or, under DAX, converts) `count` blocks at file block `off` in one transaction
 * and returns the first resulting mapping. DAX: written + zeroed before the transaction
 * commits (XFS_BMAPI_CONVERT | XFS_BMAPI_ZERO), so a crash can never expose stale blocks;
 * otherwise unwritten (XFS_BMAPI_PREALLOC), converted when the I/O completes.
 * Kernel: fs/xfs/xfs_iomap.c xfs_iomap_write_direct()
 */
export function xfs_iomap_write_direct(mp: XfsMount, ip: XfsInode, off: number, count: number, flags: number, isHole: boolean): BmapIrec | KErr {
  return mp.tracer.on
    ? mp.tracer.call(
        'xfs_iomap_write_direct',
        { ino: ip.ino, off, count },
        `Allocate ${count} block${count === 1 ? '' : 's'} for file block ${off} of inode ${ip.ino}${flags & IOMAP_DAX ? ', zeroed, as written extents (DAX)' : ' as unwritten extents'}.`,
        () => writeDirect(mp, ip, off, count, flags, isHole),
        (r) => (isErr(r) ? `-${r.errno}` : { off: r.off, len: r.len, block: r.block, state: r.state }),
      )
    : writeDirect(mp, ip, off, count, flags, isHole);
}

function writeDirect(mp: XfsMount, ip: XfsInode, off: number, count: number, flags: number, isHole: boolean): BmapIrec | KErr {
  const err = xfs_trans_reserve(mp, isHole ? count : 0, `allocating ${count} block(s) for inode ${ip.ino}`);
  if (err) return err;
  const bflags = flags & IOMAP_DAX ? XFS_BMAPI_CONVERT | XFS_BMAPI_ZERO : XFS_BMAPI_PREALLOC;
  const maps = xfs_bmapi_write(mp, ip, 'data', off, count, bflags, 1, flags & IOMAP_DAX ? 'a DAX write needs zeroed written blocks' : 'a direct write needs blocks');
  if (maps.length === 0) throw new EngineBug('xfs_iomap_write_direct: xfs_bmapi_write returned no mapping');
  return maps[0];
}

/**
 * ->iomap_end for DAX writes: a write that copied into CoW blocks moves them into the data
 * fork; a write that wrote nothing cancels the staging.
 * Kernel: fs/xfs/xfs_iomap.c xfs_dax_write_iomap_end()
 */
export function xfs_dax_write_iomap_end(mp: XfsMount, ino: number, pos: number, length: number, written: number, _flags: number, _iomap: Iomap): 0 | KErr {
  const ip = xfs_iget(mp, ino);
  if (isErr(ip)) return ip;
  if (!xfs_is_cow_inode(ip)) return 0;
  const body = (): 0 => {
    if (written <= 0) xfs_reflink_cancel_cow_range(mp, ip, fsbOf(pos), fsbEnd(pos + length));
    else xfs_reflink_end_cow(mp, ip, pos, written);
    return 0;
  };
  const tr = mp.tracer;
  if (!tr.on) return body();
  return tr.call('xfs_dax_write_iomap_end', { ino, pos, length, written }, `Finish the write of ${written} bytes at ${pos} in inode ${ino}.`, body);
}

/**
 * After a direct write into unwritten blocks completed: they become written.
 * Kernel: fs/xfs/xfs_iomap.c xfs_iomap_write_unwritten()
 */
export function xfs_iomap_write_unwritten(mp: XfsMount, ip: XfsInode, pos: number, count: number): void {
  const off = fsbOf(pos);
  const end = fsbEnd(pos + count);
  const body = (): void => xfs_bmap_convert(mp, ip, 'data', off, end - off, 'written', 'the data has been written');
  const tr = mp.tracer;
  if (!tr.on) return body();
  tr.call('xfs_iomap_write_unwritten', { ino: ip.ino, off, len: end - off }, `Convert file blocks ${off}..${end - 1} of inode ${ip.ino} from unwritten to written after the write.`, body);
}
