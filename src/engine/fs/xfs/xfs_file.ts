/**
 * System-call-level entry points of the filesystem: read, write, truncate, fallocate, clone,
 * fsync. Each validates everything and reserves the space it may need before it changes
 * anything, so a call that fails leaves the model exactly as it was.
 *
 * Conventions in this file:
 *   pos / off - file byte offsets; `len` bytes.
 *   need     - the blocks an operation may allocate (holes to fill, shared blocks to copy),
 *              counted before anything changes and reserved with xfs_trans_reserve().
 *   zeroing  - XFS zeroes file ranges that must read as zeros but may hold old bytes: the
 *              tail of the EOF block before a shrink, [old EOF, new EOF) on growth, partial
 *              blocks at the edges of a punched hole. Holes and unwritten extents are skipped;
 *              a shared block is copied first.
 *
 * Data paths: a DAX file's data moves with cache-bypassing stores (writeNT), a non-DAX file is
 * written like O_DIRECT (unwritten blocks, converted when the write completes). The lead
 * layers the page cache and dax_iomap_rw over these; the functions here are the filesystem's
 * part and the reference the scenarios use now.
 *
 * What this model leaves out: the page cache (non-DAX I/O goes straight to the device),
 * O_APPEND/O_DSYNC/RWF_* flags, short writes (a write that cannot get all its blocks fails
 * with ENOSPC and changes nothing, where the kernel would write what fits), permissions,
 * timestamps, FIDEDUPERANGE, COLLAPSE/INSERT/UNSHARE ranges of fallocate, and layout breaking
 * (xfs_break_layouts is the DAX layer's job, before these calls).
 */

import { EngineBug, isErr, kerr, type KErr } from '../../errno';
import { extBlocksIn, HOLESTARTBLOCK, XFS_BMAPI_PREALLOC, xfs_bmapi_read, xfs_bmapi_write, xfs_bunmapi } from './xfs_bmap';
import { setInodeField, xfs_iget } from './xfs_inode';
import {
  IOMAP_DAX,
  IOMAP_DIRECT,
  IOMAP_F_SHARED,
  IOMAP_WRITE,
  IOMAP_ZERO,
  type Iomap,
  xfs_dax_write_iomap_end,
  xfs_direct_write_iomap_begin,
  xfs_iomap_write_unwritten,
  xfs_read_iomap_begin,
} from './xfs_iomap';
import { xfs_log_force, xfs_trans_reserve } from './xfs_log';
import { fsbEnd, fsbOf, kcall, type XfsInode, type XfsMount, XFS_BLOCK_SIZE, XFS_MAX_FILE_SIZE } from './xfs_mount';
import { type RemapFile, xfs_reflink_cancel_cow_range, xfs_reflink_remap_blocks, xfs_reflink_remap_prep } from './xfs_reflink';

export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_ZERO_RANGE = 0x10;

const B = XFS_BLOCK_SIZE;

function live(mp: XfsMount, ino: number): XfsInode | KErr {
  const ip = xfs_iget(mp, ino);
  if (isErr(ip)) return ip;
  if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
  return ip;
}

function isByteCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

// ---- space accounting before a change --------------------------------------------------------

/** True when file block `fb` is covered by the CoW fork (staging already allocated). */
function cowCovers(ip: XfsInode, fb: number): boolean {
  return ip.cowFork.length > 0 && extBlocksIn(ip.cowFork, fb, 1) === 1;
}

/**
 * Counts, over file blocks [off, end): holes without CoW staging (when `holes`), and written
 * shared blocks without staging (collected into `shared` so overlapping ranges count once).
 */
function countNeed(mp: XfsMount, ip: XfsInode, off: number, end: number, holes: boolean, shared: Set<number>): number {
  let n = 0;
  let pos = off;
  const cow = ip.reflink;
  while (pos < end) {
    const m = xfs_bmapi_read(ip.dataFork, pos, end - pos);
    if (m.block === HOLESTARTBLOCK) {
      if (holes) n += m.len - (cow ? extBlocksIn(ip.cowFork, m.off, m.len) : 0);
    } else if (cow && m.state === 'written' && mp.refcount.size > 0) {
      for (let i = 0; i < m.len; i++) if (mp.refcount.has(m.block + i) && !cowCovers(ip, m.off + i)) shared.add(m.off + i);
    }
    pos += m.len;
  }
  return n;
}

