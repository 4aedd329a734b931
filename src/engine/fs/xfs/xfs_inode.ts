/**
 * Inodes: creation, the flat namespace, reference counting (iget/iput), unlink and eviction.
 *
 * Conventions in this file:
 *   name     - a file name in the single flat directory. Any string of 1..255 bytes (UTF-8)
 *              without '/' and NUL, and not "." or "..".
 *   nlink    - 1 while the name exists, 0 after unlink (no hard links in the model).
 *   iCount   - references from open files and mappings. An unlinked inode lives on (on the
 *              AGI unlinked list) until its last reference goes; then it is inactivated: its
 *              blocks are released and the inode number stops resolving.
 *   stale    - an inode number that no longer resolves. The model answers ENOENT, which is what
 *              xfs_iget() returns for a freed inode (a file handle would turn it into ESTALE,
 *              which errno.ts does not list).
 *
 * What this model leaves out: directories and hard links, inode chunks and the inobt (numbers
 * are handed out in order and never reused within a mount), permissions and ownership,
 * timestamps, the VFS inode cache and its LRU (an unreferenced linked inode simply stays).
 */

import { isErr, kerr, type KErr } from '../../errno';
import { xfs_bunmapi } from './xfs_bmap';
import { kcall, type XfsInode, type XfsMount, XFS_MAXNAMELEN } from './xfs_mount';
import { xfs_reflink_cancel_cow_range } from './xfs_reflink';

/** Options of create(): the per-inode DAX flag matters only with -o dax=inode. */
export interface CreateOptions {
  dax?: boolean;
}

const utf8 = new TextEncoder();

/** Checks a name as path lookup and the filesystem would; null when it is fine. */
export function xfs_validate_name(name: unknown): KErr | null {
  if (typeof name !== 'string') return kerr('EINVAL', 'the name must be a string.');
  if (name.length === 0) return kerr('ENOENT', 'an empty path names no file.');
  if (name.includes('\0')) return kerr('EINVAL', 'a name cannot contain a NUL byte.');
  if (name.includes('/')) return kerr('ENOENT', `"${name}" has a '/', but the model's namespace is one flat directory with no subdirectories.`);
  if (name === '.' || name === '..') return kerr('EEXIST', `"${name}" always exists: it names a directory.`);
  if (utf8.encode(name).length > XFS_MAXNAMELEN)
    return kerr('EINVAL', `the name is longer than ${XFS_MAXNAMELEN} bytes (the kernel returns ENAMETOOLONG, which errno.ts does not list).`);
  return null;
}

/**
 * Marks the inode as having fsync-relevant changes that the log has not made durable yet
 * (it is pinned with ili_fsync_fields set), which is what IOMAP_F_DIRTY reports.
 * Kernel: fs/xfs/xfs_trans_inode.c xfs_trans_log_inode()
 */
export function xfs_trans_log_inode(mp: XfsMount, ip: XfsInode): void {
  if (ip.fsyncDirty) return;
  ip.fsyncDirty = true;
  if (mp.tracer.on)
    mp.tracer.emit(
      { t: 'inode', ino: ip.ino, field: 'fsyncDirty', old: false, new: true },
      `Inode ${ip.ino} now has metadata changes that only a log force makes durable (IOMAP_F_DIRTY until then).`,
    );
}

/** Sets a numeric inode field with an 'inode' step. */
export function setInodeField(mp: XfsMount, ip: XfsInode, field: 'size' | 'nlink', value: number, text: string): void {
  const old = ip[field];
  if (old === value) return;
  ip[field] = value;
  if (mp.tracer.on) mp.tracer.emit({ t: 'inode', ino: ip.ino, field, old, new: value }, text);
  xfs_trans_log_inode(mp, ip);
}

/**
 * The inode behind a number, or ENOENT when it was freed (or never existed).
 * Kernel: fs/xfs/xfs_icache.c xfs_iget()
 */
export function xfs_iget(mp: XfsMount, ino: number): XfsInode | KErr {
  const ip = mp.inodes.get(ino);
  if (!ip) return kerr('ENOENT', `inode ${ino} does not exist: it was never created or it was freed when its last reference went after unlink.`);
  return ip;
}

/** Looks a name up. */
export function xfs_lookup(mp: XfsMount, name: string): number | KErr {
  const bad = xfs_validate_name(name);
  if (bad) return bad;
  const ino = mp.names.get(name);
  if (ino === undefined) return kerr('ENOENT', `no file is named "${name}".`);
  return ino;
}

/**
 * Creates an empty regular file under `name` and returns its inode number.
 * Kernel: fs/xfs/xfs_inode.c xfs_create()
 */
