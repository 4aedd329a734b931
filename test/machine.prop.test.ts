/**
 * Property tests of the whole machine: random operation sequences (several files, three
 * processes with shared, private and MAP_SYNC mappings, 4 KiB and PMD-eligible mappings,
 * reflinks, pins, truncate/punch/fallocate, fsync/msync, user flushes, crashes, rare poison)
 * on dax=always (ADR and eADR) and dax=never mounts of the modern kernel.
 *
 * After every operation:
 *   - machine.check() reports nothing outside KERNEL_EXPLAINED_RULES, and no kernel WARN fired;
 *   - a reference model agrees with what read(2) and loads through mappings return, and with
 *     the signals accesses get (SIGSEGV outside a VMA or without permission, SIGBUS past EOF);
 *   - after a crash, every file's bytes that were made durable by fsync/msync and not touched
 *     since are back, and its size is one the file had since its last sync.
 *
 * The reference model, per file:
 *   cur      - the bytes read(2) must return now (length = i_size);
 *   dur      - the bytes as of the last fsync (or, per range, msync) of this file;
 *   unsure   - bytes changed since they were last synced: after a crash they may hold either
 *              value (write(2) data on DAX is on the media at once, stores may or may not have
 *              left the cache, metadata may have been committed by another file's fsync, which
 *              forces the one XFS log);
 *   sizes    - the sizes the file had since its last sync: after a crash, i_size is one of them.
 *   inCache  - (ADR, DAX) bytes that may sit only in the CPU cache: mmap stores until a flush
 *              reaches them, and copy-on-write copies of reflinked pages. fsync/msync flush only
 *              pages whose DAX entry is still dirty, and a layout break (truncate down, punch,
 *              fallocate, reflink) deletes entries dirty or not, as the kernel does; bytes still
 *              in the cache after a sync stay unsure. See the "kernel behaviours" tests below.
 *   Private mappings keep, per page, the process's own copy once it stored (or write-pinned).
 *
 * Conventions in this file:
 *   T        - the process that runs layout changes (truncate, punch, fallocate, reflink): it may
 *              sleep in a layout break until a pin is released, and the model applies an
 *              operation's effect when it completes, whenever that is.
 *   tainted  - after a poison, media errors make content checks meaningless; only check() runs.
 *
 * What this model leaves out: durability promised by a user flush or by eADR (stronger than
 * what is checked here: only fsync/msync promises are checked), bytes past EOF inside the last
 * page (the kernel leaves them to whoever stored there), content after a media error.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Machine, type OpOutcome } from '../src/engine/machine';
import type { MachineConfig, Op } from '../src/engine/ops';
import { KERNEL_EXPLAINED_RULES } from '../src/engine/debug/check-machine';
import type { Json } from '../src/engine/trace/steps';

const PAGE = 4096;
const MiB2 = 2 << 20;
const MiB4 = 4 << 20;
/** f0..f2 start with five and a bit pages of data; g is created first, as 4 MiB of unwritten
 * extents at the start of the device, so its 2 MiB halves can take PMD faults. */
const FILES = ['f0', 'f1', 'f2', 'g'];
const PROCS = ['A', 'B', 'C'];

// ---- commands ----------------------------------------------------------------------------------

type Cmd =
  | { k: 'write'; f: number; off: number; len: number; val: number }
  | { k: 'read'; f: number; off: number; len: number }
  | { k: 'mmap'; p: number; f: number; kind: 'shared' | 'private' | 'sync'; big: boolean; prot: 'r' | 'rw'; page: number }
  | { k: 'munmap'; m: number }
  | { k: 'mprotect'; m: number; prot: 'r' | 'rw' | 'none' }
  | { k: 'load'; m: number; off: number; len: number }
  | { k: 'store'; m: number; off: number; len: number; val: number }
  | { k: 'msync'; m: number }
  | { k: 'fsync'; f: number; datasync: boolean }
  | { k: 'truncate'; f: number; size: number }
  | { k: 'punch'; f: number; off: number; len: number }
  | { k: 'fallocate'; f: number; off: number; len: number; keep: boolean }
  | { k: 'reflink'; src: number; dst: number; srcPage: number; dstPage: number; pages: number }
  | { k: 'pin'; m: number; off: number; write: boolean; longterm: boolean }
  | { k: 'unpin'; n: number }
  | { k: 'flush'; m: number; off: number; len: number }
  | { k: 'crash' }
  | { k: 'poison'; f: number; page: number }
  | { k: 'unlink'; f: number };

