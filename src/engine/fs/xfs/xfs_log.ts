/**
 * Metadata durability: transactions reserve space, the log makes metadata durable at a log
 * force, and log recovery after a crash returns the metadata to what the log holds.
 *
 * Conventions in this file:
 *   in-core  - the metadata the running filesystem uses (XfsMount's maps and lists, the inodes).
 *   committed - the image the log holds: what a crash comes back to. Every metadata change
 *              (extent maps, sizes, link counts, names, refcounts, free space) lands in the
 *              in-core state at once and in the committed image only at the next log force.
 *   log force - xfs_log_force(): writes the whole CIL (every change so far, of every inode) to
 *              the log. fsync and fdatasync of any file force it, so one fsync makes ALL
 *              earlier metadata changes durable, as on XFS with its single log.
 *   recovery - after a crash: replay = take the committed image; then free CoW staging blocks
 *              (they were never part of a file) and unlinked inodes (the AGI unlinked lists).
 *
 * File data is not journalled: data written with cache-bypassing stores is on the media at
 * once, whether the metadata that points at it is durable or not (see kernel-model.md §6).
 *
 * What this model leaves out: the CIL/iclog pipeline and log sequence numbers beyond a counter,
 * partial log writes (a force is atomic), timestamps-only changes (not modelled at all), log
 * space and tail pushing, and the on-disk log format.
 */

import { kerr, type KErr } from '../../errno';
import { runInsert, setFreeSpace, xfs_extent_busy_clear } from './xfs_alloc';
import { xfs_inactive } from './xfs_inode';
import {
  type BlockRange,
  copyExtents,
  extentsJson,
  kcall,
  type XfsExtent,
  type XfsInode,
  type XfsMount,
  XFS_META_LAYOUT,
} from './xfs_mount';
import { xfs_rmap_map } from './xfs_rmap';

/** An inode as the log holds it. */
export interface InodeImage {
  ino: number;
  size: number;
  nlink: number;
  dax: boolean;
  reflink: boolean;
  dataFork: XfsExtent[];
}

/** Everything the log holds after a force. */
export interface LogImage {
  inodes: InodeImage[];
  names: [string, number][];
  nextIno: number;
  free: BlockRange[];
  refcount: [number, number][];
}

/** The log of one mount. */
export class XfsLog {
  committed: LogImage;
  /** Number of log forces so far (fsync, busy-extent flushes, recovery). */
  forceCount = 0;
  private listeners: ((why: string) => void)[] = [];

  constructor(image: LogImage) {
    this.committed = image;
  }

