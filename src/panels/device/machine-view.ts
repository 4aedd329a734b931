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
import { PAGE_MAPPING_DAX_COW } from '../../engine/mm/page';
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
  /** first pmem pfn (pages below it are DRAM) */
  pmemStartPfn: number;
  /**
   * _refcount of an idle pmem page, which a page without a record has: 0 in the modern model,
   * 1 in 6.1 (its DAX pages idle at one reference; fs/dax-policy-61.ts idleRefcount).
   */
  pmemIdleRef: number;
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
    pmemStartPfn: Number.MAX_SAFE_INTEGER,
    pmemIdleRef: 0,
  };
}

/** A MachineState from one keyframe (dumpMachine(m, {bytes: false, iPages: false, freeSpace: true})). */
export function stateOfKeyframe(kf: Json, pmemStartPfn: number): MachineState {
  const k = kf as Obj;
  const st = emptyMachineState();
  for (const p of (k.structPages as Obj[]) ?? []) {
    const { pfnHex: _h, range: _r, zone: _z, pgmap: _g, ...rec } = p;
    // A tail page keeps only its own fields; the folio's are read from the head (structPageOf).
    if (p.compound_head !== null && p.compound_head !== undefined) st.structPages.set(num(p.pfn), { pfn: p.pfn, flags: p.flags, mapcount: p.mapcount });
    else st.structPages.set(num(p.pfn), rec);
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
  st.pmemStartPfn = pmemStartPfn;
  st.pmemIdleRef = (k.config as Obj | undefined)?.kernel === '6.1' ? 1 : 0;
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
    r = { pfn, flags: [], _refcount: pfn >= st.pmemStartPfn ? st.pmemIdleRef : 0, mapcount: 0, mapping: null, index: 0, order: 0, compound_head: null, entire_mapcount: 0, large_mapcount: 0 };
    st.structPages.set(pfn, r);
  }
  return r;
}

/** Pages in a PMD-sized folio. */
const PMD_PAGES = 512;

/** The head of the folio holding pfn (an order-9 folio's head is 512-aligned), as PageMap.page_folio. */
export function folioHead(st: MachineState, pfn: number): number {
  if (((st.structPages.get(pfn)?.order as number | undefined) ?? 0) > 0) return pfn;
  const cand = pfn - (pfn % PMD_PAGES);
  return cand !== pfn && st.structPages.get(cand)?.order === 9 ? cand : pfn;
}

/**
 * struct page of pfn as the struct page panel shows it (PageMap.get): a head or order-0 page is
 * its own record; a tail page has its own flags and mapcount, _refcount 0, and the folio's
 * mapping, index/share, order and mapcounts read from its head, with compound_head naming it.
 * Undefined when the page has no record (all its fields at their defaults).
 */
export function structPageOf(st: MachineState, pfn: number): PageRecord | undefined {
  const r = st.structPages.get(pfn);
  const head = folioHead(st, pfn);
  if (head === pfn) return r;
  const h = st.structPages.get(head)!;
  return {
    pfn,
    flags: r?.flags ?? [],
    _refcount: 0,
    mapcount: r?.mapcount ?? 0,
    mapping: h.mapping ?? null,
    ...('share' in h ? { share: h.share } : { index: h.index ?? 0 }),
    order: h.order,
    compound_head: head,
    entire_mapcount: h.entire_mapcount ?? 0,
    large_mapcount: h.large_mapcount ?? 0,
  };
}

/**
 * Name the folio's index slot as the engine reads it (PageMap.indexMeaning): a DAX share count
 * when mapping is NULL and the value is non-zero, or when mapping holds 6.1's DAX_COW sentinel;
 * otherwise index. The meaning follows mapping, so a later change of mapping renames the slot
 * (this is how a stale index comes to be read as a share count, docs/kernel-findings.md).
 */
function nameIndexSlot(r: PageRecord): void {
  const raw = (r.index ?? r.share ?? 0) as number;
  delete r.index;
  delete r.share;
  const share = (r.mapping === null && raw > 0) || r.mapping === PAGE_MAPPING_DAX_COW;
  if (share) r.share = raw;
  else r.index = raw;
}