const fileArb = fc.integer({ min: 0, max: FILES.length - 1 });
/** File offsets: near the start, around the 2 MiB boundary, or anywhere in the first pages. */
const offArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 * PAGE }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 6 }).map((p) => p * PAGE) },
  { weight: 1, arbitrary: fc.integer({ min: -2 * PAGE, max: 2 * PAGE }).map((d) => MiB2 + d) },
);
/** Offsets inside a mapping: the first pages, or around its 2 MiB point (big mappings). */
const mapOffArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 * PAGE - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: -PAGE, max: PAGE }).map((d) => MiB2 + d) },
);
const lenArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 96 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 * PAGE + 100 }) });
const mapArb = fc.nat({ max: 11 });
const valArb = fc.integer({ min: 1, max: 255 });
const sizeArb = fc.constantFrom(0, 100, PAGE, PAGE + 7, 3 * PAGE, 5 * PAGE + 300, MiB2, MiB2 + PAGE, MiB4);

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('write' as const), f: fileArb, off: offArb, len: lenArb, val: valArb }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), f: fileArb, off: offArb, len: lenArb }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('mmap' as const),
      p: fc.integer({ min: 0, max: PROCS.length - 1 }),
      f: fileArb,
      kind: fc.constantFrom('shared' as const, 'private' as const, 'sync' as const),
      big: fc.boolean(),
      prot: fc.constantFrom('rw' as const, 'rw' as const, 'r' as const),
      page: fc.constantFrom(0, 0, 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('munmap' as const), m: mapArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mprotect' as const), m: mapArb, prot: fc.constantFrom('r' as const, 'rw' as const, 'none' as const) }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('load' as const), m: mapArb, off: mapOffArb, len: lenArb }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('store' as const), m: mapArb, off: mapOffArb, len: lenArb, val: valArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('msync' as const), m: mapArb }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fsync' as const), f: fileArb, datasync: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('truncate' as const), f: fileArb, size: sizeArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('punch' as const), f: fileArb, off: offArb, len: lenArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fallocate' as const), f: fileArb, off: offArb, len: fc.oneof(lenArb, fc.constant(MiB2)), keep: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('reflink' as const),
      src: fileArb,
      dst: fileArb,
      srcPage: fc.integer({ min: 0, max: 3 }),
      dstPage: fc.integer({ min: 0, max: 5 }),
      pages: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pin' as const), m: mapArb, off: mapOffArb, write: fc.boolean(), longterm: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unpin' as const), n: fc.nat({ max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('flush' as const), m: mapArb, off: mapOffArb, len: lenArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unlink' as const), f: fileArb }) },
);
const poisonArb: fc.Arbitrary<Cmd> = fc.record({ k: fc.constant('poison' as const), f: fileArb, page: fc.integer({ min: 0, max: 3 }) });

// ---- the reference model -------------------------------------------------------------------------

class FileModel {
  cur: Uint8Array = new Uint8Array(0);
  dur: Uint8Array = new Uint8Array(0);
  unsure: Uint8Array = new Uint8Array(0);
  sizes = new Set<number>([0]);
  linked = true;
  /**
   * Bytes stored through a shared mapping that may still sit in the CPU cache (ADR, DAX only),
   * and the pages whose DAX entry is dirty (what fsync/msync will flush). A layout break
   * deletes entries dirty or not (dax_break_layout → dax_delete_mapping_range), so a store
   * made before a truncate/punch/fallocate/reflink of the file is not flushed by a later fsync
   * unless the page is stored to again: that is the kernel's behaviour, and the model follows it.
   */
  inCache: Uint8Array = new Uint8Array(0);
  dirtyPages = new Set<number>();
  /**
   * Pages that a reflink may have left sharing a block. Copy-on-write of such a page copies the
   * old block with ordinary cached stores (dax_iomap_copy_around has no flush): a store fault
   * leaves the whole page in the cache behind a dirty entry, a write(2) leaves the edges it did
   * not write in the cache behind no entry at all, and zeroing a partial page does the same.
   */
  maybeShared = new Set<number>();
  constructor(
    readonly name: string,
    readonly volatileCache = false,
  ) {}

  get size(): number {
    return this.cur.length;
  }
  private grow(a: Uint8Array, n: number): Uint8Array {
    if (a.length >= n) return a;
    const b = new Uint8Array(n);
    b.set(a);
    return b;
  }
  setSize(n: number): void {
    const old = this.cur.length;
    if (n === old) return;
    if (n > old) this.cur = this.grow(this.cur, n);
    else this.cur = this.cur.slice(0, n);
    if (n < this.inCache.length) this.inCache.fill(0, n);
    this.markUnsure(Math.min(n, old), Math.max(n, old));
    this.sizes.add(n);
  }
  markUnsure(a: number, b: number): void {
    this.unsure = this.grow(this.unsure, b);
    this.unsure.fill(1, a, b);
  }
  /** Bytes [a, b) (inside i_size) change. */
  set(a: number, bytes: Uint8Array): void {
    if (a + bytes.length > this.cur.length) this.setSize(a + bytes.length);
    this.cur.set(bytes, a);
    this.markUnsure(a, a + bytes.length);
  }
  /** A store through a shared DAX mapping: in the cache, and its page's entry is dirty. */
  cacheStore(pos: number): void {
    if (!this.volatileCache) return;
    const pg = Math.floor(pos / PAGE);
    if (this.maybeShared.has(pg)) this.pageInCache(pg);
    this.inCache = this.grow(this.inCache, pos + 1);
    this.inCache[pos] = 1;
    this.dirtyPages.add(pg);
  }
  /** The whole page may be a cached copy (copy on write) that no flush has reached. */
  pageInCache(pg: number): void {
    if (!this.volatileCache) return;
    this.inCache = this.grow(this.inCache, (pg + 1) * PAGE);
    this.inCache.fill(1, pg * PAGE, (pg + 1) * PAGE);
  }
  /** Pages [a, b) of the file may now share blocks. */
  shared(a: number, b: number): void {
    for (let pg = Math.floor(a / PAGE); pg * PAGE < b; pg++) this.maybeShared.add(pg);
  }
  /** write(2) or zeroing of [a, b): pages that may be shared are copied first, edges in the cache. */
  cowEdges(a: number, b: number): void {
    for (let pg = Math.floor(a / PAGE); pg * PAGE < b; pg++) if (this.maybeShared.has(pg)) this.pageInCache(pg);
  }
  /** write(2) on DAX copies with non-temporal stores: those bytes are on the media. */
  ntWrite(a: number, b: number): void {
    if (this.inCache.length > a) this.inCache.fill(0, a, Math.min(b, this.inCache.length));
  }
  /** CLWB of the cache lines covering file bytes [a, b). */
  linesFlushed(a: number, b: number): void {
    this.ntWrite(Math.floor(a / 64) * 64, Math.ceil(b / 64) * 64);
  }
  /** fsync/msync writeback: every dirty entry in [a, b) has its whole page flushed. */
  writeback(a: number, b: number): void {
    for (const pg of [...this.dirtyPages]) {
      if (pg * PAGE < a || pg * PAGE >= b) continue;
      this.ntWrite(pg * PAGE, (pg + 1) * PAGE);
      this.dirtyPages.delete(pg);
    }
  }
  /** xfs_break_layouts: every DAX entry of the file is deleted, dirty or not. */
  layoutBreak(): void {
    this.dirtyPages.clear();
  }
  /** Bytes still in the cache after a sync are not durable. */
  private keepCachedUnsure(a: number, b: number): void {
    for (let i = a; i < Math.min(b, this.inCache.length, this.cur.length); i++) if (this.inCache[i]) this.unsure[i] = 1;
  }
  /** fsync: everything is durable, except stores whose dirty entry a layout break deleted. */
  syncAll(): void {
    this.writeback(0, Infinity);
    this.dur = this.cur.slice();
    this.unsure = new Uint8Array(this.cur.length);
    this.sizes = new Set([this.cur.length]);
    this.keepCachedUnsure(0, this.cur.length);
  }
  /** msync of file range [a, b): the data there is flushed, and the inode's metadata is committed. */
  syncRange(a: number, b: number): void {
    this.writeback(a, b);
    const e = Math.min(b, this.cur.length);
    this.dur = this.grow(this.dur, e);
    this.unsure = this.grow(this.unsure, this.cur.length);
    for (let i = a; i < e; i++) {
      this.dur[i] = this.cur[i];
      this.unsure[i] = 0;
    }
    this.sizes = new Set([this.cur.length]);
    this.keepCachedUnsure(a, e);
  }
  /** After a crash: what came back is now both current and durable. */
  reset(content: Uint8Array): void {
    this.inCache = new Uint8Array(0);
    this.dirtyPages.clear();
    this.maybeShared.clear();
    this.cur = content.slice();
    this.syncAll();
  }
}

interface MapModel {
  label: string;
  proc: string;
  file: FileModel;
  kind: 'shared' | 'private' | 'sync';
  prot: 'r' | 'rw' | 'none';
  mayWrite: boolean;
  fileOff: number;
  length: number;
  alive: boolean;
  /** private copies: file page index → bytes (-1 = unknown: past EOF when copied) */
  priv: Map<number, Int16Array>;
}

function decodeBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 4;
    } else out.push(s.charCodeAt(i++));
  }
  return Uint8Array.from(out);
}