  /** Calls `fn` after every log force (tests use it to track what is durable). */
  onForce(fn: (why: string) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  notify(why: string): void {
    for (const l of this.listeners) l(why);
  }
}

/** The in-core metadata as a log image. */
export function logImage(mp: XfsMount): LogImage {
  const inodes: InodeImage[] = [];
  for (const ip of mp.inodes.values())
    inodes.push({ ino: ip.ino, size: ip.size, nlink: ip.nlink, dax: ip.dax, reflink: ip.reflink, dataFork: copyExtents(ip.dataFork) });
  return {
    inodes,
    names: [...mp.names.entries()],
    nextIno: mp.nextIno,
    free: mp.free.map((r) => ({ start: r.start, len: r.len })),
    refcount: [...mp.refcount.entries()],
  };
}

/** Sets up the log at mount: the freshly made filesystem is the committed state. */
export function xfs_log_mount(mp: XfsMount): void {
  mp.log = new XfsLog(logImage(mp));
}

/**
 * Writes every in-core metadata change to the log: the committed image becomes the in-core
 * state, busy extents become reusable and no inode is fsync-dirty any more.
 * Kernel: fs/xfs/xfs_log.c xfs_log_force() (XFS_LOG_SYNC)
 */
export function xfs_log_force(mp: XfsMount, why: string): void {
  kcall(
    mp,
    'xfs_log_force',
    () => ({ why }),
    () => `Force the log (${why}): every metadata change so far becomes durable.`,
    () => {
      mp.log.committed = logImage(mp);
      mp.log.forceCount++;
      xfs_extent_busy_clear(mp);
      for (const ip of mp.inodes.values()) {
        if (!ip.fsyncDirty) continue;
        ip.fsyncDirty = false;
        if (mp.tracer.on)
          mp.tracer.emit({ t: 'inode', ino: ip.ino, field: 'fsyncDirty', old: true, new: false }, `Inode ${ip.ino}'s metadata is in the log now: it is no longer pinned.`);
      }
    },
  );
  mp.log.notify(why);
}

/**
 * Reserves `blocks` blocks for a transaction before anything changes. When only busy
 * extents stand in the way, the log is forced so they become reusable (xfs_extent_busy_flush);
 * when the free space itself is short, ENOSPC and nothing has changed.
 * Kernel: fs/xfs/xfs_trans.c xfs_trans_alloc() -> xfs_trans_reserve() (xfs_dec_fdblocks)
 */
export function xfs_trans_reserve(mp: XfsMount, blocks: number, why: string): KErr | null {
  if (blocks <= 0) return null;
  if (mp.shutdown) return kerr('EIO', 'the filesystem has shut down after a metadata failure.');
  if (blocks <= mp.availBlocks) return null;
  if (blocks <= mp.freeBlocks) {
    xfs_log_force(mp, `${mp.freeBlocks - mp.availBlocks} free blocks are busy until their freeing is durable, and ${why} needs ${blocks}`);
    return null;
  }
  return kerr('ENOSPC', `${why} needs ${blocks} block${blocks === 1 ? '' : 's'} but only ${mp.freeBlocks} ${mp.freeBlocks === 1 ? 'is' : 'are'} free.`);
}

/**
 * After a crash: brings the metadata back to the committed image, frees CoW staging blocks
 * and the blocks of unlinked inodes, drops every reference (the processes are gone), and
 * forces the log so the recovered state is durable. Emits the deltas a viewer needs.
 * Kernel: fs/xfs/xfs_log_recover.c xlog_recover() with xlog_recover_process_iunlinks(),
 * fs/xfs/xfs_reflink.c xfs_reflink_recover_cow()
 */
export function xfs_log_recover(mp: XfsMount): void {
  kcall(
    mp,
    'xlog_recover',
    () => ({ forces: mp.log.forceCount }),
    () => 'Recover the filesystem from the log after a crash: metadata returns to the last log force.',
    () => {
      const img = mp.log.committed;
      const tracing = mp.tracer.on;
      const oldInodes = tracing ? new Map([...mp.inodes].map(([k, v]) => [k, { ...v, dataFork: copyExtents(v.dataFork), cowFork: copyExtents(v.cowFork) }])) : null;
      const oldNames = tracing ? new Map(mp.names) : null;
      const oldFree = tracing ? freeBitmap(mp.nrBlocks, mp.free) : null;
      const oldRefcount = tracing ? new Map(mp.refcount) : null;

      mp.inodes.clear();
      for (const im of img.inodes) {
        const ip: XfsInode = {
          ino: im.ino,
          size: im.size,
          nlink: im.nlink,
          dax: im.dax,
          reflink: im.reflink,
          dataFork: copyExtents(im.dataFork),
          cowFork: [],
          iCount: 0,
          fsyncDirty: false,
        };
        mp.inodes.set(ip.ino, ip);
      }
      mp.names.clear();
      for (const [n, i] of img.names) mp.names.set(n, i);
      mp.nextIno = img.nextIno;
      setFreeSpace(mp, img.free);
      mp.refcount.clear();
      for (const [b, n] of img.refcount) mp.refcount.set(b, n);
      rebuildRmap(mp);

      if (tracing) emitRecoveryDeltas(mp, oldInodes!, oldNames!, oldFree!, oldRefcount!);

      // xfs_reflink_recover_cow: used blocks that no file and no metadata owns were CoW staging.
      const orphans = unownedUsedBlocks(mp);
      for (const r of orphans) {
        const rr = r;
        kcall(
          mp,
          'xfs_reflink_recover_cow',
          () => ({ start: rr.start, len: rr.len }),
          () => `Blocks ${rr.start}..${rr.start + rr.len - 1} were CoW staging blocks when the system crashed: free them.`,
          () => freeRecovered(mp, rr),
        );
      }
      // xlog_recover_process_iunlinks: unlinked inodes lose their last (pre-crash) reference.
      for (const ip of [...mp.inodes.values()]) if (ip.nlink === 0) xfs_inactive(mp, ip);
    },
  );
  xfs_log_force(mp, 'log recovery finished');
}

function freeRecovered(mp: XfsMount, r: BlockRange): void {
  // Not busy: nothing durable points at these blocks.
  runInsert(mp.free, r.start, r.len);
  runInsert(mp.avail, r.start, r.len);
  mp.freeBlocks += r.len;
  mp.availBlocks += r.len;
  if (mp.tracer.on) mp.tracer.emit({ t: 'blk', action: 'free', start: r.start, len: r.len }, `Free orphaned CoW staging blocks ${r.start}..${r.start + r.len - 1}.`);
}

/** Rebuilds the reverse map from the data forks and the metadata area. */
export function rebuildRmap(mp: XfsMount): void {
  mp.rmap.clear();
  let b = 0;
  for (const m of XFS_META_LAYOUT) {
    xfs_rmap_map(mp, b, m.len, { kind: 'meta', what: m.what });
    b += m.len;
  }
  for (const ip of mp.inodes.values()) for (const e of ip.dataFork) xfs_rmap_map(mp, e.block, e.len, { kind: 'data', ino: ip.ino, off: e.off });
}

function unownedUsedBlocks(mp: XfsMount): BlockRange[] {
  const free = freeBitmap(mp.nrBlocks, mp.free);
  const out: BlockRange[] = [];
  for (let b = 0; b < mp.nrBlocks; b++) {
    if (free[b] || mp.rmap.has(b)) continue;
    const last = out[out.length - 1];
    if (last && last.start + last.len === b) last.len++;
    else out.push({ start: b, len: 1 });
  }
  return out;
}

function freeBitmap(n: number, free: readonly BlockRange[]): Uint8Array {
  const m = new Uint8Array(n);
  for (const r of free) m.fill(1, r.start, r.start + r.len);
  return m;
}

function emitRecoveryDeltas(
  mp: XfsMount,
  oldInodes: Map<number, XfsInode>,
  oldNames: Map<string, number>,
  oldFree: Uint8Array,
  oldRefcount: Map<number, number>,
): void {
  const tr = mp.tracer;
  for (const [name, ino] of oldNames)
    if (mp.names.get(name) !== ino) tr.emit({ t: 'inode', ino, field: 'name', old: name, new: null }, `"${name}" -> inode ${ino} was never committed to the log: it is gone.`);
  const inos = new Set([...oldInodes.keys(), ...mp.inodes.keys()]);
  for (const ino of [...inos].sort((a, b) => a - b)) {
    const o = oldInodes.get(ino);
    const n = mp.inodes.get(ino);
    if (o && !n) {
      if (o.cowFork.length) tr.emit({ t: 'inode', ino, field: 'cowFork', old: extentsJson(o.cowFork), new: [] }, `Inode ${ino}'s in-core CoW fork is lost with the crash.`);
      if (o.dataFork.length) tr.emit({ t: 'extents', ino, old: o.dataFork, new: [] }, `Inode ${ino}'s extents were never committed.`);
      tr.emit({ t: 'inode', ino, field: 'state', old: 'allocated', new: null }, `Inode ${ino} was created after the last log force: recovery does not know it.`);
      continue;
    }
    if (!o && n) {
      tr.emit({ t: 'inode', ino, field: 'state', old: null, new: 'allocated' }, `Inode ${ino} comes back from the log (it had been freed after the last log force).`);
      if (n.dataFork.length) tr.emit({ t: 'extents', ino, old: [], new: copyExtents(n.dataFork) }, `Inode ${ino}'s committed extents come back.`);
      tr.emit({ t: 'inode', ino, field: 'size', old: 0, new: n.size }, `Inode ${ino}'s committed size is ${n.size}.`);
      tr.emit({ t: 'inode', ino, field: 'nlink', old: 0, new: n.nlink }, `Inode ${ino}'s committed link count is ${n.nlink}.`);
      continue;
    }
    if (!o || !n) continue;
    if (o.cowFork.length) tr.emit({ t: 'inode', ino, field: 'cowFork', old: extentsJson(o.cowFork), new: [] }, `Inode ${ino}'s in-core CoW fork is lost with the crash.`);
    if (JSON.stringify(o.dataFork) !== JSON.stringify(n.dataFork))
      tr.emit({ t: 'extents', ino, old: o.dataFork, new: copyExtents(n.dataFork) }, `Inode ${ino}'s extents return to their last committed state.`);
    if (o.size !== n.size) tr.emit({ t: 'inode', ino, field: 'size', old: o.size, new: n.size }, `Inode ${ino}'s size returns to its committed value.`);
    if (o.nlink !== n.nlink) tr.emit({ t: 'inode', ino, field: 'nlink', old: o.nlink, new: n.nlink }, `Inode ${ino}'s link count returns to its committed value.`);
    if (o.reflink !== n.reflink) tr.emit({ t: 'inode', ino, field: 'reflink', old: o.reflink, new: n.reflink }, `Inode ${ino}'s reflink flag returns to its committed value.`);
    if (o.iCount) tr.emit({ t: 'inode', ino, field: 'iCount', old: o.iCount, new: 0 }, `The processes that held inode ${ino} died with the crash.`);
    if (o.fsyncDirty) tr.emit({ t: 'inode', ino, field: 'fsyncDirty', old: true, new: false }, `Inode ${ino} is clean: it matches the log.`);
  }
  for (const [name, ino] of mp.names)
    if (oldNames.get(name) !== ino) tr.emit({ t: 'inode', ino, field: 'name', old: null, new: name }, `"${name}" -> inode ${ino} comes back from the log.`);
  // Free space: blocks whose free/used state differs.
  const nowFree = freeBitmap(mp.nrBlocks, mp.free);
  let b = 0;
  while (b < mp.nrBlocks) {
    if (oldFree[b] === nowFree[b]) {
      b++;
      continue;
    }
    const s = b;
    const v = nowFree[b];
    while (b < mp.nrBlocks && oldFree[b] !== nowFree[b] && nowFree[b] === v) b++;
    tr.emit(
      { t: 'blk', action: v ? 'free' : 'alloc', start: s, len: b - s },
      v ? `Blocks ${s}..${b - 1} were allocated after the last log force: free again.` : `Blocks ${s}..${b - 1} had been freed after the last log force: in use again.`,
    );
  }
  const keys = new Set([...oldRefcount.keys(), ...mp.refcount.keys()]);
  for (const k of [...keys].sort((a, c) => a - c)) {
    const o = oldRefcount.get(k) ?? 1;
    const n = mp.refcount.get(k) ?? 1;
    if (o !== n) tr.emit({ t: 'refcount', block: k, len: 1, old: o, new: n }, `Block ${k}'s refcount returns to its committed value.`);
  }
}