/** Blocks a zeroing of bytes [pos, pos+len) may allocate: shared written blocks to copy. */
function zeroNeed(mp: XfsMount, ip: XfsInode, pos: number, len: number, shared: Set<number>): void {
  if (len <= 0) return;
  countNeed(mp, ip, fsbOf(pos), fsbEnd(pos + len), false, shared);
}

// ---- the iomap loops ------------------------------------------------------------------------------

/** Reads `len` bytes of the source of a CoW (zeros when the source is a hole or unwritten). */
function readSrc(mp: XfsMount, src: Iomap, pos: number, len: number): Uint8Array {
  if (src.type !== 'MAPPED') return new Uint8Array(len);
  return mp.dev.read(src.addr + (pos - src.offset), len);
}

/** The bytes of [pos, pos+n) the iteration may handle with this pair. */
function chunkOf(iomap: Iomap, srcmap: Iomap, pos: number, rem: number): number {
  let end = iomap.offset + iomap.length;
  if (srcmap.type !== 'HOLE') end = Math.min(end, srcmap.offset + srcmap.length);
  const n = Math.min(end - pos, rem);
  if (n <= 0) throw new EngineBug(`iomap at ${iomap.offset}+${iomap.length} does not cover position ${pos}`);
  return n;
}

/** For a CoW: copies the parts of the first and last blocks of [pos, pos+n) that the caller does not overwrite. */
function copyEdges(mp: XfsMount, iomap: Iomap, srcmap: Iomap, pos: number, n: number): void {
  const head = Math.floor(pos / B) * B;
  if (head < pos) mp.dev.writeNT(iomap.addr + (head - iomap.offset), readSrc(mp, srcmap, head, pos - head));
  const end = pos + n;
  const tail = Math.ceil(end / B) * B;
  if (tail > end) mp.dev.writeNT(iomap.addr + (end - iomap.offset), readSrc(mp, srcmap, end, tail - end));
}

/** Zeroes the parts of the first and last blocks of [pos, pos+n) outside the range (unwritten blocks being written). */
function zeroEdges(mp: XfsMount, iomap: Iomap, pos: number, n: number): void {
  const head = Math.floor(pos / B) * B;
  if (head < pos) mp.dev.zeroNT(iomap.addr + (head - iomap.offset), pos - head);
  const end = pos + n;
  const tail = Math.ceil(end / B) * B;
  if (tail > end) mp.dev.zeroNT(iomap.addr + (end - iomap.offset), tail - end);
}

/**
 * Writes `data` (or zeros when `data` is null, for IOMAP_ZERO) at `pos` through the write
 * iomap ops. Space must be reserved.
 */
function iomapWriteLoop(mp: XfsMount, ip: XfsInode, pos: number, len: number, data: Uint8Array | null): void {
  const zero = data === null;
  const flags = (zero ? IOMAP_ZERO : IOMAP_WRITE) | (ip.dax ? IOMAP_DAX : IOMAP_DIRECT);
  let done = 0;
  while (done < len) {
    const p = pos + done;
    const rem = len - done;
    const r = xfs_direct_write_iomap_begin(mp, ip.ino, p, rem, flags);
    if (isErr(r)) throw new EngineBug(`iomap_begin failed after the space was reserved: ${r.toString()}`);
    const { iomap, srcmap } = r;
    const n = chunkOf(iomap, srcmap, p, rem);
    const shared = (iomap.flags & IOMAP_F_SHARED) !== 0;
    let written = n;
    if (zero) {
      if (shared) {
        if (srcmap.type !== 'MAPPED') written = 0; // the source already reads as zeros
        else {
          copyEdges(mp, iomap, srcmap, p, n);
          mp.dev.zeroNT(iomap.addr + (p - iomap.offset), n);
        }
      } else if (iomap.type === 'MAPPED') mp.dev.zeroNT(iomap.addr + (p - iomap.offset), n);
    } else {
      if (iomap.type === 'HOLE') throw new EngineBug('a write iomap came back as a hole');
      if (shared) copyEdges(mp, iomap, srcmap, p, n);
      else if (iomap.type === 'UNWRITTEN') zeroEdges(mp, iomap, p, n);
      mp.dev.writeNT(iomap.addr + (p - iomap.offset), data.subarray(done, done + n));
      if (!shared && iomap.type === 'UNWRITTEN') xfs_iomap_write_unwritten(mp, ip, p, n);
    }
    if (shared || ip.dax) xfs_dax_write_iomap_end(mp, ip.ino, p, n, written, flags, iomap);
    done += n;
  }
}

