/**
 * The mounted filesystem: the in-core superblock (struct xfs_mount) that every other file of
 * the XFS model hangs its state on, plus the geometry and the tracing helpers they share.
 *
 * Conventions in this file:
 *   mp       - the mount (XfsMount); every XFS function takes it first, as the kernel does.
 *   ip       - an in-core inode (XfsInode).
 *   block    - a filesystem block number, 4 KiB, counted from the start of the data area
 *              (`dataStart` on the device). Block b lives at device byte dataStart + b * 4096.
 *   fsb      - a file block (file offset / 4096), as XFS's xfs_fileoff_t.
 *   fork     - an inode's extent list: the data fork (what the file reads) or the CoW fork
 *              (staging blocks of copy-on-write, in core only, as in XFS).
 *   avail    - free blocks that may be handed out now: free minus busy (see xfs_alloc.ts).
 *   busy     - blocks freed since the last log force; XFS does not reuse them until the
 *              transaction that freed them is on disk, so a crash can never expose another
 *              file's data in a block the recovered metadata still maps.
 *
 * What this model leaves out: allocation groups (one AG spans the whole data area), the on-disk
 * btrees themselves (bnobt/cntbt/inobt/bmbt/rmapbt/refcountbt are sorted lists and maps here,
 * and their own block usage is not charged except for a fixed metadata area at the start),
 * realtime devices, quotas, extended attributes, directories (the namespace is flat), delalloc
 * and speculative preallocation, extent size hints beyond the 2 MiB placement goal, inode
 * timestamps, and locking (every call runs to completion on its own).
 */

import { PAGE_SHIFT, PAGE_SIZE, PG_PMD_NR, PMD_SIZE } from '../../constants';
import { EngineBug } from '../../errno';
import { Tracer, type ExtentRef, type Json } from '../../trace/steps';
import type { RmapOwner } from './xfs_rmap';
import type { XfsLog } from './xfs_log';

/** Filesystem block size: one page, as on every DAX-capable XFS. */
export const XFS_BLOCK_SIZE = PAGE_SIZE;
export const XFS_BLOCK_SHIFT = PAGE_SHIFT;
/** Blocks per 2 MiB (a PMD): the allocation alignment goal for DAX files. */
export const XFS_PMD_BLOCKS = PG_PMD_NR;
/**
 * Largest file size (s_maxbytes). XFS allows 2^63 - 1; the model stops at 2^52 bytes so that
 * every byte offset is an exact JavaScript number.
 */
export const XFS_MAX_FILE_SIZE = 2 ** 52;
/** Longest name (bytes), as MAXNAMELEN - 1. */
export const XFS_MAXNAMELEN = 255;
/** Most blocks one direct-write iomap allocates (xfs_direct_write_iomap_begin caps at 1024 pages). */
export const XFS_MAX_IOMAP_ALLOC = 1024;
/** First inode number handed out (128 is the root directory, 129/130 the realtime inodes). */
export const XFS_FIRST_INO = 131;

/**
 * Blocks the filesystem keeps for itself at the start of the data area: AG headers, btree
 * roots and the internal log. They carry a metadata owner in the reverse map (a media error
 * there shuts the filesystem down, kernel-model fact 37).
 */
export const XFS_META_LAYOUT: readonly { what: string; len: number }[] = [
  { what: 'sb', len: 1 },
  { what: 'agf', len: 1 },
  { what: 'agi', len: 1 },
  { what: 'agfl', len: 1 },
  { what: 'bnobt', len: 1 },
  { what: 'cntbt', len: 1 },
  { what: 'inobt', len: 1 },
  { what: 'finobt', len: 1 },
  { what: 'rmapbt', len: 1 },
  { what: 'refcountbt', len: 1 },
  { what: 'log', len: 6 },
];
export const XFS_META_BLOCKS = XFS_META_LAYOUT.reduce((n, m) => n + m.len, 0);

/** What the filesystem needs of its device (drivers/pmem.ts PmemDevice has all of it). */
export interface XfsBlockDevice {
  readonly size: number;
  /** The bytes a CPU load would see. */
  read(off: number, len: number): Uint8Array;
  /** A cache-bypassing copy: the bytes reach the media at once. */
  writeNT(off: number, data: Uint8Array): void;
  /** Cache-bypassing zeroing. */
  zeroNT(off: number, len: number): void;
}

export interface XfsMountOptions {
  /**
   * -o dax=always: every file is a DAX file; never: none is; inode: a file is DAX when it was
   * created with { dax: true } (the FS_XFLAG_DAX inode flag).
   */
  dax: 'always' | 'never' | 'inode';
  /** mkfs -m reflink=1: shared extents (FICLONE, FICLONERANGE) are supported. */
  reflink: boolean;
}

export interface XfsMountConfig {
  dev: XfsBlockDevice;
  /** Byte offset of block 0 on the device, 2 MiB aligned. */
  dataStart: number;
  nrBlocks: number;
  tracer?: Tracer | null;
  options?: Partial<XfsMountOptions>;
  /** Identifies the superblock: two mounts with different fsids are different filesystems (EXDEV). */
  fsid?: number;
}

export type ForkName = 'data' | 'cow';
/** An extent: file block `off`, device block `block`, `len` blocks, written or unwritten. */
export type XfsExtent = ExtentRef;

