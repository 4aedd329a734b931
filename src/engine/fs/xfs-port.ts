/**
 * The machine's view of the filesystem: a thin adapter over the XFS model (fs/xfs/) that gives
 * the VFS-level questions the rest of the kernel asks (size, is it DAX, where is this byte on
 * the device, who owns this block) and the iomap ops DAX uses.
 *
 * Conventions in this file:
 *   devOff - a byte offset on the pmem device; the filesystem's block b is at dataStart + 4096 b.
 *   ops    - xfs_read_iomap_ops / xfs_dax_write_iomap_ops as DAX sees them.
 *
 * What this model leaves out: one filesystem per machine, on the whole pmem namespace (the
 * namespace's info block and memmap reservation are reported by memmapCost, not carved out).
 */
import { PAGE_SIZE } from '../constants';
import { isErr, kerr, type KErr } from '../errno';
import type { Json, Tracer } from '../trace/steps';
import type { PmemDevice } from '../drivers/pmem';
import type { PhysMap } from '../mm/physmap';
import type { MachineConfig } from '../ops';
import { Filesystem, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, type XfsExtent } from './xfs';
import { xfs_bmapi_read, HOLESTARTBLOCK } from './xfs/xfs_bmap';
import { setInodeField, xfs_iget } from './xfs/xfs_inode';
import { xfs_zero_range } from './xfs/xfs_file';
import { xfs_reflink_remap_prep } from './xfs/xfs_reflink';
import { runContains } from './xfs/xfs_alloc';
import { checkFilesystem } from '../debug/check-fs';
import type { Violation } from '../debug/violation';
import type { IomapOps } from './dax';

export type RmapHit = { kind: 'data'; ino: number; pgoff: number } | { kind: 'meta'; what: string } | { kind: 'cow' };

export class XfsPort {
  readonly mp: Filesystem;
  readonly readOps: IomapOps;
  readonly writeOps: IomapOps;

  constructor(dev: PmemDevice, tr: Tracer, cfg: MachineConfig, _phys: PhysMap) {
    this.mp = new Filesystem({
      dev,
      dataStart: 0,
      nrBlocks: Math.floor(dev.size / PAGE_SIZE),
      tracer: tr,
      options: { dax: cfg.dax, reflink: cfg.reflink },
      fsid: 1,
    });
    const mp = this.mp;
    this.readOps = {
      name: 'xfs_read_iomap_ops',
      iomap_begin: (ino, pos, len, flags) => mp.readIomapBegin(ino, pos, len, flags),
    };
    this.writeOps = {
      name: 'xfs_dax_write_iomap_ops',
      iomap_begin: (ino, pos, len, flags) => mp.writeIomapBegin(ino, pos, len, flags),
      iomap_end: (ino, pos, len, written, flags, iomap) => {
        const r = mp.writeIomapEnd(ino, pos, len, written, flags, iomap);
        return isErr(r) ? r : undefined;
      },
    };
  }

  lookup(name: string): number | KErr {
    return this.mp.lookup(name);
  }
  create(name: string): number | KErr {
    return this.mp.create(name);
  }
  unlink(name: string): 0 | KErr {
    return this.mp.unlink(name);
  }
  iget(ino: number): void {
    this.mp.iget(ino);
  }
  iput(ino: number): void {
    this.mp.iput(ino);
  }
  isDax(ino: number): boolean {
    return this.mp.inodes.get(ino)?.dax ?? false;
  }
  size(ino: number): number {
    return this.mp.inodes.get(ino)?.size ?? 0;
  }
  setSize(ino: number, size: number, why: string): void {
    const ip = xfs_iget(this.mp, ino);
    if (!isErr(ip)) setInodeField(this.mp, ip, 'size', size, why);
  }
  isUnlinkedOrMissing(ino: number): boolean {
    const ip = this.mp.inodes.get(ino);
    return !ip || ip.nlink === 0;
  }
  /** Is the next iput the last reference of an unlinked inode (the one that evicts it)? */
  isLastRef(ino: number): boolean {
    const ip = this.mp.inodes.get(ino);
    return !!ip && ip.iCount === 1 && ip.nlink === 0;
  }

  /** The inode has been freed (unlinked and no references left). */
  isGone(ino: number): boolean {
    return !this.mp.inodes.has(ino);
  }
  nameOf(ino: number): string | null {
    for (const [n, i] of this.mp.names) if (i === ino) return n;
    return null;
  }
  allInodes(): number[] {
    return [...this.mp.inodes.keys()].sort((a, b) => a - b);
  }
  extentsOf(ino: number): XfsExtent[] {
    return (this.mp.inodes.get(ino)?.dataFork ?? []).map((e) => ({ ...e }));
  }

