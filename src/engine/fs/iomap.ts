/**
 * iomap: how a filesystem tells the rest of the kernel where a file range lives on the device
 * (include/linux/iomap.h). DAX, the page cache and direct I/O ask ->iomap_begin for a mapping of
 * a byte range and act on the answer; ->iomap_end lets the filesystem finish (e.g. remap a
 * copy-on-write extent).
 *
 * Conventions in this file:
 *   iomap   - the mapping the operation writes to; srcmap - where the old data is, for a
 *             copy-on-write (the same as iomap when there is nothing to copy).
 *   addr    - a device byte offset (-1 for a hole); offset / length - the file byte range.
 *
 * What this model leaves out: IOMAP_DELALLOC and IOMAP_INLINE mappings, bdev/dax_dev pointers
 * (one device), iomap_iter's multi-iteration bookkeeping (callers loop themselves).
 */

// Request flags, the kernel's values.
export const IOMAP_WRITE = 1 << 0;
export const IOMAP_ZERO = 1 << 1;
export const IOMAP_REPORT = 1 << 2;
export const IOMAP_FAULT = 1 << 3;
export const IOMAP_DIRECT = 1 << 4;
export const IOMAP_NOWAIT = 1 << 5;
export const IOMAP_OVERWRITE_ONLY = 1 << 6;
export const IOMAP_UNSHARE = 1 << 7;
export const IOMAP_DAX = 1 << 8;

// Mapping flags.
export const IOMAP_F_NEW = 1 << 0;
export const IOMAP_F_DIRTY = 1 << 1;
export const IOMAP_F_SHARED = 1 << 2;

/** iomap->addr of a hole. */
export const IOMAP_NULL_ADDR = -1;

export type IomapType = 'HOLE' | 'MAPPED' | 'UNWRITTEN';

export interface Iomap {
  type: IomapType;
  flags: number;
  /** device byte offset of `offset`, or -1 for a hole */
  addr: number;
  /** file byte offset the mapping starts at */
  offset: number;
  /** bytes */
  length: number;
}

export interface IomapPair {
  iomap: Iomap;
  /** the extent to copy from for copy-on-write (same as iomap when there is none) */
  srcmap: Iomap;
}