/**
 * Zeroes bytes [pos, pos+len) of a file where they are backed by written blocks (copying
 * shared blocks first). Space for the copies must be reserved.
 * Kernel: fs/xfs/xfs_iomap.c xfs_zero_range() (dax_zero_range / iomap_zero_range)
 */
export function xfs_zero_range(mp: XfsMount, ip: XfsInode, pos: number, len: number): void {
  if (len <= 0) return;
  kcall(
    mp,
    'xfs_zero_range',
    () => ({ ino: ip.ino, pos, len }),
    () => `Zero bytes ${pos}..${pos + len - 1} of inode ${ip.ino} where blocks hold data.`,
    () => iomapWriteLoop(mp, ip, pos, len, null),
  );
}

// ---- read / write ---------------------------------------------------------------------------------

/**
 * read(2): up to `len` bytes at `pos`, clamped at EOF; holes and unwritten extents read as
 * zeros.
 * Kernel: fs/xfs/xfs_file.c xfs_file_read_iter() (xfs_file_dax_read / xfs_file_dio_read)
 */
export function xfs_file_read_iter(mp: XfsMount, ino: number, pos: number, len: number): Uint8Array | KErr {
  return kcall(
    mp,
    'xfs_file_read_iter',
    () => ({ ino, pos, len }),
    () => `Read ${len} bytes of inode ${ino} at ${pos}.`,
    (): Uint8Array | KErr => {
      const ip = live(mp, ino);
      if (isErr(ip)) return ip;
      if (!isByteCount(pos) || !isByteCount(len)) return kerr('EINVAL', 'position and length must be non-negative integers.');
      const n = Math.max(0, Math.min(len, ip.size - pos));
      const out = new Uint8Array(n);
      let done = 0;
      const flags = ip.dax ? IOMAP_DAX : IOMAP_DIRECT;
      while (done < n) {
        const r = xfs_read_iomap_begin(mp, ino, pos + done, n - done, flags);
        if (isErr(r)) return r;
        const m = r.iomap;
        const c = Math.min(m.offset + m.length - (pos + done), n - done);
        if (m.type === 'MAPPED') out.set(mp.dev.read(m.addr + (pos + done - m.offset), c), done);
        done += c;
      }
      return out;
    },
    (r) => (isErr(r) ? `-${r.errno}` : r.length),
  );
}

/**
 * write(2) of `data` at `pos`: allocates holes (DAX: zeroed written blocks; otherwise unwritten
 * blocks converted after the copy), copies shared blocks, zeroes from the old EOF up to `pos`,
 * and extends i_size. Returns the bytes written. ENOSPC when the blocks it needs are not free.
 * Kernel: fs/xfs/xfs_file.c xfs_file_write_iter() (xfs_file_dax_write / xfs_file_dio_write)
 */