function resultOf(o: OpOutcome): { [k: string]: Json } {
  return (o.result && typeof o.result === 'object' && !Array.isArray(o.result) ? o.result : {}) as { [k: string]: Json };
}

// ---- the runner -------------------------------------------------------------------------------------

class Harness {
  readonly m: Machine;
  readonly files = new Map<string, FileModel>();
  readonly all: FileModel[] = [];
  readonly maps: MapModel[] = [];
  readonly pins: string[] = [];
  pending: { o: OpOutcome; done: (o: OpOutcome) => void }[] = [];
  tainted = false;
  nmaps = 0;
  npins = 0;
  log: string[] = [];

  constructor(readonly config: Partial<MachineConfig>) {
    const m = Machine.create({ version: 1, config, ops: [] }, { trace: false });
    if ('errors' in m) throw new Error(JSON.stringify(m.errors));
    this.m = m;
    for (const name of ['g', 'f0', 'f1', 'f2']) {
      const fm = new FileModel(name, config.dax !== 'never' && config.platform !== 'eadr');
      this.files.set(name, fm);
      this.all.push(fm);
      this.expectOk(this.exec({ op: 'create', file: name }));
      if (name === 'g') {
        this.expectOk(this.exec({ op: 'fallocate', proc: 'T', file: name, offset: 0, length: MiB4 }));
        fm.setSize(MiB4);
        this.expectOk(this.exec({ op: 'fsync', proc: 'S', file: name }));
        fm.syncAll();
        continue;
      }
      // Five and a bit pages of distinct bytes per file, fsynced, so mappings have data to show.
      const fi = FILES.indexOf(name);
      for (let pg = 0; pg < 6; pg++) {
        const len = pg < 5 ? PAGE : 123;
        const val = 0x41 + fi * 8 + pg;
        this.expectOk(this.exec({ op: 'write', proc: 'W', file: name, offset: pg * PAGE, fill: val, len }));
        fm.set(pg * PAGE, new Uint8Array(len).fill(val));
      }
      this.expectOk(this.exec({ op: 'fsync', proc: 'S', file: name }));
      fm.syncAll();
    }
  }

  get dax(): boolean {
    return this.config.dax !== 'never';
  }

  exec(op: Op): OpOutcome {
    this.log.push(JSON.stringify(op));
    return this.m.exec(op);
  }

  expectOk(o: OpOutcome): void {
    if (o.status !== 'done') this.fail(`${o.op.op} failed: ${JSON.stringify(o.result)}`);
  }

  /** Run an op; call `done` with its outcome when it completes (now, or after a wake-up). */
  run(op: Op, done: (o: OpOutcome) => void): void {
    const o = this.exec(op);
    if (o.status === 'blocked' || o.status === 'paused') this.pending.push({ o, done });
    else done(o);
    this.settle();
  }

  settle(): void {
    for (;;) {
      const i = this.pending.findIndex((p) => p.o.status !== 'blocked' && p.o.status !== 'paused');
      if (i < 0) return;
      const [p] = this.pending.splice(i, 1);
      p.done(p.o);
    }
  }

  /** A proc that is still asleep cannot start another operation: the outcome says so. */
  rejectedBusy(o: OpOutcome): boolean {
    return o.status === 'error' && typeof o.result === 'string' && /still (sleeping|stopped)/.test(o.result);
  }

  /** Mostly a live mapping; one pick in four may be any mapping, dead ones included. */
  pickMap(i: number): MapModel | null {
    const live = this.maps.filter((x) => x.alive);
    if (live.length && i % 4 !== 3) return live[i % live.length];
    return this.maps.length ? this.maps[i % this.maps.length] : null;
  }

