/**
 * Reflink: sharing blocks between files (FICLONE / FICLONERANGE) and copy-on-write of shared
 * blocks through the CoW fork.
 *
 * Conventions in this file:
 *   imap / cmap - a data-fork mapping / a CoW-fork mapping (BmapIrec), as in xfs_reflink.c.
 *   shared   - a written data-fork block whose refcount is >= 2.
 *   CoW      - writing a shared block: allocate a staging block in the CoW fork
 *              (xfs_reflink_allocate_cow), let the caller copy and write into it, then move it
 *              into the data fork in place of the old block, whose reference is dropped
 *              (xfs_reflink_end_cow). A cow inode is one with the reflink flag: only those look
 *              at refcounts and the CoW fork.
 *   remap    - FICLONERANGE: make the destination's blocks be the source's (refcount +1).
 *
 * What this model leaves out: FIDEDUPERANGE, the CoW extent size hint (staging extents are
 * exactly the written range), the background cowblocks garbage collector, clearing the
 * reflink flag when nothing is shared any more, always_cow mode, page-cache flushing and
 * layout breaking before a remap (done by the layers above), and remap's per-extent
 * transactions (one remap call is one step of the model).
 */

import { isErr, kerr, type KErr } from '../../errno';
import {
  type BmapIrec,
  HOLESTARTBLOCK,
  XFS_BMAPI_PREALLOC,
  xfs_bmap_convert,
  xfs_bmap_map_extent,
  xfs_bmap_unmap_range,
  xfs_bmapi_read,
  xfs_bmapi_write,
  xfs_bunmapi,
  xfs_iext_lookup,
} from './xfs_bmap';
import { xfs_free_extent } from './xfs_alloc';
import { setInodeField } from './xfs_inode';
import { xfs_trans_reserve } from './xfs_log';
import { fsbEnd, fsbOf, kcall, type XfsInode, type XfsMount, XFS_BLOCK_SIZE, XFS_MAX_FILE_SIZE } from './xfs_mount';
import { xfs_refcount_find_shared, xfs_refcount_increase } from './xfs_refcount';

/** True when the inode may have shared blocks (XFS_DIFLAG2_REFLINK). */
export function xfs_is_cow_inode(ip: XfsInode): boolean {
  return ip.reflink;
}

/**
 * Trims a data-fork mapping at the next change between shared and unshared blocks and says
 * whether its first block is shared. Holes and unwritten extents are never shared.
 * Kernel: fs/xfs/xfs_reflink.c xfs_reflink_trim_around_shared()
 */
export function xfs_reflink_trim_around_shared(mp: XfsMount, ip: XfsInode, imap: BmapIrec): { imap: BmapIrec; shared: boolean } {
  if (!xfs_is_cow_inode(ip) || imap.block === HOLESTARTBLOCK || imap.state !== 'written') return { imap, shared: false };
  const f = xfs_refcount_find_shared(mp, imap.block, imap.len);
  if (!f) return { imap, shared: false };
  if (f.start === imap.block) return { imap: { ...imap, len: f.len }, shared: true };
  return { imap: { ...imap, len: f.start - imap.block }, shared: false };
}

/**
 * For a write over `imap`: when the range is shared (or already has CoW staging), returns the
 * CoW-fork mapping to write into, allocating it if needed (with `convertNow`, as direct and DAX
 * writes do, the staging extent is converted to written at once). Otherwise returns the data
 * mapping trimmed to the unshared part. ENOSPC leaves everything unchanged.
 * Kernel: fs/xfs/xfs_reflink.c xfs_reflink_allocate_cow() (with xfs_find_trim_cow_extent())
 */
