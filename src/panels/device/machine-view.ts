/**
 * The machine as it was at any cursor position, rebuilt on the page from the worker's keyframes
 * (dumpMachine without page bytes, one per op boundary) plus the steps after the nearest one. The
 * device and struct page panels read it; nothing here talks to the engine.
 *
 * Conventions in this file:
 *   page     - a pmem device page, numbered from 0; its pfn is pmemStartPfn + page, and the
 *              filesystem's block b is device page b (4 KiB blocks).
 *   pfn      - a physical page frame number: DRAM pfns start at 0, pmem pfns at pmemStartPfn.
 *   record   - a struct page as dumpPage() prints it: field name → value (flags, _refcount,
 *              mapcount, mapping, index or share, order, compound_head, entire/large_mapcount).
 *   leaf     - a present page-table entry (PTE, or a PMD mapping 512 pages), keyed "pid:vaddr".
 *
 * What this leaves out: page bytes (the panels read them from the shared buffers, which hold the
 * end of the run). A `media` step does not say whether it stored data or zeros except in its text;
 * zeroing is recognised by that text ("non-temporal zeroing") and does not mark a page written.
 */
import type { ExtentRef, Json, PteRef, Step } from '../../engine/trace/steps';

export type PageRecord = { [field: string]: Json };

export interface LeafView {
  pid: number;
  addr: number;
  level: 'pte' | 'pmd';
  pfn: number;
  write: boolean;
  dirty: boolean;
  special: boolean;
  anon: boolean;
}

export interface FileView {
  ino: number;
  name: string;
  extents: ExtentRef[];
}

export interface MachineState {
  structPages: Map<number, PageRecord>;
  /** free device blocks, sorted runs */
  free: { start: number; len: number }[];
  /** blocks with more than one owner: block → share count */
  refcount: Map<number, number>;
  /** device page → indices (0..63) of its dirty cache lines */
  dirty: Map<number, Set<number>>;
  /** device pages with durable content */
  media: Set<number>;
  poisoned: Set<number>;
  /** DRAM allocations by first pfn */
  dram: Map<number, { order: number; use: string }>;
  leaves: Map<string, LeafView>;
  procNames: Map<number, string>;
  files: Map<number, FileView>;
  pins: { label: string; proc: string; pfns: number[] }[];
  pending: { proc: string; op: string; state: string; on: string | null }[];
}

/** Numbers in dumps are sometimes "0x…" strings. */
function num(j: Json | undefined): number {
  if (typeof j === 'number') return j;
  if (typeof j === 'string') return Number(j);
  return NaN;
}

type Obj = { [k: string]: Json };

/** A machine with nothing in it: the start every keyframe fills in. */
export function emptyMachineState(): MachineState {
  return {
    structPages: new Map(),
    free: [],
    refcount: new Map(),
    dirty: new Map(),
    media: new Set(),
    poisoned: new Set(),
    dram: new Map(),
    leaves: new Map(),
    procNames: new Map(),
    files: new Map(),
    pins: [],
    pending: [],
  };
}

/** A MachineState from one keyframe (dumpMachine(m, {bytes: false, iPages: false, freeSpace: true})). */
export function stateOfKeyframe(kf: Json, pmemStartPfn: number): MachineState {
  const k = kf as Obj;
  const st = emptyMachineState();
  for (const p of (k.structPages as Obj[]) ?? []) {
    const { pfnHex: _h, range: _r, zone: _z, pgmap: _g, ...rec } = p;
    st.structPages.set(num(p.pfn), rec);
  }
  for (const r of (k.freeSpace as Obj[]) ?? []) st.free.push({ start: num(r.start), len: num(r.len) });
  const fsys = k.filesystem as Obj | undefined;
  for (const pair of (fsys?.refcount as Json[][]) ?? []) if (num(pair[1]) > 1) st.refcount.set(num(pair[0]), num(pair[1]));
  for (const d of (k.device as Obj[]) ?? []) {
    const page = num(d.page);
    if (d.hasMedia) st.media.add(page);
    const lines = (d.cached as Json[]) ?? [];
    if (lines.length) st.dirty.set(page, new Set(lines.map((a) => ((num(a) % 4096) / 64) | 0)));
    if (d.poisoned) st.poisoned.add(page);
  }
  for (const p of (k.poisonedPages as Json[]) ?? []) st.poisoned.add(num(p));
  for (const a of (k.dram as Obj[]) ?? []) st.dram.set(num(a.pfn), { order: num(a.order), use: String(a.use) });
  for (const proc of (k.processes as Obj[]) ?? []) {
    const pid = num(proc.pid);
    st.procNames.set(pid, String(proc.name));
    for (const l of (proc.pagetable as Obj[]) ?? []) {
      const flags = String(l.flags);
      if (flags[0] !== 'p') continue;
      const leaf: LeafView = {
        pid,
        addr: num(l.addr),
        level: l.level === 'pmd' ? 'pmd' : 'pte',
        pfn: num(l.pfn),
        write: flags[1] === 'w',
        dirty: flags[2] === 'd',
        special: flags[4] === 's',
        anon: flags[5] === 'a',
      };
      st.leaves.set(`${pid}:${leaf.addr}`, leaf);
    }
  }
  for (const f of (k.files as Obj[]) ?? []) {
    const ino = num(f.ino);
    st.files.set(ino, { ino, name: String(f.name), extents: (f.extents as unknown as ExtentRef[]) ?? [] });
  }
  for (const p of (k.pins as Obj[]) ?? []) st.pins.push({ label: String(p.label), proc: String(p.proc), pfns: ((p.pfns as Json[]) ?? []).map(num) });
  for (const t of (k.pending as Obj[]) ?? []) st.pending.push({ proc: String(t.proc), op: String(t.op), state: String(t.state), on: t.on === null ? null : String(t.on) });
  void pmemStartPfn;
  return st;
}