  fileOf(i: number): FileModel {
    const fm = this.files.get(FILES[i]);
    if (fm) return fm;
    const ghost = new FileModel(FILES[i]);
    ghost.linked = false;
    return ghost;
  }

  // ---- expectations ----

  checkInvariants(ctx: string): void {
    const bad = this.m.check().filter((v) => !KERNEL_EXPLAINED_RULES.includes(v.rule));
    if (bad.length) throw new Error(`${ctx}: check() found ${JSON.stringify(bad.slice(0, 4))}\nops:\n${this.log.join('\n')}`);
    if (this.m.warnings.length) throw new Error(`${ctx}: kernel WARN ${JSON.stringify(this.m.warnings)}\nops:\n${this.log.join('\n')}`);
  }

  fail(msg: string): never {
    throw new Error(`${msg}\nops:\n${this.log.join('\n')}`);
  }

  /** Expected bytes at file offset `pos` through mapping `mp` (null: unknown / past EOF). */
  expectedByte(mp: MapModel, pos: number): number | null {
    const page = Math.floor(pos / PAGE);
    const pv = mp.priv.get(page);
    if (pv) return pv[pos % PAGE] < 0 ? null : pv[pos % PAGE];
    return pos < mp.file.size ? mp.file.cur[pos] : null;
  }

  /** The signal an access to mapping offset `off`..+len should get, page by page; null = none. */
  accessFault(mp: MapModel, off: number, len: number, write: boolean): { sig: 'SIGSEGV' | 'SIGBUS'; at: number } | null {
    for (let o = off; o < off + len; o = (Math.floor(o / PAGE) + 1) * PAGE) {
      if (!mp.alive || o >= mp.length) return { sig: 'SIGSEGV', at: o };
      if (mp.prot === 'none' || (write && mp.prot !== 'rw')) return { sig: 'SIGSEGV', at: o };
      const fpos = mp.fileOff + o;
      const page = Math.floor(fpos / PAGE);
      if (!mp.priv.has(page) && page * PAGE >= mp.file.size) return { sig: 'SIGBUS', at: o };
    }
    return null;
  }

  // ---- commands ----