export function xfs_reflink_allocate_cow(
  mp: XfsMount,
  ip: XfsInode,
  imap: BmapIrec,
  convertNow: boolean,
): { imap: BmapIrec; cmap: BmapIrec | null; shared: boolean } | KErr {
  return kcall(
    mp,
    'xfs_reflink_allocate_cow',
    () => ({ ino: ip.ino, off: imap.off, len: imap.len }),
    () => `Check whether file blocks ${imap.off}..${imap.off + imap.len - 1} of inode ${ip.ino} are shared and need a CoW staging extent.`,
    () => {
      let cmap = xfs_bmapi_read(ip.cowFork, imap.off, imap.len);
      if (cmap.block === HOLESTARTBLOCK) {
        // No staging extent here: trim to the next one, then to the shared boundary.
        const trimmed = xfs_reflink_trim_around_shared(mp, ip, { ...imap, len: cmap.len });
        if (!trimmed.shared) return { imap: trimmed.imap, cmap: null, shared: false };
        imap = trimmed.imap;
        const err = xfs_trans_reserve(mp, imap.len, `CoW of ${imap.len} shared block(s)`);
        if (err) return err;
        cmap = xfs_bmapi_write(mp, ip, 'cow', imap.off, imap.len, XFS_BMAPI_PREALLOC, 1, 'stage a copy-on-write of shared blocks')[0];
      } else if (cmap.len < imap.len) {
        imap = { ...imap, len: cmap.len };
      }
      if (convertNow && cmap.state === 'unwritten') {
        xfs_bmap_convert(mp, ip, 'cow', cmap.off, cmap.len, 'written', 'the data is about to be written, so the staging extent must read back what is written');
        cmap = { ...cmap, state: 'written' };
      }
      if (cmap.len < imap.len) imap = { ...imap, len: cmap.len };
      return { imap, cmap, shared: true };
    },
    (r) => (isErr(r) ? `-${r.errno}` : r.shared && r.cmap ? { cow: r.cmap.block, len: r.cmap.len } : 'not shared'),
  );
}

/**
 * Moves the written CoW staging extents of byte range [pos, pos+count) into the data fork:
 * the old data blocks lose a reference (freed when no other file shares them) and the new
 * blocks take their place.
 * Kernel: fs/xfs/xfs_reflink.c xfs_reflink_end_cow()
 */
export function xfs_reflink_end_cow(mp: XfsMount, ip: XfsInode, pos: number, count: number): void {
  const off = fsbOf(pos);
  const end = fsbEnd(pos + count);
  if (ip.cowFork.length === 0 || end <= off) return;
  kcall(
    mp,
    'xfs_reflink_end_cow',
    () => ({ ino: ip.ino, off, len: end - off }),
    () => `Remap the CoW staging blocks of file blocks ${off}..${end - 1} of inode ${ip.ino} into its data fork.`,
    () => {
      const pieces: BmapIrec[] = [];
      const list = ip.cowFork;
      for (let i = xfs_iext_lookup(list, off); i < list.length && list[i].off < end; i++) {
        const e = list[i];
        if (e.state !== 'written') continue;
        const s = Math.max(off, e.off);
        const t = Math.min(end, e.off + e.len);
        pieces.push({ off: s, len: t - s, block: e.block + (s - e.off), state: 'written' });
      }
      for (const p of pieces) {
        xfs_bmap_unmap_range(mp, ip, 'cow', p.off, p.len, 'the copy is complete');
        xfs_bunmapi(mp, ip, p.off, p.len, 'the old (shared) blocks are replaced by their copy');
        xfs_bmap_map_extent(mp, ip, 'data', { off: p.off, block: p.block, len: p.len, state: 'written' }, 'the copied blocks become the file data');
      }
    },
  );
}

/**
 * Drops the CoW staging extents of file blocks [off, end) and frees their blocks.
 * Kernel: fs/xfs/xfs_reflink.c xfs_reflink_cancel_cow_range() / xfs_reflink_cancel_cow_blocks()
 */
export function xfs_reflink_cancel_cow_range(mp: XfsMount, ip: XfsInode, off: number, end: number): void {
  if (ip.cowFork.length === 0) return;
  const last = ip.cowFork[ip.cowFork.length - 1];
  const stop = Math.min(end, last.off + last.len);
  if (stop <= off) return;
  const removed = xfs_bmap_unmap_range(mp, ip, 'cow', off, stop - off, 'the CoW staging blocks are no longer needed');
  for (const r of removed) xfs_free_extent(mp, r.block, r.len);
}

// ---- remap (FICLONE / FICLONERANGE) ---------------------------------------------------------------

/** One side of a remap: a mount and an inode number. */
export interface RemapFile {
  mp: XfsMount;
  ino: number;
}