export function xfs_file_write_iter(mp: XfsMount, ino: number, pos: number, data: Uint8Array): number | KErr {
  return kcall(
    mp,
    'xfs_file_write_iter',
    () => ({ ino, pos, len: data.length }),
    () => `Write ${data.length} bytes to inode ${ino} at ${pos}.`,
    (): number | KErr => {
      const ip = live(mp, ino);
      if (isErr(ip)) return ip;
      if (!isByteCount(pos)) return kerr('EINVAL', 'the position must be a non-negative integer.');
      const len = data.length;
      if (len === 0) return 0;
      if (pos + len > XFS_MAX_FILE_SIZE) return kerr('EFBIG', `the write would end at ${pos + len}, past the maximum file size.`);
      const shared = new Set<number>();
      let need = countNeed(mp, ip, fsbOf(pos), fsbEnd(pos + len), true, shared);
      if (pos > ip.size) zeroNeed(mp, ip, ip.size, pos - ip.size, shared);
      need += shared.size;
      const err = xfs_trans_reserve(mp, need, `writing ${len} bytes at ${pos}`);
      if (err) return err;
      if (pos > ip.size) xfs_zero_range(mp, ip, ip.size, pos - ip.size); // xfs_file_write_zero_eof
      iomapWriteLoop(mp, ip, pos, len, data);
      if (pos + len > ip.size) setInodeField(mp, ip, 'size', pos + len, `The write extends inode ${ino} to ${pos + len} bytes.`);
      return len;
    },
  );
}

// ---- size changes ------------------------------------------------------------------------------------

/**
 * truncate(2): grow (zeroing old bytes between the old and new EOF) or shrink (zeroing the
 * tail of the new EOF block, then unmapping and releasing every block past it, including CoW
 * staging and preallocation beyond the old EOF).
 * Kernel: fs/xfs/xfs_iops.c xfs_setattr_size() -> xfs_truncate_page(), xfs_itruncate_extents()
 */
export function xfs_setattr_size(mp: XfsMount, ino: number, newSize: number): 0 | KErr {
  return kcall(
    mp,
    'xfs_setattr_size',
    () => ({ ino, size: newSize }),
    () => `Truncate inode ${ino} to ${newSize} bytes.`,
    (): 0 | KErr => {
      const ip = live(mp, ino);
      if (isErr(ip)) return ip;
      if (!Number.isInteger(newSize) || newSize < 0) return kerr('EINVAL', `the new size ${newSize} must be a non-negative integer.`);
      if (newSize > XFS_MAX_FILE_SIZE) return kerr('EFBIG', `${newSize} is past the maximum file size.`);
      const old = ip.size;
      const shared = new Set<number>();
      const tailEnd = Math.ceil(newSize / B) * B;
      if (newSize > old) zeroNeed(mp, ip, old, newSize - old, shared);
      else if (newSize < old) zeroNeed(mp, ip, newSize, tailEnd - newSize, shared);
      const err = xfs_trans_reserve(mp, shared.size, `truncating to ${newSize}`);
      if (err) return err;
      if (newSize > old) {
        xfs_zero_range(mp, ip, old, newSize - old);
        setInodeField(mp, ip, 'size', newSize, `Inode ${ino} grows to ${newSize} bytes; the new range reads as zeros.`);
        return 0;
      }
      if (newSize < tailEnd) xfs_zero_range(mp, ip, newSize, tailEnd - newSize); // xfs_truncate_page
      if (newSize !== old) setInodeField(mp, ip, 'size', newSize, `Inode ${ino} shrinks to ${newSize} bytes.`);
      xfs_itruncate_extents(mp, ip, fsbOf(tailEnd));
      return 0;
    },
  );
}

/**
 * Releases every data and CoW block at or after file block `from`.
 * Kernel: fs/xfs/xfs_inode.c xfs_itruncate_extents()
 */
export function xfs_itruncate_extents(mp: XfsMount, ip: XfsInode, from: number): void {
  xfs_reflink_cancel_cow_range(mp, ip, from, Infinity);
  const last = ip.dataFork.length ? ip.dataFork[ip.dataFork.length - 1] : null;
  if (last && last.off + last.len > from) xfs_bunmapi(mp, ip, from, last.off + last.len - from, 'the blocks lie past the new EOF');
}

// ---- fallocate --------------------------------------------------------------------------------------------