function removeRun(free: { start: number; len: number }[], start: number, len: number): void {
  const end = start + len;
  const out: { start: number; len: number }[] = [];
  for (const r of free) {
    const re = r.start + r.len;
    if (re <= start || r.start >= end) out.push(r);
    else {
      if (r.start < start) out.push({ start: r.start, len: start - r.start });
      if (re > end) out.push({ start: end, len: re - end });
    }
  }
  free.splice(0, free.length, ...out);
}

function addRun(free: { start: number; len: number }[], start: number, len: number): void {
  removeRun(free, start, len);
  free.push({ start, len });
  free.sort((a, b) => a.start - b.start);
  const merged: { start: number; len: number }[] = [];
  for (const r of free) {
    const last = merged[merged.length - 1];
    if (last && last.start + last.len >= r.start) last.len = Math.max(last.len, r.start + r.len - last.start);
    else merged.push({ ...r });
  }
  free.splice(0, free.length, ...merged);
}

function setLeaf(st: MachineState, pid: number, vaddr: number, level: 'pte' | 'pmd', p: PteRef | null): void {
  const key = `${pid}:${vaddr}`;
  if (!p || !p.present) st.leaves.delete(key);
  else st.leaves.set(key, { pid, addr: vaddr, level, pfn: p.pfn, write: p.write, dirty: p.dirty, special: p.special, anon: p.anon });
}

function lineRange(addr: number, len: number, each: (page: number, line: number) => void): void {
  for (let a = addr - (addr % 64); a < addr + len; a += 64) each(Math.floor(a / 4096), ((a % 4096) / 64) | 0);
}

function pageRecord(st: MachineState, pfn: number): PageRecord {
  let r = st.structPages.get(pfn);
  if (!r) {
    r = { pfn, flags: [], _refcount: 0, mapcount: 0, mapping: null, index: 0, order: 0, compound_head: null, entire_mapcount: 0, large_mapcount: 0 };
    st.structPages.set(pfn, r);
  }
  return r;
}

/** Apply one step to `st` (forward), or undo it (`undo`). Steps that change nothing here are ignored. */
export function applyStep(st: MachineState, s: Step, undo = false): void {
  switch (s.t) {
    case 'page': {
      const r = pageRecord(st, s.pfn);
      const v = undo ? s.old : s.new;
      if (s.field === 'share' || s.field === 'index') {
        // index and share overlay each other (struct folio): keep only the one that was written.
        delete r.index;
        delete r.share;
      }
      r[s.field] = v;
      return;
    }
    case 'blk':
      if ((s.action === 'alloc') !== undo) removeRun(st.free, s.start, s.len);
      else addRun(st.free, s.start, s.len);
      return;
    case 'refcount': {
      const v = undo ? s.old : s.new;
      for (let b = s.block; b < s.block + s.len; b++) {
        if (v > 1) st.refcount.set(b, v);
        else st.refcount.delete(b);
      }
      return;
    }
    case 'extents': {
      const f = st.files.get(s.ino) ?? { ino: s.ino, name: `ino ${s.ino}`, extents: [] };
      f.extents = undo ? s.old : s.new;
      st.files.set(s.ino, f);
      return;
    }
    case 'cache': {
      const dirtying = s.action === 'dirty' ? !undo : undo;
      lineRange(s.addr, s.len, (page, line) => {
        if (dirtying) {
          let set = st.dirty.get(page);
          if (!set) st.dirty.set(page, (set = new Set()));
          set.add(line);
        } else {
          const set = st.dirty.get(page);
          set?.delete(line);
          if (set && set.size === 0) st.dirty.delete(page);
          if (!undo && (s.action === 'flush' || s.action === 'drain')) st.media.add(page);
        }
      });
      return;
    }
    case 'media':
      // A non-temporal zeroing gives no page media content it did not have (the engine keeps a
      // never-written page unwritten); the step says which kind of store it was only in its text.
      if (!undo && !/non-temporal zeroing/.test(s.text)) for (let p = Math.floor(s.addr / 4096); p * 4096 < s.addr + s.len; p++) st.media.add(p);
      return;
    case 'dram':
      if ((s.action === 'alloc') !== undo) st.dram.set(s.pfn, { order: s.use === 'huge-zero-page' ? 9 : 0, use: s.use });
      else st.dram.delete(s.pfn);
      return;
    case 'pte':
      setLeaf(st, s.pid, s.vaddr, s.level, undo ? s.old : s.new);
      return;
    case 'vma':
      if (!st.procNames.has(s.pid)) st.procNames.set(s.pid, `pid ${s.pid}`);
      return;
    default:
      return;
  }
}