  cowExtentsOf(ino: number): XfsExtent[] {
    return (this.mp.inodes.get(ino)?.cowFork ?? []).map((e) => ({ ...e }));
  }
  isReflinked(ino: number): boolean {
    return this.mp.inodes.get(ino)?.reflink ?? false;
  }

  /** Device byte offset of file byte `pos`, or null for a hole. */
  devOffsetOf(ino: number, pos: number): number | null {
    const ip = this.mp.inodes.get(ino);
    if (!ip) return null;
    const b = Math.floor(pos / PAGE_SIZE);
    const r = xfs_bmapi_read(ip.dataFork, b, 1);
    if (r.block === HOLESTARTBLOCK) return null;
    return this.mp.blockAddr(r.block) + (pos % PAGE_SIZE);
  }
  isUnwrittenAt(ino: number, pos: number): boolean {
    const ip = this.mp.inodes.get(ino);
    if (!ip) return false;
    const r = xfs_bmapi_read(ip.dataFork, Math.floor(pos / PAGE_SIZE), 1);
    return r.block !== HOLESTARTBLOCK && r.state === 'unwritten';
  }
  isFreeDevOffset(devOff: number): boolean {
    const b = Math.floor((devOff - this.mp.dataStart) / PAGE_SIZE);
    return runContains(this.mp.free, b, 1);
  }

  /** xfs_file_write_checks: zero the gap between the old EOF and a write that starts past it. */
  writeChecks(ino: number, pos: number, len: number): 0 | KErr {
    const ip = xfs_iget(this.mp, ino);
    if (isErr(ip)) return ip;
    if (this.mp.shutdown) return kerr('EIO', 'the filesystem has shut down');
    if (!Number.isSafeInteger(pos) || pos < 0) return kerr('EINVAL', 'the position must be a non-negative integer');
    if (len === 0) return 0;
    if (pos > ip.size) xfs_zero_range(this.mp, ip, ip.size, pos - ip.size);
    return 0;
  }

  truncate(ino: number, size: number): 0 | KErr {
    return this.mp.truncate(ino, size);
  }

  fallocate(ino: number, off: number, len: number, mode: 'punch' | 'keep' | 'alloc'): 0 | KErr {
    const m = mode === 'punch' ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : mode === 'keep' ? FALLOC_FL_KEEP_SIZE : 0;
    return this.mp.fallocate(ino, m, off, len);
  }

  /** The VFS and XFS checks of a clone, without changing anything; resolves len 0 (to EOF). */
  remapPrepCheck(src: number, srcOff: number, dst: number, dstOff: number, len: number, _whole: boolean): { srcOffset: number; dstOffset: number; length: number } | KErr {
    const p = xfs_reflink_remap_prep({ mp: this.mp, ino: src }, srcOff, { mp: this.mp, ino: dst }, dstOff, len);
    if (isErr(p)) return p;
    return { srcOffset: srcOff, dstOffset: dstOff, length: p.len };
  }

  clone(src: number, srcOff: number, dst: number, dstOff: number, len: number, whole: boolean): 0 | KErr {
    return whole ? this.mp.clone(src, dst) : this.mp.cloneRange(src, srcOff, len, dst, dstOff);
  }

  /** fsync's metadata half: force the log if this inode has un-logged changes. */
  logForce(ino: number): void {
    this.mp.fsync(ino);
  }

  crashRecover(): void {
    this.mp.crashRecover();
  }

  shutdown(): void {
    this.mp.shutdown = true;
  }

  /** Owners of the block at a device offset, from the reverse map. */
  rmapQuery(devOff: number): RmapHit[] {
    const b = Math.floor((devOff - this.mp.dataStart) / PAGE_SIZE);
    return this.mp.rmapQuery(b, 1).map((r) =>
      r.owner.kind === 'data' ? { kind: 'data', ino: r.owner.ino, pgoff: r.owner.off + (b - r.start) } : r.owner.kind === 'meta' ? { kind: 'meta', what: r.owner.what } : { kind: 'cow' },
    );
  }

  check(): Violation[] {
    return checkFilesystem(this.mp);
  }

  summary(): Json {
    const mp = this.mp;
    return {
      blocks: mp.nrBlocks,
      freeBlocks: mp.freeBlocks,
      refcount: [...mp.refcount.entries()].sort((a, b) => a[0] - b[0]) as Json,
      shutdown: mp.shutdown,
      logForces: mp.log.forceCount,
    };
  }
}