  apply(c: Cmd): void {
    const m = this.m;
    switch (c.k) {
      case 'write': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        this.run({ op: 'write', proc: 'W', file: fm.name, offset: c.off, fill: c.val, len: c.len }, (o) => {
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          if (o.status === 'error' && resultOf(o).errno === 'ENOSPC') return;
          // After a media error a write may stop short at the bad page, or fail with EIO.
          if (this.tainted) return;
          if (o.result !== c.len) this.fail(`write returned ${JSON.stringify(o.result)}`);
          if (c.off > fm.size) fm.setSize(c.off);
          fm.set(c.off, new Uint8Array(c.len).fill(c.val));
          fm.cowEdges(c.off, c.off + c.len);
          fm.ntWrite(c.off, c.off + c.len);
        });
        break;
      }
      case 'read': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        this.run({ op: 'read', proc: 'R', file: fm.name, offset: c.off, len: c.len }, (o) => this.checkRead(fm, c.off, c.len, o, wasLinked));
        break;
      }
      case 'mmap': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        const label = `m${++this.nmaps}`;
        const length = c.big ? MiB4 : 4 * PAGE;
        const fileOff = c.big ? 0 : c.page * PAGE;
        const proc = PROCS[c.p];
        this.run({ op: 'mmap', proc, file: fm.name, length, offset: fileOff, prot: c.prot, flags: c.kind, as: label }, (o) => {
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          if (c.kind === 'sync' && !this.dax) return void expect(resultOf(o).errno).toBe('EOPNOTSUPP');
          if (o.status !== 'done') this.fail(`mmap failed: ${JSON.stringify(o.result)}`);
          this.maps.push({ label, proc, file: fm, kind: c.kind, prot: c.prot, mayWrite: c.prot === 'rw', fileOff, length, alive: true, priv: new Map() });
        });
        break;
      }
      case 'munmap': {
        const mp = this.pickMap(c.m);
        if (!mp || !mp.alive) return;
        this.run({ op: 'munmap', proc: mp.proc, addr: { map: mp.label }, length: mp.length }, (o) => {
          this.expectOk(o);
          mp.alive = false;
          mp.priv.clear();
        });
        break;
      }
      case 'mprotect': {
        const mp = this.pickMap(c.m);
        if (!mp || !mp.alive) return;
        this.run({ op: 'mprotect', proc: mp.proc, addr: { map: mp.label }, length: mp.length, prot: c.prot }, (o) => {
          // The engine implies an fd opened with the mmap's prot: rw cannot be added to an "r" mapping.
          if (c.prot === 'rw' && !mp.mayWrite) return void expect(resultOf(o).errno).toBe('EACCES');
          this.expectOk(o);
          mp.prot = c.prot;
        });
        break;
      }
      case 'load': {
        const mp = this.pickMap(c.m);
        if (!mp) return;
        const off = Math.min(c.off, mp.length - 1);
        const len = Math.min(c.len, mp.length - off);
        const want = this.accessFault(mp, off, len, false);
        const snapshot = this.tainted ? null : Array.from({ length: len }, (_, i) => this.expectedByte(mp, mp.fileOff + off + i));
        this.run({ op: 'load', proc: mp.proc, addr: { map: mp.label, offset: off }, len }, (o) => {
          if (this.tainted || !mp.alive) return this.expectSignalOnly(o, mp);
          this.checkSignal(o, want, 'load');
          if (want) return;
          const got = decodeBytes(String(resultOf(o).data));
          for (let i = 0; i < len; i++) {
            const w = snapshot![i];
            if (w !== null && got[i] !== w) this.fail(`load of ${mp.label}(${mp.kind}, ${mp.file.name}) at ${off}+${i}: got ${got[i]}, model ${w}`);
          }
        });
        break;
      }
      case 'store': {
        const mp = this.pickMap(c.m);
        if (!mp) return;
        const off = Math.min(c.off, mp.length - 1);
        const len = Math.min(c.len, mp.length - off);
        const want = this.accessFault(mp, off, len, true);
        this.run({ op: 'store', proc: mp.proc, addr: { map: mp.label, offset: off }, value: c.val, len }, (o) => {
          if (this.tainted || !mp.alive) return this.expectSignalOnly(o, mp);
          this.checkSignal(o, want, 'store');
          const end = want ? want.at - (want.at % PAGE) : off + len;
          for (let i = off; i < Math.max(off, end); i++) this.storeByte(mp, mp.fileOff + i, c.val);
        });
        break;
      }
      case 'msync': {
        const mp = this.pickMap(c.m);
        if (!mp || !mp.alive) return;
        this.run({ op: 'msync', proc: mp.proc, addr: { map: mp.label }, length: mp.length }, (o) => {
          this.expectOk(o);
          if (mp.kind !== 'private') mp.file.syncRange(mp.fileOff, mp.fileOff + mp.length);
        });
        break;
      }
      case 'fsync': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        this.run({ op: 'fsync', proc: 'S', file: fm.name, datasync: c.datasync }, (o) => {
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          this.expectOk(o);
          fm.syncAll();
        });
        break;
      }
      case 'truncate': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        this.run({ op: 'truncate', proc: 'T', file: fm.name, size: c.size }, (o) => {
          if (this.rejectedBusy(o)) return;
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          if (o.status === 'error' && resultOf(o).errno === 'ENOSPC') return;
          this.expectOk(o);
          if (c.size < fm.size) {
            fm.layoutBreak();
            fm.cowEdges(c.size, c.size + 1);
          }
          fm.setSize(c.size);
          // truncate_pagecache unmaps private copies past the new EOF too (even_cows).
          const keep = Math.ceil(c.size / PAGE);
          for (const mp of this.maps) if (mp.file === fm) for (const pg of [...mp.priv.keys()]) if (pg >= keep) mp.priv.delete(pg);
        });
        break;
      }
      case 'punch': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        this.run({ op: 'punch', proc: 'T', file: fm.name, offset: c.off, length: c.len }, (o) => {
          if (this.rejectedBusy(o)) return;
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          this.expectOk(o);
          fm.layoutBreak();
          fm.cowEdges(c.off, c.off + c.len);
          const e = Math.min(c.off + c.len, fm.size);
          if (e > c.off) fm.set(c.off, new Uint8Array(e - c.off));
        });
        break;
      }
      case 'fallocate': {
        const fm = this.fileOf(c.f);
        const wasLinked = fm.linked;
        this.run({ op: 'fallocate', proc: 'T', file: fm.name, offset: c.off, length: c.len, keepSize: c.keep }, (o) => {
          if (this.rejectedBusy(o)) return;
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          if (o.status === 'error' && resultOf(o).errno === 'ENOSPC') return;
          this.expectOk(o);
          fm.layoutBreak();
          if (!c.keep && c.off + c.len > fm.size) fm.setSize(c.off + c.len);
        });
        break;
      }
      case 'reflink': {
        const src = this.fileOf(c.src);
        const dst = this.fileOf(c.dst);
        const wasLinked = src.linked && dst.linked;
        const op: Op = { op: 'reflink', proc: 'T', src: src.name, dst: dst.name, srcOffset: c.srcPage * PAGE, dstOffset: c.dstPage * PAGE, length: c.pages * PAGE };
        this.run(op, (o) => {
          if (this.rejectedBusy(o)) return;
          if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
          if (o.status === 'error') {
            const e = resultOf(o).errno;
            if (e === 'EINVAL' || e === 'ENOSPC') return;
            this.fail(`reflink failed with ${JSON.stringify(o.result)}`);
          }
          src.layoutBreak();
          dst.layoutBreak();
          const n = o.result as number;
          src.shared(c.srcPage * PAGE, c.srcPage * PAGE + n);
          dst.shared(c.dstPage * PAGE, c.dstPage * PAGE + n);
          const bytes = src.cur.slice(c.srcPage * PAGE, c.srcPage * PAGE + n);
          if (n === 0) return;
          if (c.dstPage * PAGE > dst.size) dst.setSize(c.dstPage * PAGE);
          dst.set(c.dstPage * PAGE, bytes);
        });
        break;
      }
      case 'pin': {
        const mp = this.pickMap(c.m);
        if (!mp) return;
        const off = Math.min(c.off, mp.length - 1);
        const label = `p${++this.npins}`;
        const fault = this.accessFault(mp, off, 1, c.write);
        this.run({ op: 'pin', proc: mp.proc, addr: { map: mp.label, offset: off }, length: 1, write: c.write, longterm: c.longterm, as: label }, (o) => {
          if (o.status === 'done') {
            this.pins.push(label);
            if (!this.tainted && mp.alive && (fault || (c.longterm && this.dax))) this.fail(`pin succeeded where it should fail (${JSON.stringify(fault)})`);
            // A write pin of a private mapping breaks CoW, as a store would.
            if (c.write && mp.kind === 'private') this.privPage(mp, Math.floor((mp.fileOff + off) / PAGE));
          } else if (!this.tainted && mp.alive && !fault && !(c.longterm && this.dax)) this.fail(`pin failed: ${JSON.stringify(o.result)}`);
          else if (c.longterm && this.dax && mp.alive) expect(resultOf(o).errno).toBe(fault && fault.sig === 'SIGSEGV' && !mp.alive ? 'EFAULT' : resultOf(o).errno);
        });
        break;
      }
      case 'unpin': {
        if (!this.pins.length) return;
        const label = this.pins.splice(c.n % this.pins.length, 1)[0];
        // The transfer completing releases the pin, not the process (which may be asleep).
        this.run({ op: 'unpin', proc: 'D', pin: label }, (o) => this.expectOk(o));
        break;
      }
      case 'flush': {
        const mp = this.pickMap(c.m);
        if (!mp) return;
        const off = Math.min(c.off, mp.length - 1);
        const len = Math.min(c.len, mp.length - off);
        const want = this.accessFault(mp, off, len, false);
        this.run({ op: 'flush', proc: mp.proc, addr: { map: mp.label, offset: off }, length: len }, (o) => {
          if (this.tainted || !mp.alive) return this.expectSignalOnly(o, mp);
          // CLWB needs no permission beyond a mapping; PROT_NONE faults like a load.
          this.checkSignal(o, want, 'flush');
          const end = want ? want.at - (want.at % PAGE) : off + len;
          if (mp.kind !== 'private' && end > off) mp.file.linesFlushed(mp.fileOff + off, mp.fileOff + end);
        });
        break;
      }
      case 'crash':
        this.crash();
        break;
      case 'poison': {
        const fm = this.fileOf(c.f);
        if (!fm.linked || c.page * PAGE >= fm.size) return;
        const o = this.exec({ op: 'poison', file: fm.name, offset: c.page * PAGE });
        if (o.status === 'done') this.tainted = true;
        this.settle();
        break;
      }
      case 'unlink': {
        const fm = this.fileOf(c.f);
        if (!fm.linked) return;
        this.run({ op: 'unlink', proc: 'U', file: fm.name }, (o) => {
          this.expectOk(o);
          fm.linked = false;
          this.files.delete(fm.name);
        });
        break;
      }
    }
    void m;
  }

  privPage(mp: MapModel, page: number): Int16Array {
    let pv = mp.priv.get(page);
    if (!pv) {
      pv = new Int16Array(PAGE).fill(-1);
      for (let i = 0; i < PAGE; i++) {
        const pos = page * PAGE + i;
        if (pos < mp.file.size) pv[i] = mp.file.cur[pos];
      }
      mp.priv.set(page, pv);
    }
    return pv;
  }

  storeByte(mp: MapModel, pos: number, val: number): void {
    if (mp.kind === 'private') {
      this.privPage(mp, Math.floor(pos / PAGE))[pos % PAGE] = val;
      return;
    }
    if (pos < mp.file.size) {
      mp.file.cur[pos] = val;
      mp.file.markUnsure(pos, pos + 1);
    }
    mp.file.cacheStore(pos);
  }

  checkSignal(o: OpOutcome, want: { sig: string; at: number } | null, what: string): void {
    if (!want) {
      if (o.status !== 'done') this.fail(`${what} expected to succeed, got ${o.status} ${JSON.stringify(o.result)}`);
      return;
    }
    if (o.status !== 'signal' || resultOf(o).signal !== want.sig) this.fail(`${what} expected ${want.sig} at offset ${want.at}, got ${o.status} ${JSON.stringify(o.result)}`);
  }

  /**
   * After a crash the label is gone (EINVAL); after munmap the address is unmapped (SIGSEGV)
   * unless a later mmap reused it, in which case the access lands in that mapping.
   */
  expectSignalOnly(o: OpOutcome, mp: MapModel): void {
    if (this.tainted || mp.alive) return;
    const r = resultOf(o);
    const reused = this.maps.some((x) => x !== mp && x.alive && x.proc === mp.proc);
    if (!reused && !(r.signal === 'SIGSEGV' || r.errno === 'EINVAL')) this.fail(`access to a dead mapping ${mp.label} gave ${JSON.stringify(o.result)}`);
  }

  checkRead(fm: FileModel, off: number, len: number, o: OpOutcome, wasLinked: boolean): void {
    if (!wasLinked) return void expect(resultOf(o).errno).toBe('ENOENT');
    if (this.tainted) return;
    if (o.status !== 'done') this.fail(`read failed: ${JSON.stringify(o.result)}`);
    const r = resultOf(o);
    const want = fm.cur.subarray(Math.min(off, fm.size), Math.min(off + len, fm.size));
    const got = decodeBytes(String(r.data));
    if (r.bytes !== want.length || got.length !== want.length) this.fail(`read(${fm.name}, ${off}, ${len}) returned ${String(r.bytes)} bytes, model ${want.length} (size ${fm.size})`);
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) this.fail(`read(${fm.name}) byte ${off + i}: got ${got[i]}, model ${want[i]}`);
  }

  /**
   * The parts of a file the commands can reach, through read(2): the first 16 pages, 4 pages
   * either side of 2 MiB, and the last 2 pages (every other byte of a big file is a hole the
   * model knows to be zero, and reading megabytes of zeros as text would dominate run time).
   * Returns the windows as [start, bytes].
   */
  readWindows(name: string, size: number): [number, Uint8Array][] {
    const wins: [number, number][] = [
      [0, 16 * PAGE],
      [MiB2 - 4 * PAGE, MiB2 + 4 * PAGE],
      [size - 2 * PAGE, size],
    ];
    const out: [number, Uint8Array][] = [];
    let covered = 0;
    for (const [a0, b0] of wins) {
      const a = Math.max(a0, covered, 0);
      const b = Math.min(b0, size);
      if (b <= a) continue;
      const o = this.exec({ op: 'read', proc: 'R', file: name, offset: a, len: b - a });
      if (o.status !== 'done') this.fail(`read of ${name} failed: ${JSON.stringify(o.result)}`);
      const got = decodeBytes(String(resultOf(o).data));
      if (got.length !== b - a) this.fail(`read of ${name} at ${a} returned ${got.length} bytes, expected ${b - a} (size ${size})`);
      out.push([a, got]);
      covered = b;
    }
    return out;
  }

  crash(): void {
    this.exec({ op: 'crash' });
    this.pending = [];
    for (const mp of this.maps) {
      mp.alive = false;
      mp.priv.clear();
    }
    this.pins.length = 0;
    const survivors: FileModel[] = [];
    for (const fm of this.all) {
      const ino = this.m.fs.lookup(fm.name);
      if (typeof ino !== 'number') {
        if (fm.linked) this.fail(`${fm.name} is gone after the crash, but it was created, fsynced and never unlinked`);
        continue;
      }
      if (this.files.get(fm.name) && this.files.get(fm.name) !== fm) continue;
      const size = this.m.fs.size(ino);
      if (!this.tainted) {
        if (!fm.sizes.has(size)) this.fail(`${fm.name}: size ${size} after the crash; since its last sync it had only ${[...fm.sizes].join(', ')}`);
        const lim = Math.min(size, fm.dur.length);
        const content = new Uint8Array(size);
        for (const [a, got] of this.readWindows(fm.name, size)) {
          content.set(got, a);
          for (let i = a; i < Math.min(lim, a + got.length); i++) {
            if (fm.unsure[i]) continue;
            if (got[i - a] !== fm.dur[i]) this.fail(`${fm.name} byte ${i} after the crash is ${got[i - a]}; it was fsynced as ${fm.dur[i]} and not changed since`);
          }
        }
        fm.reset(content);
      } else fm.reset(new Uint8Array(size)); // content checks are off after a media error
      fm.linked = true;
      survivors.push(fm);
    }
    this.files.clear();
    for (const fm of survivors) this.files.set(fm.name, fm);
    this.all.splice(0, this.all.length, ...survivors);
  }

  /** Final sweep: every file's whole content through read(2). */
  finalCheck(): void {
    if (this.tainted) return;
    for (const fm of this.files.values()) {
      const ino = this.m.fs.lookup(fm.name);
      if (typeof ino !== 'number') this.fail(`${fm.name} vanished`);
      if (this.m.fs.size(ino) !== fm.size) this.fail(`${fm.name}: i_size ${this.m.fs.size(ino)}, model ${fm.size}`);
      for (const [a, got] of this.readWindows(fm.name, fm.size))
        for (let i = 0; i < got.length; i++) if (got[i] !== fm.cur[a + i]) this.fail(`${fm.name} byte ${a + i}: read(2) gives ${got[i]}, model ${fm.cur[a + i]}`);
    }
  }
}