/**
 * The VFS checks of a clone, on a checked pair of inodes: returns the length to remap (0:
 * nothing to do) or the kernel's error. `len` 0 means "to the source's EOF".
 * Kernel: fs/remap_range.c __generic_remap_file_range_prep() with generic_remap_checks() and
 * generic_remap_check_len()
 */
export function generic_remap_file_range_prep(src: XfsInode, posIn: number, dst: XfsInode, posOut: number, len: number): number | KErr {
  const sizeIn = src.size;
  if (len === 0) {
    if (posIn === sizeIn) return 0;
    if (posIn > sizeIn) return kerr('EINVAL', `the source offset ${posIn} is beyond the source's EOF (${sizeIn}).`);
    len = sizeIn - posIn;
  }
  // generic_remap_checks
  if (posIn % XFS_BLOCK_SIZE !== 0 || posOut % XFS_BLOCK_SIZE !== 0)
    return kerr('EINVAL', `both offsets must be multiples of the 4096-byte block size (got ${posIn} and ${posOut}).`);
  if (posIn >= sizeIn) return kerr('EINVAL', `the source offset ${posIn} is at or beyond the source's EOF (${sizeIn}).`);
  let count = Math.min(len, sizeIn - posIn);
  if (posOut + count > XFS_MAX_FILE_SIZE) return kerr('EFBIG', 'the destination would grow past the maximum file size.');
  let bcount: number;
  if (posIn + count === sizeIn) {
    bcount = Math.ceil(sizeIn / XFS_BLOCK_SIZE) * XFS_BLOCK_SIZE - posIn;
  } else {
    if (count % XFS_BLOCK_SIZE !== 0) count = Math.floor(count / XFS_BLOCK_SIZE) * XFS_BLOCK_SIZE;
    bcount = count;
  }
  if (src === dst && posOut + bcount > posIn && posOut < posIn + bcount)
    return kerr('EINVAL', `source range [${posIn}, ${posIn + bcount}) and destination range [${posOut}, ${posOut + bcount}) of the same file overlap.`);
  if (count !== len)
    return kerr(
      'EINVAL',
      count < len && posIn + len > sizeIn
        ? `the range runs past the source's EOF (${sizeIn}); FICLONERANGE cannot shorten it.`
        : `the length ${len} is not a multiple of the block size and does not end at the source's EOF.`,
    );
  // generic_remap_check_len: a partial EOF block may only land at or past the destination's EOF.
  if (count % XFS_BLOCK_SIZE !== 0 && posOut + count < dst.size)
    return kerr('EINVAL', `the source's partial last block would land inside the destination (ending at ${posOut + count}, before its EOF ${dst.size}), exposing stale bytes.`);
  return count;
}

/**
 * XFS's checks of a clone, then the VFS ones: returns the byte length to remap.
 * Kernel: fs/xfs/xfs_file.c xfs_file_remap_range() -> fs/xfs/xfs_reflink.c xfs_reflink_remap_prep(),
 * fs/remap_range.c vfs_clone_file_range() / do_clone_file_range()
 */
export function xfs_reflink_remap_prep(src: RemapFile, posIn: number, dst: RemapFile, posOut: number, len: number): { ipIn: XfsInode; ipOut: XfsInode; len: number } | KErr {
  const mp = dst.mp;
  return kcall(
    mp,
    'xfs_reflink_remap_prep',
    () => ({ src: src.ino, posIn, dst: dst.ino, posOut, len }),
    () => `Check that ${len === 0 ? 'the rest of' : len + ' bytes of'} inode ${src.ino} at ${posIn} may be shared into inode ${dst.ino} at ${posOut}.`,
    (): { ipIn: XfsInode; ipOut: XfsInode; len: number } | KErr => {
      const ipIn = src.mp.inodes.get(src.ino);
      const ipOut = dst.mp.inodes.get(dst.ino);
      if (!ipIn) return kerr('ENOENT', `source inode ${src.ino} does not exist (freed after its last reference went).`);
      if (!ipOut) return kerr('ENOENT', `destination inode ${dst.ino} does not exist (freed after its last reference went).`);
      // remap_verify_area
      if (!Number.isInteger(posIn) || !Number.isInteger(posOut) || !Number.isInteger(len) || posIn < 0 || posOut < 0 || len < 0)
        return kerr('EINVAL', 'offsets and length must be non-negative integers.');
      if (posIn + len > XFS_MAX_FILE_SIZE || posOut + len > XFS_MAX_FILE_SIZE) return kerr('EINVAL', 'the range overflows the largest file offset.');
      // do_clone_file_range
      if (src.mp !== dst.mp || src.mp.fsid !== dst.mp.fsid)
        return kerr('EXDEV', `the files are on different filesystems (fsid ${src.mp.fsid} and ${dst.mp.fsid}); blocks can only be shared within one.`);
      // xfs_file_remap_range
      if (!mp.options.reflink) return kerr('EOPNOTSUPP', 'this filesystem was made without reflink support (mkfs -m reflink=0).');
      if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
      // xfs_reflink_remap_prep
      if (ipIn.dax !== ipOut.dax) return kerr('EINVAL', 'XFS does not share blocks between a DAX file and a non-DAX file.');
      const n = generic_remap_file_range_prep(ipIn, posIn, ipOut, posOut, len);
      if (isErr(n)) return n;
      return { ipIn, ipOut, len: n };
    },
    (r) => (isErr(r) ? `-${r.errno}` : r.len),
  );
}