export function xfs_create(mp: XfsMount, name: string, opts: CreateOptions = {}): number | KErr {
  return kcall(
    mp,
    'xfs_create',
    () => ({ name }),
    () => `Create the file "${name}".`,
    (): number | KErr => {
      const bad = xfs_validate_name(name);
      if (bad) return bad;
      if (mp.names.has(name)) return kerr('EEXIST', `"${name}" already exists.`);
      if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
      const ino = mp.nextIno++;
      const dax = mp.options.dax === 'always' ? true : mp.options.dax === 'never' ? false : opts.dax === true;
      const ip: XfsInode = { ino, size: 0, nlink: 1, dax, reflink: false, dataFork: [], cowFork: [], iCount: 0, fsyncDirty: false };
      mp.inodes.set(ino, ip);
      mp.names.set(name, ino);
      if (mp.tracer.on) {
        mp.tracer.emit({ t: 'inode', ino, field: 'state', old: null, new: 'allocated' }, `Allocate inode ${ino}${dax ? ' (DAX)' : ''}.`);
        mp.tracer.emit({ t: 'inode', ino, field: 'name', old: null, new: name }, `Link "${name}" to inode ${ino}.`);
        mp.tracer.emit({ t: 'inode', ino, field: 'nlink', old: 0, new: 1 }, `Inode ${ino} has one link.`);
      }
      xfs_trans_log_inode(mp, ip);
      return ino;
    },
  );
}

/** Takes a reference (an open file or a mapping): VFS igrab()/ihold(). */
export function xfs_iref(mp: XfsMount, ino: number): XfsInode | KErr {
  const ip = xfs_iget(mp, ino);
  if (isErr(ip)) return ip;
  const old = ip.iCount++;
  if (mp.tracer.on) mp.tracer.emit({ t: 'inode', ino, field: 'iCount', old, new: ip.iCount }, `Take a reference on inode ${ino} (i_count ${ip.iCount}).`);
  return ip;
}

/**
 * Drops a reference; the last reference of an unlinked inode frees it.
 * Kernel: fs/xfs/xfs_icache.c xfs_irele() (iput -> evict -> xfs_inactive)
 */
export function xfs_irele(mp: XfsMount, ino: number): 0 | KErr {
  const ip = xfs_iget(mp, ino);
  if (isErr(ip)) return ip;
  if (ip.iCount === 0) return kerr('EINVAL', `inode ${ino} holds no reference to drop.`);
  const old = ip.iCount--;
  if (mp.tracer.on) mp.tracer.emit({ t: 'inode', ino, field: 'iCount', old, new: ip.iCount }, `Drop a reference on inode ${ino} (i_count ${ip.iCount}).`);
  if (ip.iCount === 0 && ip.nlink === 0) xfs_inactive(mp, ip);
  return 0;
}

/**
 * Removes a name. The inode is freed now if nothing references it, else at the last iput.
 * Kernel: fs/xfs/xfs_inode.c xfs_remove()
 */
export function xfs_remove(mp: XfsMount, name: string): 0 | KErr {
  return kcall(
    mp,
    'xfs_remove',
    () => ({ name }),
    () => `Unlink "${name}".`,
    (): 0 | KErr => {
      const ino = xfs_lookup(mp, name);
      if (typeof ino !== 'number') return ino;
      if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
      const ip = mp.inodes.get(ino)!;
      mp.names.delete(name);
      if (mp.tracer.on) mp.tracer.emit({ t: 'inode', ino, field: 'name', old: name, new: null }, `Remove the name "${name}".`);
      setInodeField(mp, ip, 'nlink', 0, `Inode ${ino} has no links left${ip.iCount ? `; ${ip.iCount} reference(s) keep it alive on the unlinked list` : ''}.`);
      if (ip.iCount === 0) xfs_inactive(mp, ip);
      return 0;
    },
  );
}

/**
 * Frees an unlinked, unreferenced inode: releases every data block (dropping shared
 * references), cancels CoW staging, and forgets the inode number.
 * Kernel: fs/xfs/xfs_inode.c xfs_inactive() -> xfs_itruncate_extents(), xfs_ifree()
 */
export function xfs_inactive(mp: XfsMount, ip: XfsInode): void {
  kcall(
    mp,
    'xfs_inactive',
    () => ({ ino: ip.ino }),
    () => `Inode ${ip.ino} is unlinked and unreferenced: free its blocks and the inode.`,
    () => {
      xfs_reflink_cancel_cow_range(mp, ip, 0, Infinity);
      const last = ip.dataFork.length ? ip.dataFork[ip.dataFork.length - 1] : null;
      if (last) xfs_bunmapi(mp, ip, 0, last.off + last.len, 'the inode is being freed');
      setInodeField(mp, ip, 'size', 0, `Inode ${ip.ino} is truncated to 0 bytes before it is freed.`);
      mp.inodes.delete(ip.ino);
      if (mp.tracer.on) mp.tracer.emit({ t: 'inode', ino: ip.ino, field: 'state', old: 'allocated', new: null }, `Free inode ${ip.ino}.`);
    },
  );
}