function runCommands(config: Partial<MachineConfig>, cmds: Cmd[]): void {
  const h = new Harness(config);
  h.checkInvariants('setup');
  cmds.forEach((c, i) => {
    h.apply(c);
    h.checkInvariants(`after command ${i} ${JSON.stringify(c)}`);
  });
  // Release every pin so sleeping layout changes finish, then compare everything.
  while (h.pins.length) h.apply({ k: 'unpin', n: 0 });
  h.checkInvariants('after the final unpins');
  // A layout break waits for the page to go idle (refcount 0); a fault during its sleep maps the
  // page again, so the sleeper wakes only when that mapping goes too: unmap everything.
  for (const mp of h.maps.filter((x) => x.alive)) h.run({ op: 'munmap', proc: mp.proc, addr: { map: mp.label }, length: mp.length }, (o) => {
    h.expectOk(o);
    mp.alive = false;
  });
  h.checkInvariants('after the final munmaps');
  expect(h.m.pending.length).toBe(0);
  h.finalCheck();
}

const cmdsArb = fc.array(cmdArb, { minLength: 10, maxLength: 60 });
const withPoisonArb = fc.tuple(cmdsArb, fc.option(fc.tuple(fc.nat({ max: 59 }), poisonArb), { freq: 8 })).map(([cmds, p]) => {
  if (!p) return cmds;
  const out = cmds.slice();
  out.splice(p[0] % (out.length + 1), 0, p[1]);
  return out;
});

