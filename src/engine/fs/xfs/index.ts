/**
 * The XFS model's public face: `Filesystem`, a mount with camelCase methods that wrap the
 * kernel-named entry points of xfs_file.ts / xfs_inode.ts / xfs_iomap.ts, plus re-exports.
 *
 * Conventions in this file:
 *   camelCase methods - simulator conveniences (create, write, cloneRange...). Each one calls
 *              exactly one kernel-named function, named in its TSDoc.
 *   ino      - files are addressed by inode number; names only matter to create/lookup/unlink.
 *
 * What this model leaves out: see the files it re-exports; file descriptors are not modelled
 * (open() takes an inode reference and returns the inode number).
 */

import { allocFixed, setFreeSpace } from './xfs_alloc';
import { type CreateOptions, xfs_create, xfs_iget, xfs_irele, xfs_iref, xfs_lookup, xfs_remove } from './xfs_inode';
import {
  type IomapPair,
  type Iomap,
  xfs_dax_write_iomap_end,
  xfs_direct_write_iomap_begin,
  xfs_read_iomap_begin,
} from './xfs_iomap';
import { rebuildRmap, xfs_log_force, xfs_log_mount, xfs_log_recover } from './xfs_log';
import {
  copyExtents,
  type XfsExtent,
  XfsMount,
  type XfsMountConfig,
  XFS_META_BLOCKS,
} from './xfs_mount';
import {
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  xfs_file_fallocate,
  xfs_file_fsync,
  xfs_file_read_iter,
  xfs_file_remap_range,
  xfs_file_write_iter,
  xfs_fs_sync_fs,
  xfs_setattr_size,
} from './xfs_file';
import { type RmapRecord, xfs_rmap_query_range } from './xfs_rmap';
import { isErr, type KErr } from '../../errno';

