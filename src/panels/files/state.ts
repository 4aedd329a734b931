/**
 * The filesystem as the Files panel shows it at one cursor: files (name, inode, size, dax,
 * extents, copy-on-write fork) and the shared-extent reference counts. Built from a machine
 * keyframe and moved step by step with the trace's deltas: forwards puts `new`, backwards puts
 * `old` back (docs/trace-format.md, "The delta rule").
 *
 * Conventions in this file:
 *   ino      - inode number, the file's identity (join key for everything about a file).
 *   off      - file offset in 4 KiB blocks; `block` a filesystem block on the pmem device.
 *   refcount - the filesystem's reference count of a block; only counts of 2 and more are kept,
 *              as the refcount btree does (a block without a record has one owner).
 */
import type { ExtentRef, Json, Step } from '../../engine/trace/steps';
import type { MachineDump } from '../highlight/dump';

export interface FileView {
  ino: number;
  name: string;
  size: number;
  dax: boolean;
  extents: ExtentRef[];
  cowFork: ExtentRef[];
  nrpages: number;
  /** the inode carries the reflink flag (its blocks may be shared) */
  reflink: boolean;
}

export interface FilesState {
  files: Map<number, FileView>;
  /** block -> reference count, for counts >= 2 */
  refcount: Map<number, number>;
  /** whether new inodes are DAX (mount option), used for inodes created between keyframes */
  daxDefault: boolean;
}

export function filesFromDump(d: MachineDump): FilesState {
  const files = new Map<number, FileView>();
  for (const f of d.files) {
    files.set(f.ino, {
      ino: f.ino,
      name: f.name,
      size: f.size,
      dax: f.dax,
      extents: f.extents.map((e) => ({ ...e })),
      cowFork: (f.cowFork ?? []).map((e) => ({ ...e })),
      nrpages: f.nrpages,
      reflink: d.filesystem.refcount.length > 0 && f.extents.some((e) => sharedIn(d.filesystem.refcount, e)),
    });
  }
  return { files, refcount: new Map(d.filesystem.refcount.map(([b, n]) => [b, n])), daxDefault: d.config.dax !== 'never' };
}

function sharedIn(rc: [number, number][], e: ExtentRef): boolean {
  return rc.some(([b]) => b >= e.block && b < e.block + e.len);
}

export function emptyFiles(daxDefault = true): FilesState {
  return { files: new Map(), refcount: new Map(), daxDefault };
}

export function cloneFiles(s: FilesState): FilesState {
  const files = new Map<number, FileView>();
  for (const [k, f] of s.files) files.set(k, { ...f, extents: f.extents.slice(), cowFork: f.cowFork.slice() });
  return { files, refcount: new Map(s.refcount), daxDefault: s.daxDefault };
}

function fileOf(s: FilesState, ino: number): FileView {
  let f = s.files.get(ino);
  if (!f) {
    f = { ino, name: `#${ino}`, size: 0, dax: s.daxDefault, extents: [], cowFork: [], nrpages: 0, reflink: false };
    s.files.set(ino, f);
  }
  return f;
}

function setField(s: FilesState, ino: number, field: string, v: Json): void {
  if (field === 'state') {
    if (v === null) s.files.delete(ino);
    else fileOf(s, ino);
    return;
  }
  const f = s.files.get(ino);
  if (!f && field !== 'name') return;
  const file = f ?? fileOf(s, ino);
  switch (field) {
    case 'name':
      file.name = typeof v === 'string' ? v : `#${ino}`;
      break;
    case 'size':
      if (typeof v === 'number') file.size = v;
      break;
    case 'nrpages':
      if (typeof v === 'number') file.nrpages = v;
      break;
    case 'reflink':
      file.reflink = v === true;
      break;
    case 'cowFork':
      file.cowFork = Array.isArray(v) ? (v as unknown as ExtentRef[]).map((e) => ({ ...e })) : [];
      break;
    case 'dax':
      file.dax = v === true;
      break;
  }
}

function setRefcount(s: FilesState, block: number, len: number, n: number): void {
  for (let b = block; b < block + len; b++) {
    if (n >= 2) s.refcount.set(b, n);
    else s.refcount.delete(b);
  }
}

/** Apply one step to `s` (in place): forwards when dir is 1, undo when dir is -1. */
export function applyFileStep(s: FilesState, step: Step, dir: 1 | -1): void {
  switch (step.t) {
    case 'extents':
      fileOf(s, step.ino).extents = (dir === 1 ? step.new : step.old).map((e) => ({ ...e }));
      return;
    case 'inode':
      setField(s, step.ino, step.field, dir === 1 ? step.new : step.old);
      return;
    case 'refcount':
      setRefcount(s, step.block, step.len, dir === 1 ? step.new : step.old);
      return;
    default:
      return;
  }
}

/** The reference count of `block` (1 when it has no record: one owner, or free). */
export function refcountOf(s: FilesState, block: number): number {
  return s.refcount.get(block) ?? 1;
}

/** Files sorted by inode number, for a stable order. */
export function sortedFiles(s: FilesState): FileView[] {
  return [...s.files.values()].sort((a, b) => a.ino - b.ino);
}

/** Which file (and file block) owns device block `block`; several when the block is shared. */
export function ownersOfBlock(s: FilesState, block: number): { ino: number; off: number }[] {
  const out: { ino: number; off: number }[] = [];
  for (const f of sortedFiles(s)) {
    for (const e of f.extents) if (block >= e.block && block < e.block + e.len) out.push({ ino: f.ino, off: e.off + (block - e.block) });
  }
  return out;
}

/** The device block behind file block `off` of `ino`, or null for a hole. */
export function blockAt(s: FilesState, ino: number, off: number): number | null {
  const f = s.files.get(ino);
  if (!f) return null;
  for (const e of f.extents) if (off >= e.off && off < e.off + e.len) return e.block + (off - e.off);
  return null;
}
