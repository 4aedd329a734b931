/**
 * Geometry of the Files panel's extent bars: one bar per file along the file offset, one rect per
 * extent (and per copy-on-write staging extent, in a thin lane below), split where the shared
 * reference count changes so each piece says how many files share it. Pure; no DOM.
 *
 * Conventions in this file:
 *   key    - "ino:off" (file block where the piece starts): the join key of a piece.
 *   scale  - x = off * width / span, span = max(file size in blocks, end of the last extent, 1).
 *   remap  - the current step replaced the device blocks behind some file blocks (copy-on-write or
 *            reflink): { off, len, from, to } per changed run, to animate old → new.
 */
import type { ExtentRef, Step } from '../../engine/trace/steps';
import { refcountOf, type FileView, type FilesState } from './state';

export const BAR_H = 22;
export const COW_H = 7;
export const BAR_GAP = 3;

export interface PieceLayout {
  key: string;
  ino: number;
  /** first file block of the extent this piece belongs to (selection target) */
  extentOff: number;
  off: number;
  len: number;
  block: number;
  state: 'written' | 'unwritten';
  refcount: number;
  x: number;
  w: number;
  label: string;
  title: string;
}

export interface FileBarLayout {
  ino: number;
  width: number;
  height: number;
  /** file blocks covered by the scale */
  span: number;
  pieces: PieceLayout[];
  cow: PieceLayout[];
  /** where i_size ends, in px */
  eofX: number;
}

function range(a: number, len: number): string {
  return len === 1 ? `${a}` : `${a}..${a + len - 1}`;
}

/** Split an extent where the reference count of its blocks changes. */
function pieces(f: FileView, e: ExtentRef, rc: FilesState | null): { off: number; block: number; len: number; refcount: number }[] {
  const out: { off: number; block: number; len: number; refcount: number }[] = [];
  for (let i = 0; i < e.len; i++) {
    const n = rc ? refcountOf(rc, e.block + i) : 1;
    const last = out[out.length - 1];
    if (last && last.refcount === n) last.len++;
    else out.push({ off: e.off + i, block: e.block + i, len: 1, refcount: n });
  }
  return out;
}

export function layoutFileBar(f: FileView, s: FilesState, width: number): FileBarLayout {
  const sizeBlocks = Math.ceil(f.size / 4096);
  const ends = [...f.extents, ...f.cowFork].map((e) => e.off + e.len);
  const span = Math.max(1, sizeBlocks, ...ends);
  const px = (off: number) => (off * width) / span;
  const mk = (e: ExtentRef, p: { off: number; block: number; len: number; refcount: number }, cow: boolean): PieceLayout => {
    const x = px(p.off);
    const w = Math.max(2, px(p.off + p.len) - x);
    const shared = p.refcount >= 2 ? `, shared: refcount ${p.refcount}` : '';
    const label = `${range(p.block, p.len)}${p.refcount >= 2 ? ` ×${p.refcount}` : ''}`;
    return {
      key: `${cow ? 'cow:' : ''}${f.ino}:${p.off}`,
      ino: f.ino,
      extentOff: e.off,
      off: p.off,
      len: p.len,
      block: p.block,
      state: e.state,
      refcount: p.refcount,
      x,
      w,
      label,
      title: `${cow ? 'copy-on-write staging: ' : ''}file blocks ${range(p.off, p.len)} → device blocks ${range(p.block, p.len)} (${e.state}${shared})`,
    };
  };
  const main = f.extents.flatMap((e) => pieces(f, e, s).map((p) => mk(e, p, false)));
  const cow = f.cowFork.flatMap((e) => pieces(f, e, null).map((p) => mk(e, p, true)));
  return { ino: f.ino, width, height: BAR_H + (cow.length ? BAR_GAP + COW_H : 0), span, pieces: main, cow, eofX: px(sizeBlocks) };
}

export interface Remap {
  ino: number;
  off: number;
  len: number;
  /** device block before (null: it was a hole) */
  from: number | null;
  to: number;
}

/** What the extents step `step` remapped: file blocks whose device block changed (holes filled included). */
export function remapsOf(step: Step | undefined): Remap[] {
  if (!step || step.t !== 'extents') return [];
  return remapsBetween(step.ino, step.old, step.new);
}

/**
 * File blocks of `ino` whose device block differs between two extent lists. The panel compares
 * the list at the start of the operation with the one at the cursor, so a copy-on-write that
 * first unmaps the shared block and then maps the copy shows as one remap, old block → new block.
 */
export function remapsBetween(ino: number, old: readonly ExtentRef[], now: readonly ExtentRef[]): Remap[] {
  const before = (off: number): number | null => {
    for (const e of old) if (off >= e.off && off < e.off + e.len) return e.block + (off - e.off);
    return null;
  };
  const out: Remap[] = [];
  for (const e of now) {
    for (let i = 0; i < e.len; i++) {
      const off = e.off + i;
      const from = before(off);
      const to = e.block + i;
      if (from === to) continue;
      const last = out[out.length - 1];
      if (last && last.off + last.len === off && last.to + last.len === to && (last.from === null ? from === null : from === last.from + last.len)) last.len++;
      else out.push({ ino, off, len: 1, from, to });
    }
  }
  return out;
}