export * from './xfs_mount';
export * from './xfs_iomap';
export { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from './xfs_file';
export type { RmapOwner, RmapRecord } from './xfs_rmap';
export type { CreateOptions } from './xfs_inode';
export type { RemapFile } from './xfs_reflink';

/** What stat() reports about an inode (a copy). */
export interface InodeStat {
  ino: number;
  size: number;
  nlink: number;
  dax: boolean;
  reflink: boolean;
  iCount: number;
  fsyncDirty: boolean;
  extents: XfsExtent[];
  cow: XfsExtent[];
}

/**
 * A mounted XFS-like filesystem on a pmem device. Creating one runs mkfs: the metadata area
 * is reserved, everything else is free, and that state is committed to the log.
 */
export class Filesystem extends XfsMount {
  constructor(cfg: XfsMountConfig) {
    super(cfg);
    setFreeSpace(this, [{ start: 0, len: this.nrBlocks }]);
    allocFixed(this, 0, XFS_META_BLOCKS);
    rebuildRmap(this);
    xfs_log_mount(this);
  }

  /** Creates a file; returns its inode number. Kernel: xfs_create() */
  create(name: string, opts?: CreateOptions): number | KErr {
    return xfs_create(this, name, opts);
  }

  /** Inode number of a name. Kernel: xfs_lookup() */
  lookup(name: string): number | KErr {
    return xfs_lookup(this, name);
  }

  /** Looks a name up and takes a reference (an open file); returns the inode number. */
  open(name: string): number | KErr {
    const ino = xfs_lookup(this, name);
    if (isErr(ino)) return ino;
    const ip = xfs_iref(this, ino);
    return isErr(ip) ? ip : ino;
  }

  /** Drops the reference open() took. Kernel: xfs_irele() */
  close(ino: number): 0 | KErr {
    return xfs_irele(this, ino);
  }

  /** Takes a reference (open file, mapping). Kernel: VFS ihold() */
  iget(ino: number): 0 | KErr {
    const ip = xfs_iref(this, ino);
    return isErr(ip) ? ip : 0;
  }

  /** Drops a reference; the last one of an unlinked inode frees it. Kernel: xfs_irele() */
  iput(ino: number): 0 | KErr {
    return xfs_irele(this, ino);
  }

  /** Removes a name. Kernel: xfs_remove() */
  unlink(name: string): 0 | KErr {
    return xfs_remove(this, name);
  }

  /** Kernel: xfs_file_read_iter() */
  read(ino: number, off: number, len: number): Uint8Array | KErr {
    return xfs_file_read_iter(this, ino, off, len);
  }

  /** Kernel: xfs_file_write_iter() */
  write(ino: number, off: number, data: Uint8Array): number | KErr {
    return xfs_file_write_iter(this, ino, off, data);
  }

  /** Kernel: xfs_setattr_size() */
  truncate(ino: number, size: number): 0 | KErr {
    return xfs_setattr_size(this, ino, size);
  }

  /** Kernel: xfs_file_fallocate() */
  fallocate(ino: number, mode: number, off: number, len: number): 0 | KErr {
    return xfs_file_fallocate(this, ino, mode, off, len);
  }

  /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). Kernel: xfs_file_fallocate() */
  punch(ino: number, off: number, len: number): 0 | KErr {
    return xfs_file_fallocate(this, ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
  }

  /** ioctl(dst, FICLONE, src): the whole source. Kernel: xfs_file_remap_range() */
  clone(src: number, dst: number): 0 | KErr {
    const r = xfs_file_remap_range({ mp: this, ino: src }, 0, { mp: this, ino: dst }, 0, 0);
    return isErr(r) ? r : 0;
  }

  /**
   * ioctl(dst, FICLONERANGE, {src, srcOff, len, dstOff}); `len` 0 = to the source's EOF.
   * `dstFs` names a destination on another mount (which fails with EXDEV).
   * Kernel: xfs_file_remap_range()
   */
  cloneRange(src: number, srcOff: number, len: number, dst: number, dstOff: number, dstFs: XfsMount = this): 0 | KErr {
    const r = xfs_file_remap_range({ mp: this, ino: src }, srcOff, { mp: dstFs, ino: dst }, dstOff, len);
    return isErr(r) ? r : 0;
  }

  /** Kernel: xfs_file_fsync() */
  fsync(ino: number): 0 | KErr {
    return xfs_file_fsync(this, ino);
  }

  /** syncfs(2): always forces the log. Kernel: xfs_fs_sync_fs() */
  syncfs(): 0 | KErr {
    return xfs_fs_sync_fs(this);
  }

  /** Forces the log. Kernel: xfs_log_force() */
  logForce(why = 'explicit log force'): void {
    xfs_log_force(this, why);
  }

  /**
   * After a power failure: log recovery brings the metadata back to the last log force. (The
   * device's own powerFail() is the machine's business and happens before this.)
   * Kernel: xlog_recover()
   */
  crashRecover(): void {
    xfs_log_recover(this);
  }

  /** Kernel: xfs_read_iomap_begin() */
  readIomapBegin(ino: number, pos: number, length: number, flags: number): IomapPair | KErr {
    return xfs_read_iomap_begin(this, ino, pos, length, flags);
  }

  /** Kernel: xfs_direct_write_iomap_begin() */
  writeIomapBegin(ino: number, pos: number, length: number, flags: number): IomapPair | KErr {
    return xfs_direct_write_iomap_begin(this, ino, pos, length, flags);
  }

  /** Kernel: xfs_dax_write_iomap_end() */
  writeIomapEnd(ino: number, pos: number, length: number, written: number, flags: number, iomap: Iomap): 0 | KErr {
    return xfs_dax_write_iomap_end(this, ino, pos, length, written, flags, iomap);
  }

  /** Reverse-map records over device blocks [start, start+len). Kernel: xfs_rmap_query_range() */
  rmapQuery(start: number, len: number): RmapRecord[] {
    return xfs_rmap_query_range(this, start, len);
  }

  /** A copy of an inode's state, or ENOENT. */
  stat(ino: number): InodeStat | KErr {
    const ip = xfs_iget(this, ino);
    if (isErr(ip)) return ip;
    return {
      ino: ip.ino,
      size: ip.size,
      nlink: ip.nlink,
      dax: ip.dax,
      reflink: ip.reflink,
      iCount: ip.iCount,
      fsyncDirty: ip.fsyncDirty,
      extents: copyExtents(ip.dataFork),
      cow: copyExtents(ip.cowFork),
    };
  }

  /**
   * A canonical JSON dump of the in-core metadata (tests compare it to prove "unchanged"). The
   * reverse map appears only as its size: checkFilesystem() proves it equals the forks.
   */
  dumpMetadata(): string {
    const inodes = [...this.inodes.values()]
      .sort((a, b) => a.ino - b.ino)
      .map((ip) => ({ ...ip, dataFork: copyExtents(ip.dataFork), cowFork: copyExtents(ip.cowFork) }));
    return JSON.stringify({
      inodes,
      names: [...this.names.entries()].sort(),
      nextIno: this.nextIno,
      free: this.free,
      avail: this.avail,
      busy: this.busy,
      refcount: [...this.refcount.entries()].sort((a, b) => a[0] - b[0]),
      rmapBlocks: this.rmap.size,
      committed: this.log.forceCount,
    });
  }
}