/**
 * fallocate(2): mode 0 allocates unwritten extents over the holes of the range and extends
 * i_size; FALLOC_FL_KEEP_SIZE does not extend; FALLOC_FL_PUNCH_HOLE|KEEP_SIZE unmaps whole
 * blocks and zeroes the partial blocks at the edges; FALLOC_FL_ZERO_RANGE punches then
 * preallocates (unwritten) the block-rounded range.
 * Kernel: fs/xfs/xfs_file.c xfs_file_fallocate() with fs/open.c vfs_fallocate() checks,
 * fs/xfs/xfs_bmap_util.c xfs_free_file_space(), xfs_alloc_file_space()
 */
export function xfs_file_fallocate(mp: XfsMount, ino: number, mode: number, off: number, len: number): 0 | KErr {
  return kcall(
    mp,
    'xfs_file_fallocate',
    () => ({ ino, mode, off, len }),
    () => `fallocate(mode ${mode}) bytes ${off}..${off + len - 1} of inode ${ino}.`,
    (): 0 | KErr => {
      const ip = live(mp, ino);
      if (isErr(ip)) return ip;
      const keep = (mode & FALLOC_FL_KEEP_SIZE) !== 0;
      const punch = (mode & FALLOC_FL_PUNCH_HOLE) !== 0;
      const zero = (mode & FALLOC_FL_ZERO_RANGE) !== 0;
      if (!Number.isInteger(mode) || mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
        return kerr('EOPNOTSUPP', `fallocate mode ${mode} is not supported (the model knows KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE).`);
      if (punch && zero) return kerr('EOPNOTSUPP', 'PUNCH_HOLE and ZERO_RANGE cannot be combined.');
      if (punch && !keep) return kerr('EOPNOTSUPP', 'PUNCH_HOLE must be combined with KEEP_SIZE.');
      if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len <= 0) return kerr('EINVAL', 'the offset must be >= 0 and the length > 0.');
      if (off + len > XFS_MAX_FILE_SIZE) return kerr('EFBIG', `the range ends at ${off + len}, past the maximum file size.`);
      const end = off + len;
      const rStart = fsbOf(off);
      const rEnd = fsbEnd(end);
      // Whole blocks a punch unmaps, and the partial edge blocks it zeroes instead.
      const inS = fsbEnd(off);
      const inE = fsbOf(end);
      const inner = inE > inS ? inE - inS : 0;
      const edges: number[] = [];
      for (let b = rStart; b < rEnd; b++) if (inner === 0 || b < inS || b >= inE) edges.push(b);
      const shared = new Set<number>();
      let need = 0;
      if (punch || zero) {
        if (off < ip.size) {
          const zEnd = Math.min(end, ip.size);
          for (const b of edges) {
            const s = Math.max(off, b * B);
            const t = Math.min(zEnd, (b + 1) * B);
            if (t > s) zeroNeed(mp, ip, s, t - s, shared);
          }
        }
        need += shared.size;
        if (zero) {
          need += inner;
          for (const b of edges) if (xfs_bmapi_read(ip.dataFork, b, 1).block === HOLESTARTBLOCK) need++;
        }
      } else {
        need = rEnd - rStart - extBlocksIn(ip.dataFork, rStart, rEnd - rStart);
      }
      const grow = !keep && !punch && end > ip.size;
      if (grow) {
        const before = shared.size;
        zeroNeed(mp, ip, ip.size, end - ip.size, shared);
        need += shared.size - before;
      }
      const err = xfs_trans_reserve(mp, need, `fallocate of ${len} bytes`);
      if (err) return err;
      if (punch || zero) xfs_free_file_space(mp, ip, off, len);
      if (!punch) {
        let pos = rStart;
        while (pos < rEnd) {
          const maps = xfs_bmapi_write(mp, ip, 'data', pos, rEnd - pos, XFS_BMAPI_PREALLOC, 1, 'fallocate preallocates unwritten blocks');
          pos = maps[0].off + maps[0].len;
        }
        if (grow) {
          // xfs_vn_setattr_size: the old EOF block's tail must read as zeros in the new range.
          xfs_zero_range(mp, ip, ip.size, end - ip.size);
          setInodeField(mp, ip, 'size', end, `fallocate extends inode ${ino} to ${end} bytes.`);
        }
      }
      return 0;
    },
  );
}

