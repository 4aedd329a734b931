/**
 * Invariant checker of the XFS model: returns every broken rule as a Violation.
 *
 * Conventions in this file:
 *   reference - one data-fork block mapping (inode, file block) -> device block.
 *   used      - a block that is not free: metadata, a data-fork reference, or CoW staging.
 *
 * Rules (rule ids in quotes):
 *   "fs.extents-order"      a fork's extents are sorted, non-overlapping, non-empty, in range
 *   "fs.extents-merge"      no two neighbours in a fork could be one extent
 *   "fs.free-and-referenced" no block is both free and referenced (data, CoW or metadata)
 *   "fs.free-list"          free/avail/busy runs are sorted, merged, in range; avail+busy = free
 *   "fs.refcount"           every block's refcount equals its number of data-fork references
 *                           (blocks referenced once have no record)
 *   "fs.shared-state"       shared blocks are written
 *   "fs.rmap"               the reverse map equals the set of references exactly
 *   "fs.cow"                CoW-fork blocks are referenced by no data fork and by one CoW fork
 *   "fs.leak"               every used block has an owner
 *   "fs.space"              free + used = capacity
 *   "fs.size"               sizes are non-negative integers; nlink is 0 or 1; names resolve
 *                           to linked inodes; unlinked inodes are still referenced
 *
 * What this model leaves out: nothing is checked about device contents (tests read back data).
 */

import type { Violation } from './violation';
import type { XfsExtent, XfsMount } from '../fs/xfs/xfs_mount';
import { XFS_MAX_FILE_SIZE, XFS_META_LAYOUT } from '../fs/xfs/xfs_mount';

function v(rule: string, where: string, message: string): Violation {
  return { rule, where, message };
}

function checkFork(out: Violation[], mp: XfsMount, ino: number, fork: string, list: readonly XfsExtent[]): void {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    const where = `inode ${ino} ${fork}[${i}]`;
    if (!(e.len > 0) || e.off < 0 || e.block < 0 || e.block + e.len > mp.nrBlocks)
      out.push(v('fs.extents-order', where, `extent ${JSON.stringify(e)} is empty or out of range.`));
    if (i > 0) {
      const p = list[i - 1];
      if (p.off + p.len > e.off) out.push(v('fs.extents-order', where, `extent at file block ${e.off} overlaps or precedes the previous one.`));
      else if (p.off + p.len === e.off && p.block + p.len === e.block && p.state === e.state)
        out.push(v('fs.extents-merge', where, `extent at file block ${e.off} should have been merged with the previous one.`));
    }
  }
}

function checkRuns(out: Violation[], mp: XfsMount, name: string, list: readonly { start: number; len: number }[], mark: Uint8Array | null): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (!(r.len > 0) || r.start < 0 || r.start + r.len > mp.nrBlocks) out.push(v('fs.free-list', `${name}[${i}]`, `run ${JSON.stringify(r)} is empty or out of range.`));
    if (i > 0 && list[i - 1].start + list[i - 1].len >= r.start) out.push(v('fs.free-list', `${name}[${i}]`, `run at ${r.start} is unsorted, overlapping or unmerged.`));
    if (mark) for (let b = Math.max(0, r.start); b < Math.min(mp.nrBlocks, r.start + r.len); b++) mark[b]++;
    n += r.len;
  }
  return n;
}