// Runs per mount keep the file well under 30 s on two cores (eADR power failures drain every
// dirty line and cost more); 2 000+ operations in total per mount.
const MOUNTS: { name: string; config: Partial<MachineConfig>; seed: number; runs: number }[] = [
  { name: 'dax=always, ADR', config: { dax: 'always', platform: 'adr', kernel: 'modern', deviceSize: 64 << 20 }, seed: 0x5eed01, runs: 90 },
  { name: 'dax=always, eADR', config: { dax: 'always', platform: 'eadr', kernel: 'modern', deviceSize: 64 << 20 }, seed: 0x5eed02, runs: 70 },
  { name: 'dax=never, ADR', config: { dax: 'never', platform: 'adr', kernel: 'modern', deviceSize: 64 << 20 }, seed: 0x5eed03, runs: 90 },
];

describe('random operation sequences against a reference model', () => {
  for (const mnt of MOUNTS) {
    it(`${mnt.name}: invariants, read/load contents, signals and crash durability hold`, () => {
      fc.assert(
        fc.property(withPoisonArb, (cmds) => runCommands(mnt.config, cmds)),
        { seed: mnt.seed, numRuns: mnt.runs, endOnFailure: false },
      );
    });
  }
});

/**
 * The smallest scenarios the properties above shrank to where the engine, not the model, is
 * wrong. Each states the kernel's behaviour; each fails until the engine is fixed.
 */