/** The in-core inode (struct xfs_inode with the VFS inode fields the model needs). */
export interface XfsInode {
  readonly ino: number;
  /** i_size in bytes. */
  size: number;
  nlink: number;
  /** S_DAX: file data is accessed directly on pmem. */
  dax: boolean;
  /** XFS_DIFLAG2_REFLINK: the file may have shared extents (set by the first remap). */
  reflink: boolean;
  /** Data fork extents, sorted by `off`, merged, non-overlapping. */
  dataFork: XfsExtent[];
  /** CoW fork extents (staging blocks), same rules; never logged, as in XFS. */
  cowFork: XfsExtent[];
  /** i_count: references held by open files and mappings (iget/iput). */
  iCount: number;
  /**
   * ili_fsync_fields != 0 while the inode is pinned: it has fsync-relevant changes (extents,
   * size, link count) that the log has not made durable yet. Drives IOMAP_F_DIRTY.
   */
  fsyncDirty: boolean;
}

/** A run of blocks. */
export interface BlockRange {
  start: number;
  len: number;
}

/** The mount: superblock geometry plus every in-core metadata structure. */
export class XfsMount {
  readonly dev: XfsBlockDevice;
  readonly dataStart: number;
  readonly nrBlocks: number;
  readonly tracer: Tracer;
  readonly options: XfsMountOptions;
  readonly fsid: number;

  /** Inodes that exist (linked, or unlinked but still referenced). */
  readonly inodes = new Map<number, XfsInode>();
  /** The flat namespace: name -> inode number. */
  readonly names = new Map<string, number>();
  nextIno = XFS_FIRST_INO;

  /** Free extents (the bnobt), sorted by start, merged. Includes busy blocks. */
  free: BlockRange[] = [];
  /** Free extents that may be allocated now (free minus busy), sorted, merged. */
  avail: BlockRange[] = [];
  /** Extents freed since the last log force, sorted, merged. */
  busy: BlockRange[] = [];
  freeBlocks = 0;
  availBlocks = 0;

  /** The refcount btree: block -> reference count, only for counts >= 2. */
  readonly refcount = new Map<number, number>();
  /** The reverse map: block -> owners. */
  readonly rmap = new Map<number, RmapOwner[]>();

  /** The log (set by xfs_log_mount during construction). */
  log!: XfsLog;
  /** Set when a metadata failure shut the filesystem down (xfs_force_shutdown). */
  shutdown = false;

  constructor(cfg: XfsMountConfig) {
    if (cfg.dataStart % PMD_SIZE !== 0) throw new EngineBug(`dataStart ${cfg.dataStart} is not 2 MiB aligned`);
    if (!Number.isInteger(cfg.nrBlocks) || cfg.nrBlocks <= XFS_META_BLOCKS)
      throw new EngineBug(`nrBlocks ${cfg.nrBlocks} leaves no room after the ${XFS_META_BLOCKS} metadata blocks`);
    if (cfg.dataStart + cfg.nrBlocks * XFS_BLOCK_SIZE > cfg.dev.size)
      throw new EngineBug(`the data area (${cfg.nrBlocks} blocks at ${cfg.dataStart}) runs past the device (${cfg.dev.size} bytes)`);
    this.dev = cfg.dev;
    this.dataStart = cfg.dataStart;
    this.nrBlocks = cfg.nrBlocks;
    this.tracer = cfg.tracer ?? new Tracer(false);
    this.options = { dax: cfg.options?.dax ?? 'always', reflink: cfg.options?.reflink ?? true };
    this.fsid = cfg.fsid ?? 0;
  }

  /** Device byte offset of a block. */
  blockAddr(block: number): number {
    return this.dataStart + block * XFS_BLOCK_SIZE;
  }
}

/** Snapshot of an extent list (for step deltas and the log). */
export function copyExtents(list: readonly XfsExtent[]): XfsExtent[] {
  const out: XfsExtent[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    out[i] = { off: e.off, block: e.block, len: e.len, state: e.state };
  }
  return out;
}

/** An extent list as step JSON. */
export function extentsJson(list: readonly XfsExtent[]): Json {
  return list.map((e) => ({ off: e.off, block: e.block, len: e.len, state: e.state }));
}

/**
 * Runs `body` as kernel function `fn` with call/ret steps when tracing is on. The argument
 * object and the text are built only then (they are thunks), so untraced runs allocate nothing.
 */
export function kcall<T>(
  mp: XfsMount,
  fn: string,
  args: () => { [k: string]: Json },
  text: () => string,
  body: () => T,
  describe?: (r: T) => Json,
): T {
  const tr = mp.tracer;
  if (!tr.on) return body();
  return tr.call(fn, args(), text(), body, describe ?? describeResult);
}

/** How a ret step shows an engine result: errors as -ERRNO, objects as short JSON. */
export function describeResult(r: unknown): Json {
  if (r === undefined || r === null) return null;
  if (typeof r === 'number' || typeof r === 'string' || typeof r === 'boolean') return r;
  if (typeof r === 'object' && r !== null && 'errno' in r) return `-${String((r as { errno: string }).errno)}`;
  try {
    return JSON.parse(JSON.stringify(r)) as Json;
  } catch {
    return String(r);
  }
}

/** Byte offset -> first file block containing it. */
export function fsbOf(pos: number): number {
  return Math.floor(pos / XFS_BLOCK_SIZE);
}

/** Byte end -> first file block past it (rounds up). */
export function fsbEnd(end: number): number {
  return Math.ceil(end / XFS_BLOCK_SIZE);
}