function cloneState(st: MachineState): MachineState {
  return {
    structPages: new Map([...st.structPages].map(([k, v]) => [k, { ...v }])),
    free: st.free.map((r) => ({ ...r })),
    refcount: new Map(st.refcount),
    dirty: new Map([...st.dirty].map(([k, v]) => [k, new Set(v)])),
    media: new Set(st.media),
    poisoned: new Set(st.poisoned),
    dram: new Map(st.dram),
    leaves: new Map(st.leaves),
    procNames: new Map(st.procNames),
    files: new Map([...st.files].map(([k, v]) => [k, { ...v }])),
    pins: st.pins.map((p) => ({ ...p })),
    pending: st.pending.map((p) => ({ ...p })),
  };
}

const shared = new WeakMap<readonly Json[], { steps: readonly Step[]; opStarts: readonly number[]; tl: MachineTimeline }>();

/** One MachineTimeline per trace (keyed by its keyframes), shared by every panel that reads it. */
export function machineTimelineOf(steps: readonly Step[], opStarts: readonly number[], keyframes: readonly Json[], pmemStartPfn: number): MachineTimeline {
  const hit = shared.get(keyframes);
  if (hit && hit.steps === steps && hit.opStarts === opStarts && hit.tl.pmemStartPfn === pmemStartPfn) return hit.tl;
  const tl = new MachineTimeline(steps, opStarts, keyframes, pmemStartPfn);
  shared.set(keyframes, { steps, opStarts, tl });
  return tl;
}

/**
 * The machine at any cursor: the keyframe of the op boundary at or before the cursor, plus the
 * steps from there (at most one operation's worth). Before the first op (the machine's boot steps)
 * it starts from the first keyframe and undoes the boot steps.
 */
export class MachineTimeline {
  private readonly parsed: (MachineState | null)[];

  constructor(
    readonly steps: readonly Step[],
    readonly opStarts: readonly number[],
    readonly keyframes: readonly Json[],
    readonly pmemStartPfn: number,
  ) {
    this.parsed = keyframes.map(() => null);
  }

  private keyframe(k: number): MachineState {
    let p = this.parsed[k];
    if (!p) p = this.parsed[k] = stateOfKeyframe(this.keyframes[k], this.pmemStartPfn);
    return cloneState(p);
  }

  /** Index of the keyframe at or before `cursor` (the last op boundary not after it). */
  boundaryIndex(cursor: number): number {
    let k = 0;
    for (let i = 0; i < this.opStarts.length; i++) if (this.opStarts[i] <= cursor) k = i;
    return cursor >= this.steps.length ? this.opStarts.length : k;
  }

  private last: { cursor: number; state: MachineState } | null = null;

  /**
   * The machine after `cursor` steps; O(steps since the op boundary before it). Asking again for the
   * same cursor returns the same object (panels sharing a timeline build it once). Read-only.
   */
  stateAt(cursor: number): MachineState {
    if (this.last && this.last.cursor === cursor) return this.last.state;
    const state = this.build(cursor);
    this.last = { cursor, state };
    return state;
  }

  private build(cursor: number): MachineState {
    if (this.opStarts.length === 0) return this.keyframe(0);
    if (cursor < this.opStarts[0]) {
      const st = this.keyframe(0);
      for (let i = this.opStarts[0] - 1; i >= cursor; i--) applyStep(st, this.steps[i], true);
      return st;
    }
    const k = this.boundaryIndex(cursor);
    const st = this.keyframe(k);
    const from = k < this.opStarts.length ? this.opStarts[k] : this.steps.length;
    for (let i = from; i < cursor; i++) applyStep(st, this.steps[i]);
    return st;
  }
}