/** Apply one step to `st` (forward), or undo it (`undo`). Steps that change nothing here are ignored. */
export function applyStep(st: MachineState, s: Step, undo = false): void {
  switch (s.t) {
    case 'page': {
      const r = pageRecord(st, s.pfn);
      const v = undo ? s.old : s.new;
      if (s.field === 'share' || s.field === 'index') {
        // index and share overlay each other (struct folio): one slot, whichever name was written.
        delete r.index;
        delete r.share;
        r.index = v;
      } else r[s.field] = v;
      if (s.field === 'share' || s.field === 'index' || s.field === 'mapping') nameIndexSlot(r);
      return;
    }
    case 'poison':
      if (undo) st.poisoned.delete(s.page);
      else st.poisoned.add(s.page);
      return;
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

/**
 * A state that shares its parts with another (read-only) one and copies each part the first time a
 * step is about to change it (copy on write): a keyframe's machine can map thousands of pages, and
 * most steps change none of it, or one small part.
 */
class CowState {
  readonly st: MachineState;
  /** the parts (and struct page records, files) this state already owns */
  private readonly own = new Set<keyof MachineState>();
  private readonly ownPages = new Set<number>();
  private readonly ownFiles = new Set<number>();

  constructor(base: MachineState) {
    this.st = { ...base };
  }

  private part<K extends keyof MachineState>(k: K, copy: (v: MachineState[K]) => MachineState[K]): void {
    if (this.own.has(k)) return;
    this.st[k] = copy(this.st[k]);
    this.own.add(k);
  }

  /** Make everything step `s` changes (applyStep, either direction) owned by this state. */
  prepare(s: Step): void {
    const st = this.st;
    switch (s.t) {
      case 'page': {
        this.part('structPages', (m) => new Map(m));
        if (!this.ownPages.has(s.pfn)) {
          const r = st.structPages.get(s.pfn);
          if (r) st.structPages.set(s.pfn, { ...r });
          this.ownPages.add(s.pfn);
        }
        return;
      }
      case 'blk':
        this.part('free', (f) => f.map((r) => ({ ...r })));
        return;
      case 'refcount':
        this.part('refcount', (m) => new Map(m));
        return;
      case 'extents': {
        this.part('files', (m) => new Map(m));
        if (!this.ownFiles.has(s.ino)) {
          const f = st.files.get(s.ino);
          if (f) st.files.set(s.ino, { ...f });
          this.ownFiles.add(s.ino);
        }
        return;
      }
      case 'cache':
        this.part('dirty', (m) => new Map([...m].map(([k, v]) => [k, new Set(v)])));
        this.part('media', (m) => new Set(m));
        return;
      case 'media':
        this.part('media', (m) => new Set(m));
        return;
      case 'poison':
        this.part('poisoned', (m) => new Set(m));
        return;
      case 'dram':
        this.part('dram', (m) => new Map(m));
        return;
      case 'pte':
        this.part('leaves', (m) => new Map(m));
        return;
      case 'vma':
        this.part('procNames', (m) => new Map(m));
        return;
      default:
        return;
    }
  }

  apply(s: Step, undo = false): void {
    this.prepare(s);
    applyStep(this.st, s, undo);
  }
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

  /** Keyframe k as a state (parsed once; read-only: every state built from it copies on write). */
  private keyframe(k: number): MachineState {
    let p = this.parsed[k];
    if (!p) p = this.parsed[k] = stateOfKeyframe(this.keyframes[k], this.pmemStartPfn);
    return p;
  }

  /** Index of the keyframe at or before `cursor` (the last op boundary not after it). */
  boundaryIndex(cursor: number): number {
    let k = 0;
    for (let i = 0; i < this.opStarts.length; i++) if (this.opStarts[i] <= cursor) k = i;
    return cursor >= this.steps.length ? this.opStarts.length : k;
  }

  private last: { cursor: number; state: MachineState; k: number } | null = null;

  /**
   * The machine after `cursor` steps; O(steps since the op boundary before it), or O(steps since
   * the last answer) when the cursor moved forward inside the same operation (playback, stepping).
   * Asking again for the same cursor returns the same object (panels sharing a timeline build it
   * once). Read-only: states share their unchanged parts with each other and with the keyframes.
   */
  stateAt(cursor: number): MachineState {
    if (this.last && this.last.cursor === cursor) return this.last.state;
    const k = this.opStarts.length === 0 || cursor < this.opStarts[0] ? -1 : this.boundaryIndex(cursor);
    const last = this.last;
    const state = last && k >= 0 && last.k === k && last.cursor < cursor ? this.forward(last.state, last.cursor, cursor) : this.build(cursor);
    this.last = { cursor, state, k };
    return state;
  }

  /** `from` (the state after `at` steps) moved forward to `cursor`, without changing `from`. */
  private forward(from: MachineState, at: number, cursor: number): MachineState {
    const cow = new CowState(from);
    for (let i = at; i < cursor; i++) cow.apply(this.steps[i]);
    return cow.st;
  }

  private build(cursor: number): MachineState {
    if (this.opStarts.length === 0) return new CowState(this.keyframe(0)).st;
    if (cursor < this.opStarts[0]) {
      const cow = new CowState(this.keyframe(0));
      for (let i = this.opStarts[0] - 1; i >= cursor; i--) cow.apply(this.steps[i], true);
      return cow.st;
    }
    const k = this.boundaryIndex(cursor);
    const from = k < this.opStarts.length ? this.opStarts[k] : this.steps.length;
    return this.forward(this.keyframe(k), from, cursor);
  }
}