describe('engine bugs found by the properties (minimal scenarios)', () => {
  const runOps = (config: Partial<MachineConfig>, ops: Op[]) => {
    const m = Machine.create({ version: 1, config, ops }, { trace: false });
    if ('errors' in m) throw new Error(JSON.stringify(m.errors));
    const outs = ops.map(() => m.step());
    return { m, outs };
  };

  it('a power failure with a page still pinned is an outcome, not an exception', () => {
    // Everything in DRAM is gone, pins included; nothing can be busy afterwards.
    const ops: Op[] = [
      { op: 'create', file: 'f' },
      { op: 'write', file: 'f', offset: 0, data: 'x' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' },
      { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'p' },
      { op: 'crash' },
    ];
    const { m, outs } = runOps({}, ops);
    expect(outs[4].status).toBe('done');
    expect(m.check()).toEqual([]);
  });

  for (const dax of ['always', 'never'] as const) {
    it(`dax=${dax}: truncate removes private CoW pages past the new EOF (truncate_pagecache, even_cows), so the access gets SIGBUS`, () => {
      const ops: Op[] = [
        { op: 'create', file: 'f' },
        { op: 'write', file: 'f', offset: 0, data: 'abc' },
        { op: 'mmap', proc: 'A', file: 'f', length: PAGE, flags: 'private', as: 'm' },
        { op: 'store', proc: 'A', addr: { map: 'm' }, data: 'P' },
        { op: 'truncate', file: 'f', size: 0 },
        { op: 'load', proc: 'A', addr: { map: 'm' }, len: 3 },
      ];
      const { outs } = runOps({ dax }, ops);
      expect(outs[5].result).toMatchObject({ signal: 'SIGBUS' });
    });
  }

  it('a layout change asleep on a pin keeps its file alive (its fd holds the inode): unlink + last munmap meanwhile, and the punch still succeeds', () => {
    const ops: Op[] = [
      { op: 'create', file: 'f' },
      { op: 'write', file: 'f', offset: 0, data: 'x' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' },
      { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'p' },
      { op: 'punch', proc: 'T', file: 'f', offset: 0, length: 1 },
      { op: 'unlink', file: 'f' },
      { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: PAGE },
      { op: 'unpin', proc: 'D', pin: 'p' },
    ];
    const { m, outs } = runOps({ dax: 'always' }, ops);
    expect(m.pending).toEqual([]);
    expect(outs[4].status).toBe('done');
    expect(outs[4].result).toBe(0);
    expect(m.check()).toEqual([]);
  });

  it('dax=always: the last munmap of an unlinked file evicts it: no DAX entry keeps a freed block', () => {
    const ops: Op[] = [
      { op: 'create', file: 'f' },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' },
      { op: 'write', file: 'f', offset: 0, data: 'x' },
      { op: 'load', proc: 'A', addr: { map: 'm' }, len: 1 },
      { op: 'unlink', file: 'f' },
      { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: PAGE },
    ];
    const { m } = runOps({ dax: 'always' }, ops);
    expect(m.check()).toEqual([]);
  });
});

/**
 * Behaviours of the modelled kernel (6.15+ fs/dax.c) that the durability model above had to
 * learn, each shrunk from a property failure and checked against the kernel source: the engine
 * follows the kernel here. ADR platform, dax=always. Each loses data that fsync had promised.
 */
describe('kernel behaviours the durability model follows (ADR, fsync promises broken by the kernel)', () => {
  const setup: Op[] = [
    { op: 'create', file: 'a' },
    { op: 'write', file: 'a', offset: 0, fill: 65, len: PAGE },
    { op: 'fsync', file: 'a' },
  ];
  const crashRead = (ops: Op[], offset: number, len: number) => {
    const m = Machine.create({ version: 1, config: { platform: 'adr' }, ops: [...ops, { op: 'crash' }, { op: 'read', file: 'a', offset, len }] }, { trace: false });
    if ('errors' in m) throw new Error(JSON.stringify(m.errors));
    m.run();
    expect(m.check()).toEqual([]);
    return m.outcomes[m.outcomes.length - 1].result;
  };

  it('a layout break deletes dirty DAX entries (dax_break_layout → dax_delete_mapping_range): an mmap store before a fallocate is not flushed by the next fsync', () => {
    const r = crashRead(
      [
        ...setup,
        { op: 'mmap', proc: 'A', file: 'a', length: PAGE, as: 'm' },
        { op: 'store', proc: 'A', addr: { map: 'm', offset: 100 }, data: 'X' },
        { op: 'fallocate', file: 'a', offset: 2 * PAGE, length: PAGE },
        { op: 'fsync', file: 'a' },
      ],
      96,
      8,
    );
    expect(r).toEqual({ bytes: 8, data: 'AAAAAAAA' }); // the store is lost
  });

  it('write(2) to a reflinked page copies the edges with cached stores and creates no dirty entry: after fsync, the untouched rest of the page is lost', () => {
    const r = crashRead(
      [
        ...setup,
        { op: 'create', file: 'b' },
        { op: 'reflink', src: 'a', dst: 'b' },
        { op: 'fsync', file: 'b' },
        { op: 'write', file: 'a', offset: 100, data: 'X' },
        { op: 'fsync', file: 'a' },
      ],
      0,
      8,
    );
    expect(r).toEqual({ bytes: 8, data: '\\x00'.repeat(8) }); // bytes 0..7 were fsynced as "A" and never written again
  });

  it('a store to a reflinked page, then a layout break, then another file\'s fsync: the CoW copy is committed but never flushed', () => {
    const r = crashRead(
      [
        ...setup,
        { op: 'create', file: 'b' },
        { op: 'reflink', src: 'a', dst: 'b' },
        { op: 'mmap', proc: 'A', file: 'a', length: PAGE, as: 'm' },
        { op: 'store', proc: 'A', addr: { map: 'm', offset: 100 }, data: 'X' },
        { op: 'fallocate', file: 'a', offset: 2 * PAGE, length: PAGE },
        { op: 'fsync', file: 'a' },
      ],
      0,
      8,
    );
    expect(r).toEqual({ bytes: 8, data: '\\x00'.repeat(8) });
  });
});