/**
 * Maps one source mapping into the destination at `imap.off`: the destination's old blocks
 * there are released, written source blocks gain a reference and are mapped (unwritten source
 * blocks are not shared: the destination gets a hole, which also reads as zeros), and the
 * destination grows to cover the range, up to `newIsize`.
 * Kernel: fs/xfs/xfs_reflink.c xfs_reflink_remap_extent()
 */
function xfs_reflink_remap_extent(mp: XfsMount, dest: XfsInode, imap: BmapIrec, newIsize: number): void {
  xfs_bunmapi(mp, dest, imap.off, imap.len, 'the range is being replaced by a remap');
  if (imap.block !== HOLESTARTBLOCK && imap.state === 'written') {
    xfs_refcount_increase(mp, imap.block, imap.len);
    xfs_bmap_map_extent(mp, dest, 'data', { off: imap.off, block: imap.block, len: imap.len, state: 'written' }, 'the blocks are now shared with the source');
  }
  const newlen = Math.min((imap.off + imap.len) * XFS_BLOCK_SIZE, newIsize);
  if (newlen > dest.size) setInodeField(mp, dest, 'size', newlen, `Inode ${dest.ino} grows to ${newlen} bytes to cover the remapped range.`);
}

/**
 * Shares `len` bytes (block-rounded) of `src` at `posIn` into `dest` at `posOut`, one source
 * mapping at a time. Returns the bytes remapped.
 * Kernel: fs/xfs/xfs_reflink.c xfs_reflink_remap_blocks()
 */
export function xfs_reflink_remap_blocks(mp: XfsMount, src: XfsInode, posIn: number, dest: XfsInode, posOut: number, len: number): number {
  return kcall(
    mp,
    'xfs_reflink_remap_blocks',
    () => ({ src: src.ino, posIn, dst: dest.ino, posOut, len }),
    () => `Share the blocks behind bytes ${posIn}..${posIn + len - 1} of inode ${src.ino} into inode ${dest.ino} at ${posOut}.`,
    () => {
      let srcoff = fsbOf(posIn);
      let destoff = fsbOf(posOut);
      let blocks = fsbEnd(len);
      const newIsize = posOut + len;
      for (const ip of [src, dest]) {
        if (!ip.reflink) {
          ip.reflink = true;
          if (mp.tracer.on) mp.tracer.emit({ t: 'inode', ino: ip.ino, field: 'reflink', old: false, new: true }, `Inode ${ip.ino} gets the reflink flag: its blocks may now be shared.`);
        }
      }
      // Staging blocks in the destination range would be remapped over the new data later.
      xfs_reflink_cancel_cow_range(mp, dest, destoff, destoff + blocks);
      while (blocks > 0) {
        const imap = xfs_bmapi_read(src.dataFork, srcoff, blocks);
        xfs_reflink_remap_extent(mp, dest, { ...imap, off: destoff }, newIsize);
        srcoff += imap.len;
        destoff += imap.len;
        blocks -= imap.len;
      }
      return len;
    },
  );
}