/** Checks every invariant of the filesystem model; an empty list means all hold. */
export function checkFilesystem(mp: XfsMount): Violation[] {
  const out: Violation[] = [];
  const N = mp.nrBlocks;
  const free = new Uint8Array(N);
  const freeCount = checkRuns(out, mp, 'free', mp.free, free);
  const availMark = new Uint8Array(N);
  const availCount = checkRuns(out, mp, 'avail', mp.avail, availMark);
  const busyCount = checkRuns(out, mp, 'busy', mp.busy, availMark);
  if (freeCount !== mp.freeBlocks) out.push(v('fs.free-list', 'free', `freeBlocks says ${mp.freeBlocks} but the runs hold ${freeCount}.`));
  if (availCount !== mp.availBlocks) out.push(v('fs.free-list', 'avail', `availBlocks says ${mp.availBlocks} but the runs hold ${availCount}.`));
  for (let b = 0; b < N; b++)
    if (availMark[b] !== free[b]) {
      out.push(v('fs.free-list', `block ${b}`, `block ${b} is ${free[b] ? 'free' : 'used'} but avail+busy count it ${availMark[b]} times.`));
      break;
    }
  if (availCount + busyCount !== freeCount) out.push(v('fs.free-list', 'busy', 'avail + busy does not equal free.'));

  // References.
  const dataRefs = new Map<number, { ino: number; off: number }[]>();
  const cowRefs = new Map<number, number>();
  const written = new Uint8Array(N);
  for (const ip of mp.inodes.values()) {
    checkFork(out, mp, ip.ino, 'data', ip.dataFork);
    checkFork(out, mp, ip.ino, 'cow', ip.cowFork);
    for (const e of ip.dataFork)
      for (let i = 0; i < e.len; i++) {
        const b = e.block + i;
        const l = dataRefs.get(b);
        if (l) l.push({ ino: ip.ino, off: e.off + i });
        else dataRefs.set(b, [{ ino: ip.ino, off: e.off + i }]);
        if (e.state === 'written') written[b] = 1;
        else if (l) out.push(v('fs.shared-state', `block ${b}`, `block ${b} is shared but mapped unwritten by inode ${ip.ino}.`));
      }
    for (const e of ip.cowFork) for (let i = 0; i < e.len; i++) cowRefs.set(e.block + i, (cowRefs.get(e.block + i) ?? 0) + 1);
    if (!Number.isInteger(ip.size) || ip.size < 0 || ip.size > XFS_MAX_FILE_SIZE) out.push(v('fs.size', `inode ${ip.ino}`, `size ${ip.size} is not sane.`));
    if (ip.nlink !== 0 && ip.nlink !== 1) out.push(v('fs.size', `inode ${ip.ino}`, `nlink ${ip.nlink} is not 0 or 1.`));
    if (ip.nlink === 0 && ip.iCount === 0) out.push(v('fs.size', `inode ${ip.ino}`, 'an unlinked inode without references should have been freed.'));
    if (ip.iCount < 0) out.push(v('fs.size', `inode ${ip.ino}`, `negative i_count ${ip.iCount}.`));
  }
  const linked = new Set<number>();
  for (const [name, ino] of mp.names) {
    const ip = mp.inodes.get(ino);
    if (!ip || ip.nlink !== 1) out.push(v('fs.size', `name "${name}"`, `"${name}" points at inode ${ino}, which is not a linked inode.`));
    if (linked.has(ino)) out.push(v('fs.size', `name "${name}"`, `inode ${ino} has two names but nlink is at most 1.`));
    linked.add(ino);
  }
  for (const ip of mp.inodes.values())
    if (ip.nlink === 1 && !linked.has(ip.ino)) out.push(v('fs.size', `inode ${ip.ino}`, `inode ${ip.ino} has nlink 1 but no name.`));

  const meta = new Map<number, string>();
  let mb = 0;
  for (const m of XFS_META_LAYOUT) for (let i = 0; i < m.len; i++) meta.set(mb++, m.what);

  let used = 0;
  for (let b = 0; b < N; b++) {
    const refs = dataRefs.get(b);
    const nData = refs ? refs.length : 0;
    const nCow = cowRefs.get(b) ?? 0;
    const isMeta = meta.has(b);
    const referenced = nData > 0 || nCow > 0 || isMeta;
    if (free[b] && referenced) out.push(v('fs.free-and-referenced', `block ${b}`, `block ${b} is free but referenced (${nData} data, ${nCow} CoW${isMeta ? ', metadata' : ''}).`));
    if (!free[b]) {
      used++;
      if (!referenced) out.push(v('fs.leak', `block ${b}`, `block ${b} is in use but nothing owns it.`));
    }
    const rc = mp.refcount.get(b);
    if (rc !== undefined && rc < 2) out.push(v('fs.refcount', `block ${b}`, `block ${b} has a refcount record of ${rc}; records exist only for shared blocks.`));
    const expect = nData >= 2 ? nData : undefined;
    if (rc !== expect) out.push(v('fs.refcount', `block ${b}`, `block ${b} has ${nData} data reference(s) but refcount ${rc ?? (nData ? 1 : 0)}.`));
    if (nCow > 1 || (nCow === 1 && (nData > 0 || isMeta))) out.push(v('fs.cow', `block ${b}`, `CoW block ${b} is also referenced elsewhere (${nData} data, ${nCow} CoW).`));
    if (isMeta && nData > 0) out.push(v('fs.free-and-referenced', `block ${b}`, `metadata block ${b} is mapped by a file.`));
    if (nData >= 2 && !written[b]) out.push(v('fs.shared-state', `block ${b}`, `shared block ${b} is not written.`));
    // rmap must equal the reference set.
    const owners = mp.rmap.get(b);
    if (!owners && !refs && nCow === 0 && !isMeta) continue;
    if (!owners) {
      out.push(v('fs.rmap', `block ${b}`, `block ${b} is referenced but has no rmap record.`));
      continue;
    }
    const want: string[] = [];
    if (refs) for (const r of refs) want.push(`data:${r.ino}:${r.off}`);
    for (let i = 0; i < nCow; i++) want.push('cow');
    if (isMeta) want.push(`meta:${meta.get(b)}`);
    const have = owners.map((o) => (o.kind === 'data' ? `data:${o.ino}:${o.off}` : o.kind === 'cow' ? 'cow' : `meta:${o.what}`));
    want.sort();
    have.sort();
    if (want.join(',') !== have.join(',')) out.push(v('fs.rmap', `block ${b}`, `rmap of block ${b} is [${have.join(', ')}] but the forks say [${want.join(', ')}].`));
  }
  for (const b of mp.refcount.keys()) if (b < 0 || b >= N) out.push(v('fs.refcount', `block ${b}`, `refcount record for block ${b} is out of range.`));
  for (const b of mp.rmap.keys()) if (b < 0 || b >= N) out.push(v('fs.rmap', `block ${b}`, `rmap record for block ${b} is out of range.`));
  if (used + freeCount !== N) out.push(v('fs.space', 'fs', `free ${freeCount} + used ${used} != capacity ${N}.`));
  return out;
}