/**
 * Punches bytes [off, off+len): unmaps and releases the whole blocks, then zeroes the partial
 * blocks at the edges (only below EOF; shared edge blocks are copied first).
 * Kernel: fs/xfs/xfs_bmap_util.c xfs_free_file_space()
 */
export function xfs_free_file_space(mp: XfsMount, ip: XfsInode, off: number, len: number): void {
  kcall(
    mp,
    'xfs_free_file_space',
    () => ({ ino: ip.ino, off, len }),
    () => `Free the blocks of bytes ${off}..${off + len - 1} of inode ${ip.ino}.`,
    () => {
      const s = fsbEnd(off);
      const e = fsbOf(off + len);
      if (e > s) {
        xfs_reflink_cancel_cow_range(mp, ip, s, e);
        xfs_bunmapi(mp, ip, s, e - s, 'a hole is punched');
      }
      if (off >= ip.size) return;
      xfs_zero_range(mp, ip, off, Math.min(off + len, ip.size) - off);
    },
  );
}

// ---- clone --------------------------------------------------------------------------------------------

/**
 * FICLONERANGE / FICLONE (len 0 = to the source's EOF): shares the source's blocks into the
 * destination after the VFS and XFS checks. Returns the bytes remapped.
 * Kernel: fs/xfs/xfs_file.c xfs_file_remap_range()
 */
export function xfs_file_remap_range(src: RemapFile, posIn: number, dst: RemapFile, posOut: number, len: number): number | KErr {
  const mp = dst.mp;
  return kcall(
    mp,
    'xfs_file_remap_range',
    () => ({ src: src.ino, posIn, dst: dst.ino, posOut, len }),
    () => `Clone ${len === 0 ? 'to EOF' : len + ' bytes'} from inode ${src.ino} at ${posIn} to inode ${dst.ino} at ${posOut}.`,
    (): number | KErr => {
      const p = xfs_reflink_remap_prep(src, posIn, dst, posOut, len);
      if (isErr(p)) return p;
      if (p.len === 0) return 0;
      // xfs_reflink_zero_posteof: bytes between the destination's EOF and posOut must read as zeros.
      const shared = new Set<number>();
      if (posOut > p.ipOut.size) zeroNeed(mp, p.ipOut, p.ipOut.size, posOut - p.ipOut.size, shared);
      const err = xfs_trans_reserve(mp, shared.size, 'zeroing past the destination EOF');
      if (err) return err;
      if (posOut > p.ipOut.size) xfs_zero_range(mp, p.ipOut, p.ipOut.size, posOut - p.ipOut.size);
      return xfs_reflink_remap_blocks(mp, p.ipIn, posIn, p.ipOut, posOut, p.len);
    },
  );
}

// ---- fsync ------------------------------------------------------------------------------------------------

/**
 * fsync(2)/fdatasync(2): if the inode has metadata changes not yet in the log, force the log,
 * which makes every change so far (of every file) durable. A clean inode forces nothing, as
 * xfs_file_fsync skips the force when the inode is not pinned. (The DAX layer flushes the data
 * before this: dax_writeback_mapping_range.)
 * Kernel: fs/xfs/xfs_file.c xfs_file_fsync() -> xfs_fsync_flush_log()
 */
export function xfs_file_fsync(mp: XfsMount, ino: number): 0 | KErr {
  return kcall(
    mp,
    'xfs_file_fsync',
    () => ({ ino }),
    () => `fsync inode ${ino}.`,
    (): 0 | KErr => {
      const ip = live(mp, ino);
      if (isErr(ip)) return ip;
      if (ip.fsyncDirty) xfs_log_force(mp, `fsync of inode ${ino}`);
      return 0;
    },
  );
}

/**
 * syncfs(2): forces the log whatever state the inodes are in.
 * Kernel: fs/xfs/xfs_super.c xfs_fs_sync_fs()
 */
export function xfs_fs_sync_fs(mp: XfsMount): 0 | KErr {
  if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
  xfs_log_force(mp, 'syncfs');
  return 0;
}
