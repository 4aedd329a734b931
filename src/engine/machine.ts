/**
 * The simulated machine: DRAM and a pmem namespace, struct pages, an XFS-like filesystem on the
 * pmem, processes with page tables, and the kernel paths that tie them together. A scenario's
 * operations run here one by one, each as a task that may sleep; every change is a step.
 *
 * Conventions in this file:
 *   task    - one process running one operation; it may sleep (entry lock, layout break) and
 *             another process's operation then runs until a wake-up makes it runnable again.
 *   label   - a scenario's name for an mmap (so later operations need not know the address).
 *   pin     - a get_user_pages/pin_user_pages reference standing for O_DIRECT or RDMA.
 *
 * What this model leaves out: a signal does not kill the process (as if it had a handler that
 * skips the faulting access); file descriptors (files are named); one CPU and one filesystem.
 */
import { PAGE_SIZE, PMD_SIZE, PG_PMD_NR } from './constants';
import { isErr, kerr, KErr, ERRNO } from './errno';
import { bytesText } from './trace/bytes';
import { Tracer, formatJson, hex, type Json, type PteRef, type Step, type StepBody } from './trace/steps';
import { PmemDevice } from './drivers/pmem';
import { PhysMap } from './mm/physmap';
import type { PageMap } from './mm/page';
import { sharedMemoryProvider, type MemoryProvider } from './mm/memory';
import {
  AddressSpaces,
  MAP_SHARED,
  MAP_PRIVATE,
  MAP_SHARED_VALIDATE,
  MAP_SYNC,
  VM_READ,
  VM_WRITE,
  VM_SHARED,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_MAYSHARE,
  VM_SYNC,
  VM_MIXEDMAP,
  linear_page_index,
  type Mm,
  type Vma,
} from './mm/mm';
import { handle_mm_fault, translate, type FaultEnv, type VmOps } from './mm/fault';
import { VM_FAULT_HWPOISON, VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV } from './mm/fault-flags';
import { runToEnd, type KGen, type Sleep, type Task } from './kernel/sched';
import { XArray } from './lib/xarray';
import {
  dax_break_layout,
  dax_iomap_rw,
  dax_writeback_mapping_range,
  truncateDaxEntries,
  type AddressSpace,
  type DaxEnv,
} from './fs/dax';
import { ModernOwnership, type DaxOwnershipPolicy } from './fs/dax-policy';
import { Legacy61Ownership } from './fs/dax-policy-61';
import { xfs_file_vm_ops } from './fs/xfs_file_mmap';
import { DEFAULT_CONFIG, validateScenario, type Addr, type MachineConfig, type Op, type Scenario, type ScenarioError } from './ops';
import { XfsPort } from './fs/xfs-port';
import type { Violation } from './debug/violation';
import { checkMachine } from './debug/check-machine';
import { dumpMachine } from './debug/dump-machine';
import { memory_failure } from './mm/memory-failure';
import { PageCache } from './mm/filemap';

/** The outcome of one operation, for the runner and the view. */
export interface OpOutcome {
  index: number;
  op: Op;
  status: 'done' | 'error' | 'blocked' | 'paused' | 'signal';
  /** a short description of the result (bytes read, address mapped, errno) */
  result: Json;
}

export interface Pin {
  label: string;
  proc: string;
  pfns: number[];
}

const GUP_PIN_COUNTING_BIAS = 1024;

/**
 * The sentence for a state change that happens only because DRAM forgot everything at a power
 * failure (Machine.crash): no kernel function runs, so the usual wording (which names one) is
 * replaced by what was lost.
 */
function lostWithDram(body: StepBody, text: string): string {
  switch (body.t) {
    case 'pte':
      return `Power loss: the page-table entry of pid ${body.pid} at ${hex(body.vaddr)} is lost with DRAM.`;
    case 'vma':
      return `Power loss: the VMA ${hex(body.start)}-${hex(body.end)} of pid ${body.pid} is lost with DRAM.`;
    case 'page':
      return `Power loss: the memmap is rebuilt at boot, so struct page of pfn ${hex(body.pfn)} starts over (${body.field} was ${formatJson(body.old)}).`;
    case 'xa_slot':
    case 'xa_mark':
    case 'xa_node':
      return `Power loss: ${body.xa} lived in DRAM; this part of it is gone.`;
    case 'inode':
      return `Power loss: the in-memory inode ${body.ino} is gone (${body.field} was ${formatJson(body.old)}).`;
    case 'dram':
      return `Power loss: DRAM page ${hex(body.pfn)} (${body.use}) is gone.`;
    case 'wait':
      return `Power loss: ${body.who} no longer exists.`;
    default:
      return `Power loss: ${text}`;
  }
}

export class Machine {
  readonly tr: Tracer;
  readonly config: MachineConfig;
  readonly memory: MemoryProvider;
  readonly pmem: PmemDevice;
  readonly phys: PhysMap;
  readonly pages: PageMap;
  readonly as: AddressSpaces;
  readonly fs: XfsPort;
  readonly mappings = new Map<number, AddressSpace>();
  readonly policy: DaxOwnershipPolicy;
  readonly dax: DaxEnv;
  readonly faultEnv: FaultEnv;
  readonly vmOps: VmOps;
  readonly pagecache: PageCache;
  readonly labels = new Map<string, { proc: string; addr: number; length: number }>();
  readonly pins = new Map<string, Pin>();
  readonly outcomes: OpOutcome[] = [];
  readonly warnings: { fn: string; cond: string }[] = [];
  private tasks: (Task<Json> & { outcome?: OpOutcome })[] = [];
  private current: (Task<Json> & { outcome?: OpOutcome }) | null = null;
  private nextTask = 1;
  private readonly scenario: Scenario;
  private nextOp = 0;

  /** Build a machine from a scenario (JSON form). Bad scenarios give errors saying where. */
  static create(input: unknown, opts: { trace?: boolean; memory?: MemoryProvider } = {}): Machine | { errors: ScenarioError[] } {
    const v = validateScenario(input);
    if ('errors' in v) return v;
    return new Machine(v.scenario, opts);
  }

  constructor(scenario: Scenario, opts: { trace?: boolean; memory?: MemoryProvider } = {}) {
    this.scenario = scenario;
    this.config = { ...DEFAULT_CONFIG, ...scenario.config };
    const cfg = this.config;
    this.tr = new Tracer(opts.trace ?? true);
    this.memory = opts.memory ?? sharedMemoryProvider();
    this.pmem = new PmemDevice({ size: cfg.deviceSize, platform: cfg.platform, memory: this.memory, tracer: this.tr });
    this.phys = new PhysMap({ dramBytes: cfg.dramSize, pmemBytes: cfg.deviceSize, memmapMode: cfg.memmap, memory: this.memory, tracer: this.tr });
    this.pages = this.phys.pages;
    this.as = new AddressSpaces(this.tr);
    this.fs = new XfsPort(this.pmem, this.tr, cfg, this.phys);
    const warn = (fn: string, cond: string, text: string) => this.warn(fn, cond, text);
    this.policy = cfg.kernel === '6.1' ? new Legacy61Ownership(this.pages, warn) : new ModernOwnership(this.pages, warn);
    this.as.onUnmap = (_mm, _vma, _addr, pte, level) => this.dropMapping(pte, level);
    this.pages.onDeviceFolioIdle = (head) => this.wake(`page:${hex(head)}`, true, `pfn ${hex(head)} is idle: a layout break waiting for it can go on.`);
    this.dax = this.makeDaxEnv();
    this.pagecache = new PageCache(this);
    this.faultEnv = this.makeFaultEnv();
    this.vmOps = xfs_file_vm_ops({
      dax: this.dax,
      readOps: this.fs.readOps,
      writeOps: this.fs.writeOps,
      isDax: (ino) => this.fs.isDax(ino),
      pmdEnabled: cfg.pmd,
      pagecache: this.pagecache.vmOps,
    });
  }

  get steps(): Step[] {
    return this.tr.steps;
  }

  get ops(): Scenario['ops'] {
    return this.scenario.ops;
  }

  // ---- environments ------------------------------------------------------------------------

  private makeDaxEnv(): DaxEnv {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the env's arrow functions read the machine's fields late
    const m = this;
    return {
      tr: this.tr,
      version: this.config.kernel,
      policy: this.policy,
      mm: this.as,
      dev: [259, 0],
      mapping: (ino) => m.mapping(ino),
      i_size: (ino) => m.fs.size(ino),
      direct_access: (devOff, size) => {
        const page = Math.floor(devOff / PAGE_SIZE);
        const bad = m.pmem.firstPoisonedPage(devOff, size);
        if (bad >= 0) return kerr('EHWPOISON', `pmem page ${bad} has a media error (badblocks): dax_direct_access refuses it`);
        return { pfn: m.phys.pmemOffsetToPfn(page * PAGE_SIZE) };
      },
      pfnToDevOff: (pfn) => m.phys.pfnToPmemOffset(pfn),
      zeroPfn: () => m.phys.zeroPagePfn,
      hugeZeroPfn: () => {
        const z = m.phys.mm_get_huge_zero_folio();
        return isErr(z) ? null : z;
      },
      folioRef: (pfn, delta, why) => {
        if (delta > 0) m.pages.folio_get(pfn, why);
        else m.pages.folio_put(pfn, why);
      },
      folioMapcount: (pfn, delta, level) => {
        if (level === 'pmd') {
          if (delta > 0) m.pages.folio_add_file_rmap_pmd(pfn);
          else m.pages.folio_remove_rmap_pmd(pfn);
        } else if (delta > 0) m.pages.folio_add_file_rmap_pte(pfn);
        else m.pages.folio_remove_rmap_pte(pfn);
      },
      dax_flush: (devOff, len) => m.dax_flush(devOff, len),
      devCopy: (src, dst, len) => m.pmem.writeCached(dst, m.pmem.read(src, len)),
      devZero: (off, len) => m.pmem.writeCached(off, new Uint8Array(len)),
      copyToDram: (src, pfn) => {
        const data = src === null ? new Uint8Array(PAGE_SIZE) : m.pmem.read(src, PAGE_SIZE);
        m.phys.writeDram(pfn, 0, data);
        if (m.tr.on) m.tr.emit({ t: 'note' }, src === null ? `The private copy (DRAM pfn ${hex(pfn)}) is filled with zeros: the file has no data here.` : `copy_cow_page_dax copies the file's block into DRAM pfn ${hex(pfn)}.`);
      },
      vfs_fsync_range: (ino, start, end, datasync) => m.vfs_fsync_range(ino, start, end, datasync),
      mark_inode_dirty_pages: (ino) => {
        if (m.tr.on) m.tr.emit({ t: 'note' }, `__mark_inode_dirty(I_DIRTY_PAGES): inode ${ino} goes on the writeback list (which does nothing for DAX unless someone syncs).`);
      },
      wake: (queue, all, why) => m.wake(queue, all, why),
      preempt: (point, who) => m.preempt(point, who),
      warn: (fn, cond, text) => m.warn(fn, cond, text),
      nrpagesChanged: (mapping, delta, why) => {
        const old = mapping.nrpages;
        mapping.nrpages += delta;
        if (m.tr.on) m.tr.emit({ t: 'inode', ino: mapping.host, field: 'nrpages', old, new: mapping.nrpages }, why);
      },
    };
  }

  private makeFaultEnv(): FaultEnv {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- as in makeDaxEnv
    const m = this;
    return {
      tr: this.tr,
      version: this.config.kernel,
      as: this.as,
      vm_ops: (vma) => (vma.ino === null ? null : m.vmOps),
      allocAnonPage: (why) => {
        const pfn = m.phys.alloc_pages(0, 'anon');
        if (!isErr(pfn) && m.tr.on) m.tr.emit({ t: 'note' }, `${why}: DRAM pfn ${hex(pfn)}.`);
        return pfn;
      },
      copyPfnToPfn: (src, dst) => m.phys.writeDram(dst, 0, m.readPfn(src)),
      mapPage: (pfn) => m.pages.folio_add_anon_rmap_pte(pfn),
      zeroPfn: () => m.phys.zeroPagePfn,
      isZeroPfn: (pfn) => pfn === m.phys.zeroPagePfn,
    };
  }

  /** A page-table entry went away: drop what it held (reference and mapcount, modern DAX and DRAM pages). */
  private dropMapping(pte: PteRef, level: 'pte' | 'pmd'): void {
    if (pte.special) return;
    const pfn = pte.pfn;
    if (this.phys.isPmemPfn(pfn) && !this.policy.mapTakesReference) return;
    if (level === 'pmd') this.pages.folio_remove_rmap_pmd(pfn);
    else this.pages.folio_remove_rmap_pte(pfn);
    this.pages.folio_put(pfn, 'the page-table entry that held it is gone');
  }

  /** Kernel: dax_flush(): write back CPU cache lines, unless the platform is eADR (the cache is persistent). */
  dax_flush(devOff: number, len: number): void {
    if (this.config.platform === 'eadr') {
      if (this.tr.on) this.tr.emit({ t: 'note' }, 'dax_flush does nothing: on eADR the CPU caches are inside the persistence domain (the dax write-cache flag is off).');
      return;
    }
    this.tr.call('dax_flush', () => ({ addr: devOff, len }), () => `dax_flush writes back the cache lines of ${len} bytes of pmem (arch_wb_cache_pmem: CLWB each line).`, () => this.pmem.flush(devOff, len));
  }

  mapping(ino: number): AddressSpace {
    let m = this.mappings.get(ino);
    if (!m) {
      m = { host: ino, i_pages: new XArray(`i_pages:${ino}`, this.tr), nrpages: 0 };
      this.mappings.set(ino, m);
    }
    return m;
  }

  /** Read a whole page by pfn: pmem through the CPU cache, DRAM, or zeros. */
  readPfn(pfn: number): Uint8Array {
    if (this.phys.isPmemPfn(pfn)) return this.pmem.read(this.phys.pfnToPmemOffset(pfn), PAGE_SIZE);
    return this.phys.readDram(pfn, 0, PAGE_SIZE);
  }

  warn(fn: string, cond: string, text: string): void {
    this.warnings.push({ fn, cond });
    if (this.tr.on) this.tr.emit({ t: 'warn', fn, cond }, `WARNING in ${fn} (${cond}): ${text}`);
  }

  // ---- scheduling --------------------------------------------------------------------------

  /** Wake tasks sleeping on `queue`: all of them, or the first. Returns how many. */
  wake(queue: string, all: boolean, why: string): number {
    let n = 0;
    for (const t of this.tasks) {
      if (t.state === 'sleeping' && t.sleep?.queue === queue) {
        t.state = 'runnable';
        t.sleep = null;
        n++;
        if (this.tr.on) this.tr.emit({ t: 'wait', who: t.who, on: queue, action: 'wake' }, `${t.who} is woken: ${why}`);
        if (!all) break;
      }
    }
    return n;
  }

  private *preempt(point: string, who: string): KGen<void> {
    const t = this.current;
    if (t && t.pauseAt.has(point)) {
      t.pauseAt.delete(point);
      yield { queue: `pause:${t.who}`, kind: 'pause', why: `${who} is stopped at ${point} by the scenario, holding whatever it holds there.` };
    }
  }

  /** Tasks that have not finished. */
  get pending(): readonly Task<Json>[] {
    return this.tasks.filter((t) => t.state !== 'done');
  }

  private runTask(t: Task<Json> & { outcome?: OpOutcome }): void {
    const prev = this.current;
    const outer = this.tr.saveContext();
    this.current = t;
    t.state = 'running';
    if (t.ctx) this.tr.restoreContext(t.ctx);
    const outerTask = this.tr.task;
    this.tr.task = t.id;
    const r = t.gen.next();
    this.tr.task = outerTask;
    t.ctx = this.tr.saveContext();
    this.tr.restoreContext(outer);
    this.current = prev;
    if (r.done) {
      t.state = 'done';
      t.result = r.value;
      const o = t.outcome;
      if (o) {
        o.status = classify(r.value);
        o.result = r.value;
      }
      if (this.tr.on && o && o.index !== this.tr.currentOp) this.tr.emit({ t: 'note' }, `${t.who}'s ${t.what} (operation ${o.index}) completes.`);
      return;
    }
    const s: Sleep = r.value;
    t.sleep = s;
    t.state = s.kind === 'pause' ? 'paused' : 'sleeping';
    const o = t.outcome;
    if (o) o.status = s.kind === 'pause' ? 'paused' : 'blocked';
    if (this.tr.on) this.tr.emit({ t: 'wait', who: t.who, on: s.queue, action: 'sleep' }, s.why);
  }

  /** Run woken tasks until none is runnable. */
  private schedule(): void {
    for (let guard = 0; guard < 10000; guard++) {
      const t = this.tasks.find((x) => x.state === 'runnable');
      if (!t) return;
      if (this.tr.on) this.tr.emit({ t: 'note' }, `${t.who} runs again and continues its ${t.what}.`);
      this.runTask(t);
    }
    throw new Error('scheduler did not settle');
  }

  // ---- running operations ------------------------------------------------------------------

  /** Run every remaining operation of the scenario. */
  run(): this {
    while (this.nextOp < this.scenario.ops.length) this.step();
    return this;
  }

  /** Run the next operation. Returns its outcome. */
  step(): OpOutcome {
    const index = this.nextOp++;
    const op = this.scenario.ops[index];
    return this.exec(op, index);
  }

  /** Run one operation now (also used for operations not in the scenario). */
  exec(op: Op & { pause?: string; note?: string }, index = this.outcomes.length): OpOutcome {
    // Releasing a pin is the transfer completing (the device's doing), so it never waits for the
    // process that pinned the pages.
    const who = op.op === 'unpin' ? 'kernel' : 'proc' in op && op.proc ? op.proc : 'kernel';
    if (this.tr.on) this.tr.beginOp(op.op, opArgs(op), op.note ?? describeOp(op));
    else this.tr.skipOp();
    const outcome: OpOutcome = { index, op, status: 'done', result: null };
    this.outcomes.push(outcome);
    if (op.op === 'resume') {
      const t = this.tasks.find((x) => x.who === op.proc && x.state === 'paused');
      if (!t) {
        outcome.status = 'error';
        outcome.result = `${op.proc} is not stopped at a pause point`;
        if (this.tr.on) this.tr.emit({ t: 'note' }, `resume: ${op.proc} is not stopped at a pause point.`);
        return outcome;
      }
      if (this.tr.on) this.tr.emit({ t: 'wait', who: t.who, on: `pause:${t.who}`, action: 'wake' }, `${t.who} is resumed by the scenario.`);
      t.state = 'runnable';
      t.sleep = null;
      this.schedule();
      outcome.result = 'resumed';
      return outcome;
    }
    const busy = this.tasks.find((x) => x.who === who && x.state !== 'done' && who !== 'kernel');
    if (busy) {
      outcome.status = 'error';
      outcome.result = `${who} is still ${busy.state === 'paused' ? 'stopped' : 'sleeping'} in its ${busy.what}; it cannot start another operation`;
      if (this.tr.on) this.tr.emit({ t: 'note' }, `${who} cannot start "${op.op}": it is still ${busy.state === 'paused' ? 'stopped' : 'asleep'} in its ${busy.what}.`);
      return outcome;
    }
    const task: Task<Json> & { outcome?: OpOutcome } = {
      id: this.nextTask++,
      who,
      what: op.op,
      gen: this.opGen(op, who),
      state: 'runnable',
      sleep: null,
      pauseAt: new Set(op.pause ? [op.pause] : []),
    };
    task.outcome = outcome;
    this.tasks.push(task);
    this.runTask(task);
    this.schedule();
    this.tasks = this.tasks.filter((t) => t.state !== 'done');
    return outcome;
  }

  /**
   * Run one operation. A system call on a named file holds a reference on its inode for its
   * whole duration, as an open file descriptor does, so a sleeping truncate keeps its file alive
   * even if the name and every mapping go meanwhile; dropping the last reference evicts it.
   */
  private *opGen(op: Op, who: string): KGen<Json> {
    const held: number[] = [];
    for (const name of opFiles(op)) {
      const ino = this.fs.lookup(name);
      if (!isErr(ino) && !held.includes(ino)) {
        this.fs.iget(ino);
        held.push(ino);
      }
    }
    try {
      return yield* this.opBody(op, who);
    } finally {
      for (const ino of held) yield* this.release(ino, who);
    }
  }

  /**
   * Drop one inode reference. The last one of an unlinked inode evicts it first (for DAX on
   * modern kernels: dax_break_layout_final waits for pins and deletes the entries), and only
   * then does the filesystem free the blocks (xfs_inactive).
   */
  private *release(ino: number, who: string): KGen<void> {
    if (this.fs.isLastRef(ino)) yield* this.evict(ino, who);
    this.fs.iput(ino);
    if (this.fs.isGone(ino)) this.evictMapping(ino);
  }

  /** Inode references dropped by munmap while it runs, released when it is done. */
  private deferredIputs: number[] | null = null;

  private dropVmaRef(ino: number): void {
    if (this.deferredIputs && this.fs.isLastRef(ino)) this.deferredIputs.push(ino);
    else {
      this.fs.iput(ino);
      if (this.fs.isGone(ino)) this.evictMapping(ino);
    }
  }

  private *opBody(op: Op, who: string): KGen<Json> {
    switch (op.op) {
      case 'create':
        return errJson(this.fs.create(op.file));
      case 'write':
        return yield* this.sys_write(op, who);
      case 'read':
        return yield* this.sys_read(op, who);
      case 'mmap':
        return this.sys_mmap(op);
      case 'munmap':
        return yield* this.sys_munmap(op);
      case 'mprotect':
        return this.sys_mprotect(op);
      case 'load':
      case 'store':
        return yield* this.cpuAccess(op);
      case 'msync':
        return yield* this.sys_msync(op, who);
      case 'fsync':
        return yield* this.sys_fsync(op.file, !!op.datasync, who);
      case 'truncate':
        return yield* this.sys_truncate(op.file, op.size, who);
      case 'punch':
        return yield* this.sys_fallocate(op.file, op.offset, op.length, 'punch', who);
      case 'fallocate':
        return yield* this.sys_fallocate(op.file, op.offset, op.length, op.keepSize ? 'keep' : 'alloc', who);
      case 'reflink':
        return yield* this.sys_reflink(op, who);
      case 'pin':
        return yield* this.sys_pin(op);
      case 'unpin':
        return this.sys_unpin(op);
      case 'flush':
        return yield* this.userFlush(op);
      case 'crash':
        return this.crash();
      case 'poison':
        return this.poison(op);
      case 'unlink':
        return yield* this.sys_unlink(op.file, who);
      case 'resume':
        return null;
    }
  }

  // ---- addresses -----------------------------------------------------------------------------

  resolveAddr(a: Addr): number | KErr {
    if (typeof a === 'number') return a;
    const l = this.labels.get(a.map);
    if (!l) return kerr('EINVAL', `no mapping is labelled "${a.map}" (label an mmap with "as")`);
    return l.addr + (a.offset ?? 0);
  }

  // ---- system calls --------------------------------------------------------------------------

  private sys_mmap(op: Extract<Op, { op: 'mmap' }>): Json {
    const tr = this.tr;
    const ino = this.fs.lookup(op.file);
    if (isErr(ino)) return errJson(ino);
    const mm = this.as.proc(op.proc);
    const prot = op.prot ?? 'rw';
    const flagsName = op.flags ?? 'shared';
    const flags = flagsName === 'private' ? MAP_PRIVATE : flagsName === 'sync' ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED;
    const offset = op.offset ?? 0;
    return tr.call('do_mmap', () => ({ proc: op.proc, file: op.file, length: op.length, offset, prot, flags: flagsName }), () => `${op.proc} maps ${op.length} bytes of ${op.file} at file offset ${offset} (${flagsName}, ${prot}).`, (): Json => {
      if (op.length <= 0 || offset % PAGE_SIZE !== 0) return errJson(kerr('EINVAL', 'mmap needs a length above 0 and a page-aligned offset'));
      const len = Math.ceil(op.length / PAGE_SIZE) * PAGE_SIZE;
      if (flags & MAP_SYNC) {
        if (!this.fs.isDax(ino)) {
          if (tr.on) tr.emit({ t: 'note' }, 'MAP_SYNC is refused: the file is not a DAX file (xfs_file_mmap → daxdev_mapping_supported is false), so the kernel returns -EOPNOTSUPP.');
          return errJson(kerr('EOPNOTSUPP', 'MAP_SYNC needs a DAX file on a synchronous DAX device'));
        }
      }
      if (prot === 'rw' && this.fs.isUnlinkedOrMissing(ino)) return errJson(kerr('ENOENT', `${op.file} no longer exists`));
      let vmFlags = VM_MAYREAD | VM_READ | (prot === 'rw' ? VM_WRITE | VM_MAYWRITE : 0);
      if (flags & MAP_SHARED) vmFlags |= VM_SHARED | VM_MAYSHARE;
      if (flags & MAP_SYNC) vmFlags |= VM_SYNC;
      if (this.fs.isDax(ino)) vmFlags |= VM_MIXEDMAP;
      let addr: number;
      if (op.addr !== undefined) {
        if (op.addr % PAGE_SIZE !== 0) return errJson(kerr('EINVAL', 'MAP_FIXED needs a page-aligned address'));
        addr = op.addr;
        this.as.zapRange(mm, addr, addr + len, 'MAP_FIXED replaces whatever was mapped there.');
        for (const v of [...mm.vmas]) if (v.start < addr + len && v.end > addr) this.unmapVmaRange(v, addr, addr + len);
      } else {
        const pmdAlign = this.fs.isDax(ino) && this.config.pmd && len >= PMD_SIZE;
        const a = this.as.get_unmapped_area(mm, len, offset / PAGE_SIZE, pmdAlign);
        if (isErr(a)) return errJson(a);
        addr = a;
        if (pmdAlign && tr.on) tr.emit({ t: 'note' }, `thp_get_unmapped_area picks ${hex(addr)}: the same offset inside 2 MiB as the file offset, so PMD faults are possible.`);
      }
      this.as.insertVma(mm, { start: addr, end: addr + len, flags: vmFlags, pgoff: offset / PAGE_SIZE, ino }, `A new VMA [${hex(addr)}, ${hex(addr + len)}) maps ${op.file} for ${op.proc}.`);
      this.fs.iget(ino);
      if (op.as) this.labels.set(op.as, { proc: op.proc, addr, length: len });
      return { addr };
    });
  }

  private unmapVmaRange(v: Vma, start: number, end: number): void {
    const s = Math.max(v.start, start);
    const e = Math.min(v.end, end);
    if (s >= e) return;
    this.as.zapRange(v.mm, s, e, 'munmap removes the page-table entries of the range.');
    if (s === v.start && e === v.end) {
      this.as.removeVma(v, 'The VMA is gone.');
      if (v.ino !== null) this.dropVmaRef(v.ino);
    } else if (s === v.start) {
      this.as.changeVma(v, { start: e, pgoff: v.pgoff + (e - v.start) / PAGE_SIZE }, 'The VMA loses its head.');
    } else if (e === v.end) {
      this.as.changeVma(v, { end: s }, 'The VMA loses its tail.');
    } else {
      const tailPgoff = v.pgoff + (e - v.start) / PAGE_SIZE;
      const oldEnd = v.end;
      this.as.changeVma(v, { end: s }, 'The VMA is split around the hole.');
      this.as.insertVma(v.mm, { start: e, end: oldEnd, flags: v.flags, pgoff: tailPgoff, ino: v.ino }, 'The second half of the split VMA.');
      if (v.ino !== null) this.fs.iget(v.ino);
    }
  }

  private *sys_munmap(op: Extract<Op, { op: 'munmap' }>): KGen<Json> {
    const a = this.resolveAddr(op.addr);
    if (isErr(a)) return errJson(a);
    if (a % PAGE_SIZE) return errJson(kerr('EINVAL', 'munmap needs a page-aligned address'));
    const mm = this.as.proc(op.proc);
    const end = a + Math.ceil(op.length / PAGE_SIZE) * PAGE_SIZE;
    this.deferredIputs = [];
    this.tr.call('do_vmi_munmap', () => ({ proc: op.proc, addr: a, length: op.length }), () => `${op.proc} unmaps [${hex(a)}, ${hex(end)}).`, () => {
      for (const v of [...mm.vmas]) this.unmapVmaRange(v, a, end);
      return 0;
    });
    // The last reference to an unlinked file went with its mapping: the inode is evicted.
    const last = this.deferredIputs;
    this.deferredIputs = null;
    for (const ino of last) yield* this.release(ino, op.proc);
    return 0;
  }

  private sys_mprotect(op: Extract<Op, { op: 'mprotect' }>): Json {
    const a = this.resolveAddr(op.addr);
    if (isErr(a)) return errJson(a);
    const mm = this.as.proc(op.proc);
    const end = a + Math.ceil(op.length / PAGE_SIZE) * PAGE_SIZE;
    return this.tr.call('do_mprotect_pkey', () => ({ proc: op.proc, addr: a, length: op.length, prot: op.prot }), () => `${op.proc} changes the protection of [${hex(a)}, ${hex(end)}) to ${op.prot}.`, (): Json => {
      const vmas = mm.vmas.filter((v) => v.start < end && v.end > a);
      if (!vmas.length) return errJson(kerr('ENOMEM', 'mprotect of an address range with no mapping'));
      for (const v of vmas) {
        if (op.prot === 'rw' && !(v.flags & VM_MAYWRITE)) return errJson(kerr('EACCES', 'the file was mapped read-only; write permission cannot be added'));
      }
      for (const v of vmas) {
        let f = v.flags & ~(VM_READ | VM_WRITE);
        if (op.prot !== 'none') f |= VM_READ;
        if (op.prot === 'rw') f |= VM_WRITE;
        this.as.changeVma(v, { flags: f }, `mprotect_fixup: the VMA's flags become ${op.prot}.`);
        // change_protection: remove write permission from PTEs; adding it waits for a fault.
        for (const leaf of [...this.as.allLeaves()]) {
          if (leaf.mm !== mm || leaf.addr < Math.max(a, v.start) || leaf.addr >= Math.min(end, v.end)) continue;
          if (op.prot === 'none') this.as.zapOne(mm, leaf.addr, 'PROT_NONE: the entry is made inaccessible.');
          else if (op.prot === 'r' && leaf.pte.write) {
            if (leaf.level === 'pmd') this.as.set_pmd(mm, leaf.addr, { ...leaf.pte, write: false }, 'change_protection write-protects the huge PMD.');
            else this.as.set_pte(mm, leaf.addr, { ...leaf.pte, write: false }, 'change_protection write-protects the PTE.');
          }
        }
      }
      return 0;
    });
  }

  private *sys_write(op: Extract<Op, { op: 'write' }>, who: string): KGen<Json> {
    const ino = this.fs.lookup(op.file);
    if (isErr(ino)) return errJson(ino);
    const data = op.data !== undefined ? new TextEncoder().encode(op.data) : new Uint8Array(op.len ?? 0).fill(op.fill ?? 0);
    if (!this.fs.isDax(ino)) return yield* this.pagecache.write(ino, op.offset, data, who);
    const tr = this.tr;
    if (tr.on) tr.enter('xfs_file_dax_write', { ino, pos: op.offset, len: data.length }, `${who} calls write(2) on ${op.file}: XFS takes the inode lock exclusive and hands the copy to DAX.`);
    const chk = this.fs.writeChecks(ino, op.offset, data.length);
    let r: Json;
    if (isErr(chk)) r = errJson(chk);
    else {
      const res = yield* dax_iomap_rw(this.dax, this.pmem, ino, op.offset, { write: data }, this.fs.writeOps, who);
      if (isErr(res)) r = errJson(res);
      else {
        if (op.offset + res.done > this.fs.size(ino)) this.fs.setSize(ino, op.offset + res.done, 'The write went past the end of the file: i_size grows (xfs_setfilesize logs it).');
        r = res.done;
      }
    }
    if (tr.on) tr.leave('xfs_file_dax_write', r, `write(2) returns ${formatJson(r)}.`);
    return r;
  }

  private *sys_read(op: Extract<Op, { op: 'read' }>, who: string): KGen<Json> {
    const ino = this.fs.lookup(op.file);
    if (isErr(ino)) return errJson(ino);
    if (!this.fs.isDax(ino)) return yield* this.pagecache.read(ino, op.offset, op.len, who);
    const tr = this.tr;
    if (tr.on) tr.enter('xfs_file_dax_read', { ino, pos: op.offset, len: op.len }, `${who} calls read(2) on ${op.file}: DAX copies straight from pmem.`);
    const res = yield* dax_iomap_rw(this.dax, this.pmem, ino, op.offset, { read: op.len }, this.fs.readOps, who);
    const r = isErr(res) ? errJson(res) : { bytes: res.done, data: bytesJson(res.data) };
    if (tr.on) tr.leave('xfs_file_dax_read', isErr(res) ? `-${res.errno}` : res.done, isErr(res) ? `read(2) fails: ${res.why}` : `read(2) returns ${countOf(res.done, 'byte')}.`);
    return r;
  }

  /** Kernel: fs/sync.c vfs_fsync_range() → xfs_file_fsync() */
  *vfs_fsync_range(ino: number, start: number, end: number, datasync: boolean, who = 'kernel'): KGen<number> {
    const tr = this.tr;
    if (tr.on) tr.enter('xfs_file_fsync', { ino, start, end: end === Infinity ? 'EOF' : end, datasync }, `xfs_file_fsync: write back the file's data, then force the log so its metadata is durable.`);
    let ret = 0;
    if (this.fs.isDax(ino)) {
      const m = this.mapping(ino);
      ret = yield* dax_writeback_mapping_range(this.dax, m, start, end, true, who);
    } else {
      ret = yield* this.pagecache.writeback(ino, start, end, who);
    }
    this.fs.logForce(ino);
    if (tr.on) tr.leave('xfs_file_fsync', ret, 'fsync is complete: data flushed and metadata in the log.');
    return ret;
  }

  private *sys_fsync(file: string, datasync: boolean, who: string): KGen<Json> {
    const ino = this.fs.lookup(file);
    if (isErr(ino)) return errJson(ino);
    return yield* this.vfs_fsync_range(ino, 0, Infinity, datasync, who);
  }

  private *sys_msync(op: Extract<Op, { op: 'msync' }>, who: string): KGen<Json> {
    const a = this.resolveAddr(op.addr);
    if (isErr(a)) return errJson(a);
    if (a % PAGE_SIZE) return errJson(kerr('EINVAL', 'msync needs a page-aligned address'));
    const mm = this.as.proc(op.proc);
    const end = a + op.length;
    const vmas = mm.vmas.filter((v) => v.start < end && v.end > a);
    if (!vmas.length) return errJson(kerr('ENOMEM', 'msync of a range with no mapping'));
    if (op.async) {
      if (this.tr.on) this.tr.emit({ t: 'note' }, 'MS_ASYNC does nothing: dirty pages are already tracked by the kernel.');
      return 0;
    }
    for (const v of vmas) {
      if (v.ino === null || !(v.flags & VM_SHARED)) continue;
      const fstart = (v.pgoff + (Math.max(a, v.start) - v.start) / PAGE_SIZE) * PAGE_SIZE;
      const fend = fstart + (Math.min(end, v.end) - Math.max(a, v.start)) - 1;
      const r = yield* this.vfs_fsync_range(v.ino, fstart, fend, true, who);
      if (r) return r;
    }
    return 0;
  }

  /**
   * Before the filesystem changes a DAX file's layout, XFS breaks it for the whole file:
   * xfs_break_layouts(BREAK_UNMAP) → xfs_break_dax_layouts → dax_break_layout_inode(), which is
   * dax_break_layout(inode, 0, LLONG_MAX): every mapping goes, pins are waited for, and every
   * DAX entry of the file is deleted, whatever range the operation touches.
   */
  private *breakLayout(ino: number, who: string): KGen<void> {
    if (!this.fs.isDax(ino)) return;
    if (this.tr.on)
      this.tr.emit({ t: 'note' }, this.config.kernel === '6.1'
        ? `xfs_break_layouts(BREAK_UNMAP) → xfs_break_dax_layouts: dax_layout_busy_page covers 0..LLONG_MAX, the whole of inode ${ino}; it waits for pins (refcount 1) but deletes no entries.`
        : `xfs_break_layouts(BREAK_UNMAP): XFS breaks the DAX layout of the whole of inode ${ino}, not just the range being changed.`);
    yield* dax_break_layout(this.dax, this.mapping(ino), 0, Infinity, who);
  }

  /**
   * 6.1's xfs_flush_unmap_range for a DAX file: write back the range (rounded out to whole
   * pages), then truncate_pagecache_range: unmap it and delete its DAX entries.
   * Kernel (v6.1): fs/xfs/xfs_bmap_util.c xfs_flush_unmap_range(), mm/truncate.c
   * truncate_pagecache_range()
   */
  private *flushUnmapRange61(ino: number, offset: number, len: number, who: string): KGen<number> {
    const tr = this.tr;
    const start = Math.floor(offset / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.ceil((offset + len) / PAGE_SIZE) * PAGE_SIZE - 1;
    if (tr.on) tr.enter('xfs_flush_unmap_range', { ino, start, end }, `xfs_flush_unmap_range writes back, unmaps and truncates bytes ${start}..${end} of inode ${ino}'s page cache (its DAX entries).`);
    const m = this.mapping(ino);
    const err = yield* dax_writeback_mapping_range(this.dax, m, start, end, true, who);
    if (!err) {
      this.as.unmap_mapping_pages(ino, start / PAGE_SIZE, (end + 1 - start) / PAGE_SIZE, 'truncate_pagecache_range unmaps the range from every process.');
      yield* truncateDaxEntries(this.dax, m, start / PAGE_SIZE, (end + 1) / PAGE_SIZE - 1, who);
    }
    if (tr.on) tr.leave('xfs_flush_unmap_range', err, err ? `The writeback failed (${err}).` : 'The range has no mappings and no DAX entries left.');
    return err;
  }

  private *sys_truncate(file: string, size: number, who: string): KGen<Json> {
    const ino = this.fs.lookup(file);
    if (isErr(ino)) return errJson(ino);
    const tr = this.tr;
    if (tr.on) tr.enter('xfs_vn_setattr_size', { ino, size }, `${who} truncates ${file} to ${size} bytes.`);
    const old = this.fs.size(ino);
    let r: Json = 0;
    if (size < old) {
      const newEndPage = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
      yield* this.breakLayout(ino, who);
      // truncate_setsize → truncate_pagecache: unmap, then drop the entries beyond EOF.
      // truncate_pagecache → unmap_mapping_range(..., even_cows = 1): private copies past EOF go too.
      this.as.unmap_mapping_pages(ino, newEndPage / PAGE_SIZE, Number.MAX_SAFE_INTEGER - newEndPage / PAGE_SIZE, 'truncate_pagecache unmaps everything beyond the new end of file, private copies included.', true);
      // 6.1: the layout break left the entries; truncate_inode_pages deletes those past EOF.
      if (this.config.kernel === '6.1' && this.fs.isDax(ino)) yield* truncateDaxEntries(this.dax, this.mapping(ino), newEndPage / PAGE_SIZE, Number.MAX_SAFE_INTEGER, who);
      // The EOF folio keeps the bytes below the new size; the rest of it is zeroed.
      if (!this.fs.isDax(ino)) yield* this.pagecache.truncateRange(ino, newEndPage / PAGE_SIZE, Number.MAX_SAFE_INTEGER, who, { start: size, end: Number.MAX_SAFE_INTEGER });
    } else if (size > old && !this.fs.isDax(ino)) {
      // xfs_setattr_size → xfs_zero_range(old, size - old): what a store left past the old EOF must not reappear.
      yield* this.pagecache.zeroRange(ino, old, size - old, who);
    }
    const e = this.fs.truncate(ino, size);
    if (isErr(e)) r = errJson(e);
    if (tr.on) tr.leave('xfs_vn_setattr_size', r, `truncate returns ${formatJson(r)}.`);
    return r;
  }

  private *sys_fallocate(file: string, offset: number, length: number, mode: 'punch' | 'keep' | 'alloc', who: string): KGen<Json> {
    const ino = this.fs.lookup(file);
    if (isErr(ino)) return errJson(ino);
    const tr = this.tr;
    const fn = 'xfs_file_fallocate';
    if (tr.on) tr.enter(fn, { ino, offset, length, mode: mode === 'punch' ? 'PUNCH_HOLE|KEEP_SIZE' : mode === 'keep' ? 'KEEP_SIZE' : '0' }, `${who} calls fallocate on ${file}${mode === 'punch' ? ' to punch a hole' : ''}.`);
    let r: Json = 0;
    if (length <= 0) r = errJson(kerr('EINVAL', 'fallocate needs a length above 0'));
    else {
      // xfs_file_fallocate breaks layouts for every mode (BREAK_UNMAP).
      yield* this.breakLayout(ino, who);
      if (mode === 'punch' && this.config.kernel === '6.1' && this.fs.isDax(ino)) {
        // xfs_free_file_space → xfs_flush_unmap_range: 6.1's break left the entries in place.
        const err = yield* this.flushUnmapRange61(ino, offset, length, who);
        if (err) {
          if (tr.on) tr.leave(fn, err, `fallocate returns ${err}.`);
          return err;
        }
      } else if (mode === 'punch') {
        const first = Math.ceil(offset / PAGE_SIZE);
        const last = Math.floor((offset + length) / PAGE_SIZE) - 1;
        if (last >= first) this.as.unmap_mapping_pages(ino, first, last - first + 1, 'truncate_pagecache_range unmaps the punched pages.');
        if (!this.fs.isDax(ino)) yield* this.pagecache.truncateRange(ino, Math.floor(offset / PAGE_SIZE), Math.floor((offset + length - 1) / PAGE_SIZE), who, { start: offset, end: offset + length - 1 });
      }
      const oldSize = this.fs.size(ino);
      if (mode === 'alloc' && offset + length > oldSize && !this.fs.isDax(ino)) yield* this.pagecache.zeroRange(ino, oldSize, offset + length - oldSize, who);
      const e = this.fs.fallocate(ino, offset, length, mode);
      if (isErr(e)) r = errJson(e);
    }
    if (tr.on) tr.leave(fn, r, `fallocate returns ${formatJson(r)}.`);
    return r;
  }

  private *sys_reflink(op: Extract<Op, { op: 'reflink' }>, who: string): KGen<Json> {
    const src = this.fs.lookup(op.src);
    if (isErr(src)) return errJson(src);
    const dst = this.fs.lookup(op.dst);
    if (isErr(dst)) return errJson(dst);
    const tr = this.tr;
    const whole = op.srcOffset === undefined && op.dstOffset === undefined && op.length === undefined;
    if (tr.on) tr.enter('xfs_file_remap_range', { src: op.src, dst: op.dst, srcOffset: op.srcOffset ?? 0, dstOffset: op.dstOffset ?? 0, length: op.length ?? 0 }, `${who} calls ${whole ? 'FICLONE' : 'FICLONERANGE'}: ${op.dst} is to share ${op.src}'s blocks.`);
    let r: Json;
    const pre = this.fs.remapPrepCheck(src, op.srcOffset ?? 0, dst, op.dstOffset ?? 0, op.length ?? 0, whole);
    if (isErr(pre)) r = errJson(pre);
    else {
      let dax61Err = 0;
      if (this.config.kernel === '6.1' && this.fs.isDax(src) && this.fs.isDax(dst)) {
        // 6.1 xfs_reflink_remap_prep: xfs_ilock2_io_mmap → xfs_iolock_two_inodes_and_break_layout
        // breaks file leases only; generic_remap_file_range_prep writes both ranges back; then
        // xfs_flush_unmap_range(dest) removes the destination's mappings and entries without
        // waiting for pins.
        if (tr.on) tr.emit({ t: 'note' }, '6.1: xfs_iolock_two_inodes_and_break_layout breaks lease layouts only (break_layout); no DAX layout is broken and no pin is waited for.');
        if (pre.length > 0) {
          dax61Err = yield* dax_writeback_mapping_range(this.dax, this.mapping(src), pre.srcOffset, pre.srcOffset + pre.length - 1, true, who);
          if (!dax61Err) dax61Err = yield* dax_writeback_mapping_range(this.dax, this.mapping(dst), pre.dstOffset, pre.dstOffset + pre.length - 1, true, who);
          const dsize = this.fs.size(dst);
          if (!dax61Err) dax61Err = pre.dstOffset > dsize ? yield* this.flushUnmapRange61(dst, dsize, pre.length + (pre.dstOffset - dsize), who) : yield* this.flushUnmapRange61(dst, pre.dstOffset, pre.length, who);
        }
      } else {
        // xfs_reflink_remap_prep: both inodes' DAX layouts are broken (xfs_mmaplock_two_inodes_and_break_dax_layout).
        yield* this.breakLayout(src, who);
        if (dst !== src) yield* this.breakLayout(dst, who);
      }
      // Page-cache files: write both ranges back, then drop the destination's cached pages so
      // they are read again from the shared blocks (generic_remap_file_range_prep, xfs_reflink_remap_prep).
      let wb = 0;
      if (pre.length > 0 && !this.fs.isDax(src)) wb = yield* this.pagecache.writeback(src, pre.srcOffset, pre.srcOffset + pre.length - 1, who);
      if (pre.length > 0 && !this.fs.isDax(dst)) {
        if (!wb) wb = yield* this.pagecache.writeback(dst, pre.dstOffset, pre.dstOffset + pre.length - 1, who);
        const first = Math.floor(pre.dstOffset / PAGE_SIZE);
        const last = Math.floor((pre.dstOffset + pre.length - 1) / PAGE_SIZE);
        this.as.unmap_mapping_pages(dst, first, last - first + 1, 'The clone replaces these pages of the destination: every mapping of them goes.', true);
        yield* this.pagecache.truncateRange(dst, first, last, who);
      }
      if (dax61Err) wb = dax61Err;
      const e = wb ? kerr('EIO', `writing back the page cache before the clone failed (${wb})`) : this.fs.clone(src, pre.srcOffset, dst, pre.dstOffset, pre.length, whole);
      r = isErr(e) ? errJson(e) : pre.length;
    }
    if (tr.on) tr.leave('xfs_file_remap_range', r, `The remap returns ${formatJson(r)}.`);
    return r;
  }

  private *sys_unlink(file: string, who: string): KGen<Json> {
    const ino = this.fs.lookup(file);
    if (isErr(ino)) return errJson(ino);
    const r = this.fs.unlink(file);
    if (!isErr(r) && this.fs.isGone(ino)) yield* this.evict(ino, who);
    return errJson(r);
  }

  /**
   * The last reference to an unlinked inode is gone: evict it. Modern kernels first wait until
   * no page of the file is pinned and delete its DAX entries (dax_break_layout_final); then the
   * page cache goes (truncate_inode_pages_final) and the address_space with it.
   */
  private *evict(ino: number, who: string): KGen<void> {
    if (this.config.kernel !== '6.1' && this.mappings.get(ino)?.nrpages && this.fs.isDax(ino)) {
      if (this.tr.on) this.tr.emit({ t: 'note' }, `Inode ${ino} is evicted: dax_break_layout_final waits (uninterruptibly) for any pinned page and deletes every DAX entry of the file, before XFS frees its blocks.`);
      yield* dax_break_layout(this.dax, this.mapping(ino), 0, Infinity, who);
    }
  }

  /** The inode is gone: its page cache is truncated (evict → truncate_inode_pages_final), then the address_space goes. */
  private evictMapping(ino: number): void {
    // 6.1 has no dax_break_layout_final: truncate_inode_pages_final deletes the DAX entries.
    if (this.config.kernel === '6.1' && this.mappings.get(ino)?.nrpages) runToEnd(truncateDaxEntries(this.dax, this.mapping(ino), 0, Number.MAX_SAFE_INTEGER, 'kernel'));
    runToEnd(this.pagecache.truncateRange(ino, 0, Number.MAX_SAFE_INTEGER, 'kernel'));
    const m = this.mappings.get(ino);
    if (m && m.nrpages === 0) this.mappings.delete(ino);
  }

  // ---- pins ------------------------------------------------------------------------------------

  private *sys_pin(op: Extract<Op, { op: 'pin' }>): KGen<Json> {
    const a = this.resolveAddr(op.addr);
    if (isErr(a)) return errJson(a);
    const mm = this.as.proc(op.proc);
    const len = op.length ?? PAGE_SIZE;
    const tr = this.tr;
    const label = op.as ?? `pin${this.pins.size + 1}`;
    if (tr.on) tr.enter('pin_user_pages', { proc: op.proc, addr: a, length: len, longterm: !!op.longterm }, `${op.proc} pins its pages for ${op.longterm ? 'long-term DMA (RDMA, vfio)' : 'an O_DIRECT transfer'}: FOLL_PIN${op.longterm ? '|FOLL_LONGTERM' : ''}.`);
    const pfns: number[] = [];
    let r: Json = null;
    body: {
      for (let p = Math.floor(a / PAGE_SIZE) * PAGE_SIZE; p < a + len; p += PAGE_SIZE) {
        const vma = this.as.find_vma(mm, p);
        if (!vma) {
          r = errJson(kerr('EFAULT', `no mapping at ${hex(p)}`));
          break body;
        }
        if (op.longterm && vma.ino !== null && this.fs.isDax(vma.ino)) {
          if (tr.on) tr.emit({ t: 'note' }, 'check_vma_flags refuses FOLL_LONGTERM on an fsdax VMA: a long-term pin would stop truncate and hole punch from ever freeing the blocks, because the filesystem cannot revoke the DMA.');
          r = errJson(kerr('EOPNOTSUPP', 'FOLL_LONGTERM pins are not supported on fsdax mappings'));
          break body;
        }
        let t = translate(this.as, mm, p, !!op.write);
        if (!t) {
          const ret = yield* handle_mm_fault(this.faultEnv, mm, p, !!op.write);
          if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_OOM)) {
            r = errJson(kerr('EFAULT', 'the pages could not be faulted in'));
            break body;
          }
          t = translate(this.as, mm, p, !!op.write);
        }
        if (!t) {
          r = errJson(kerr('EFAULT', 'the page is still not mapped after the fault'));
          break body;
        }
        const large = this.pages.folio_order(t.pfn) > 0;
        const bias = large ? 1 : GUP_PIN_COUNTING_BIAS;
        this.pages.folio_ref_add(t.pfn, bias, large ? 'a FOLL_PIN on a large folio adds one reference (and _pincount)' : `a FOLL_PIN adds GUP_PIN_COUNTING_BIAS (${GUP_PIN_COUNTING_BIAS}) references, so pins can be told from ordinary references`);
        pfns.push(t.pfn);
      }
      this.pins.set(label, { label, proc: op.proc, pfns });
      r = { pin: label, pfns: pfns.map((x) => hex(x)) };
    }
    if (isErrJson(r)) for (const pfn of pfns) this.unpinOne(pfn);
    if (tr.on) tr.leave('pin_user_pages', typeof r === 'object' && r && 'pin' in r ? pfns.length : r, isErrJson(r) ? `pin_user_pages fails: ${formatJson(r)}.` : `${countOf(pfns.length, 'page')} pinned as "${label}".`);
    return r;
  }

  private unpinOne(pfn: number): void {
    const large = this.pages.folio_order(pfn) > 0;
    this.pages.folio_put_refs(pfn, large ? 1 : GUP_PIN_COUNTING_BIAS, 'unpin_user_page drops the pin');
  }

  private sys_unpin(op: Extract<Op, { op: 'unpin' }>): Json {
    const p = this.pins.get(op.pin);
    if (!p) return errJson(kerr('EINVAL', `no pin is called "${op.pin}"`));
    return this.tr.call('unpin_user_pages', () => ({ pin: op.pin, pages: p.pfns.length }), () => `${op.proc} releases pin "${op.pin}": the DMA is over.`, () => {
      this.pins.delete(op.pin);
      for (const pfn of p.pfns) this.unpinOne(pfn);
      return 0;
    });
  }

  // ---- CPU accesses ----------------------------------------------------------------------------

  private signal(mm: Mm, sig: 'SIGBUS' | 'SIGSEGV', addr: number, why: string): Json {
    if (this.tr.on) this.tr.emit({ t: 'signal', pid: mm.pid, sig, addr, why }, `${mm.name} gets ${sig} at ${hex(addr)}: ${why}`);
    return { signal: sig, addr, why };
  }

  private *cpuAccess(op: Extract<Op, { op: 'load' | 'store' }>): KGen<Json> {
    const a = this.resolveAddr(op.addr);
    if (isErr(a)) return errJson(a);
    const mm = this.as.proc(op.proc);
    const write = op.op === 'store';
    const data = write ? storeBytes(op as Extract<Op, { op: 'store' }>) : null;
    const len = write ? data!.length : (op.len ?? 8);
    const out = new Uint8Array(write ? 0 : len);
    for (let done = 0; done < len; ) {
      const va = a + done;
      const n = Math.min(len - done, PAGE_SIZE - (va % PAGE_SIZE));
      let t = translate(this.as, mm, va, write);
      for (let tries = 0; !t && tries < 4; tries++) {
        const ret = yield* handle_mm_fault(this.faultEnv, mm, va, write);
        if (ret & VM_FAULT_SIGSEGV) return this.signal(mm, 'SIGSEGV', va, this.as.find_vma(mm, va) ? 'the mapping does not allow this access' : 'no mapping contains this address');
        if (ret & VM_FAULT_HWPOISON) return this.signal(mm, 'SIGBUS', va, 'the page has a memory error (BUS_MCEERR_AR)');
        if (ret & VM_FAULT_SIGBUS) return this.signal(mm, 'SIGBUS', va, this.sigbusWhy(mm, va));
        if (ret & VM_FAULT_OOM) return this.signal(mm, 'SIGBUS', va, 'out of memory');
        t = translate(this.as, mm, va, write);
      }
      if (!t) return this.signal(mm, 'SIGBUS', va, 'the fault did not install a usable entry');
      const off = va % PAGE_SIZE;
      if (this.phys.isPmemPfn(t.pfn)) {
        const devOff = this.phys.pfnToPmemOffset(t.pfn) + off;
        if (this.pmem.isPoisoned(Math.floor(devOff / PAGE_SIZE))) {
          if (this.tr.on) this.tr.emit({ t: 'note' }, `The ${write ? 'store' : 'load'} touches a poisoned pmem line: a machine check is raised.`);
          memory_failure(this, t.pfn, mm);
          return this.signal(mm, 'SIGBUS', va, 'the load hit a media error (machine check, BUS_MCEERR_AR)');
        }
        if (write) this.pmem.writeCached(devOff, data!.subarray(done, done + n));
        else out.set(this.pmem.read(devOff, n), done);
      } else if (write) {
        this.phys.writeDram(t.pfn, off, data!.subarray(done, done + n));
      } else {
        out.set(this.phys.readDram(t.pfn, off, n), done);
      }
      if (write && !t.pte.dirty) {
        const w = this.as.walk(mm, va)!;
        if (w.level === 'pmd') this.as.set_pmd(mm, w.base, { ...w.pte, dirty: true }, 'The CPU sets the dirty bit of the huge PMD on the first store.');
        else this.as.set_pte(mm, w.base, { ...w.pte, dirty: true }, 'The CPU sets the dirty bit of the PTE on the first store.');
      }
      if (this.tr.on)
        this.tr.emit({ t: 'note' }, write
          ? `${mm.name} stores ${countOf(n, 'byte')} at ${hex(va)} → pfn ${hex(t.pfn)}${this.phys.isPmemPfn(t.pfn) ? `: ${n === 1 ? 'it sits' : 'they sit'} in the CPU cache until flushed` : ' (DRAM)'}.`
          : `${mm.name} loads ${countOf(n, 'byte')} at ${hex(va)} from pfn ${hex(t.pfn)}${t.pfn === this.phys.zeroPagePfn ? ' (the zero page)' : ''}.`);
      done += n;
    }
    return write ? len : { bytes: len, data: bytesJson(out) };
  }

  private sigbusWhy(mm: Mm, va: number): string {
    const vma = this.as.find_vma(mm, va);
    if (vma && vma.ino !== null) {
      const pgoff = linear_page_index(vma, va);
      if (pgoff * PAGE_SIZE >= this.fs.size(vma.ino)) return 'the address is beyond the end of the file';
    }
    return 'the file system could not provide the page';
  }

  /** A user-level flush: CLWB every line of the range, then SFENCE. */
  private *userFlush(op: Extract<Op, { op: 'flush' }>): KGen<Json> {
    const a = this.resolveAddr(op.addr);
    if (isErr(a)) return errJson(a);
    const mm = this.as.proc(op.proc);
    let lines = 0;
    if (this.tr.on) this.tr.enter('clwb+sfence', { proc: op.proc, addr: a, length: op.length }, `${op.proc} flushes [${hex(a)}, ${hex(a + op.length)}) from user space (CLWB each line, then SFENCE), as libpmem's pmem_persist does.`);
    for (let va = a; va < a + op.length; ) {
      const n = Math.min(a + op.length - va, PAGE_SIZE - (va % PAGE_SIZE));
      let t = translate(this.as, mm, va, false);
      if (!t) {
        const ret = yield* handle_mm_fault(this.faultEnv, mm, va, false);
        if (ret & (VM_FAULT_SIGSEGV | VM_FAULT_SIGBUS)) {
          if (this.tr.on) this.tr.leave('clwb+sfence', lines, 'The flush stopped at an address that cannot be mapped.');
          return this.signal(mm, ret & VM_FAULT_SIGSEGV ? 'SIGSEGV' : 'SIGBUS', va, 'CLWB of an address that cannot be mapped');
        }
        t = translate(this.as, mm, va, false);
      }
      if (t && this.phys.isPmemPfn(t.pfn)) lines += this.pmem.flush(this.phys.pfnToPmemOffset(t.pfn) + (va % PAGE_SIZE), n);
      va += n;
    }
    if (this.tr.on) this.tr.leave('clwb+sfence', lines, `${countOf(lines, 'dirty cache line')} written back to the media.`);
    return lines;
  }

  // ---- power failure and memory failure ----------------------------------------------------------

  /** Power is lost: volatile state goes, the media keeps what was durable, the log is replayed. */
  private crash(): Json {
    const tr = this.tr;
    if (tr.on) tr.emit({ t: 'note' }, 'Power failure. Everything in DRAM is lost: page tables, page cache, the XArrays, struct pages in DRAM. Only the pmem media survives.');
    for (const t of this.tasks) t.state = 'done';
    this.tasks = [];
    // No kernel code runs at power loss: DRAM simply forgets. The simulator clears what DRAM held
    // with its ordinary functions, emitting their state changes (a viewer replays them) but not
    // their calls, which would show kernel functions that never ran.
    tr.muteCalls(() => {
      for (const mm of [...this.as.procs.values()]) for (const v of [...mm.vmas]) this.unmapVmaRange(v, v.start, v.end);
      // The memmap lives in DRAM and is rebuilt at boot: the pins' references go with it.
      for (const p of this.pins.values()) for (const pfn of p.pfns) this.unpinOne(pfn);
      this.pins.clear();
      this.pagecache.dropAll();
      for (const m of this.mappings.values()) this.dropAllEntries(m);
    }, lostWithDram);
    const r = this.pmem.powerFail();
    if (tr.on) tr.emit({ t: 'note' }, this.config.platform === 'eadr'
      ? `eADR drains the CPU caches to the media on power loss: ${countOf(r.drainedLines, 'dirty line')} saved.`
      : `ADR drains only the memory controller's queues: ${countOf(r.lostLines, 'dirty cache line')} never reached the media and ${r.lostLines === 1 ? 'is' : 'are'} lost.`);
    this.fs.crashRecover();
    this.labels.clear();
    return { lostLines: r.lostLines, drainedLines: r.drainedLines };
  }

  /** Remove every entry of a mapping without writeback (the machine is going down). */
  private dropAllEntries(m: AddressSpace): void {
    const g = dax_break_layout(this.dax, m, 0, Infinity, 'kernel');
    for (let r = g.next(); !r.done; r = g.next()) {
      // Nothing can be busy after every mapping and pin is gone; a sleep here is a model bug.
      throw new Error(`crash teardown slept on ${r.value.queue}`);
    }
    if (this.config.kernel !== 'modern') {
      // 6.1's layout break does not delete entries; truncate does, so do that here.
      runToEnd(truncateDaxEntries(this.dax, m, 0, Number.MAX_SAFE_INTEGER, 'kernel'));
    }
  }

  private poison(op: Extract<Op, { op: 'poison' }>): Json {
    let pfn: number;
    if (op.pfn !== undefined) pfn = op.pfn;
    else if (op.file !== undefined) {
      const ino = this.fs.lookup(op.file);
      if (isErr(ino)) return errJson(ino);
      const dev = this.fs.devOffsetOf(ino, op.offset ?? 0);
      if (dev === null) return errJson(kerr('EINVAL', `${op.file} has no block at offset ${op.offset ?? 0}`));
      pfn = this.phys.pmemOffsetToPfn(dev - (dev % PAGE_SIZE));
    } else return errJson(kerr('EINVAL', 'poison needs a pfn, or a file and an offset'));
    if (!this.phys.isPmemPfn(pfn)) return errJson(kerr('EINVAL', `pfn ${hex(pfn)} is not on the pmem device`));
    return memory_failure(this, pfn, null);
  }

  // ---- state ----------------------------------------------------------------------------------

  /** Everything a checker or the --json runner needs, deterministic. */
  dumpState(): Json {
    return dumpMachine(this);
  }

  /** Run every invariant check; violations are data. */
  check(): Violation[] {
    return checkMachine(this);
  }

  /** Number of DRAM and pmem pages in use, for comparisons between mounts. */
  get currentTask(): Task<Json> | null {
    return this.current;
  }
}

/** The files a system call names (and so holds open while it runs). */
function opFiles(op: Op): string[] {
  switch (op.op) {
    case 'write':
    case 'read':
    case 'fsync':
    case 'truncate':
    case 'punch':
    case 'fallocate':
      return [op.file];
    case 'reflink':
      return [op.src, op.dst];
    case 'unlink':
      return [op.file];
    default:
      return [];
  }
}

function classify(r: Json): OpOutcome['status'] {
  if (r && typeof r === 'object' && !Array.isArray(r)) {
    if ('errno' in r) return 'error';
    if ('signal' in r) return 'signal';
  }
  return 'done';
}

export function errJson(r: unknown): Json {
  if (r instanceof KErr) return { errno: r.errno, code: -ERRNO[r.errno], why: r.why };
  return (r ?? 0) as Json;
}

function isErrJson(r: Json): boolean {
  return !!r && typeof r === 'object' && !Array.isArray(r) && 'errno' in r;
}

const bytesJson = (b: Uint8Array): string => bytesText(b);

/** `n` and a noun, singular for one ("1 byte", "3 bytes"). */
function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function storeBytes(op: Extract<Op, { op: 'store' }>): Uint8Array {
  if (op.data !== undefined) return new TextEncoder().encode(op.data);
  const len = op.len ?? 1;
  return new Uint8Array(len).fill((op.value ?? 0) & 0xff);
}

function opArgs(op: Op): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(op)) if (k !== 'op' && k !== 'note' && v !== undefined) out[k] = v as Json;
  return out;
}

export function describeOp(op: Op): string {
  const who = 'proc' in op && op.proc ? `${op.proc}: ` : '';
  const addr = (a: Addr) => (typeof a === 'number' ? hex(a) : `${a.map}+${hex(a.offset ?? 0)}`);
  switch (op.op) {
    case 'create':
      return `Create the file ${op.file}.`;
    case 'write':
      return `${who}write(2) ${op.data !== undefined ? JSON.stringify(op.data) : countOf(op.len ?? 0, 'byte')} to ${op.file} at offset ${op.offset}.`;
    case 'read':
      return `${who}read(2) ${countOf(op.len, 'byte')} of ${op.file} at offset ${op.offset}.`;
    case 'mmap':
      return `${who}mmap ${op.length} bytes of ${op.file} (${op.flags ?? 'shared'}, ${op.prot ?? 'rw'}).`;
    case 'munmap':
      return `${who}munmap ${addr(op.addr)}.`;
    case 'mprotect':
      return `${who}mprotect ${addr(op.addr)} to ${op.prot}.`;
    case 'load':
      return `${who}load ${countOf(op.len ?? 8, 'byte')} from ${addr(op.addr)}.`;
    case 'store':
      return `${who}store ${op.data !== undefined ? JSON.stringify(op.data) : countOf(op.len ?? 1, 'byte')} at ${addr(op.addr)}.`;
    case 'msync':
      return `${who}msync ${addr(op.addr)} (${op.async ? 'MS_ASYNC' : 'MS_SYNC'}).`;
    case 'fsync':
      return `${who}${op.datasync ? 'fdatasync' : 'fsync'} ${op.file}.`;
    case 'truncate':
      return `${who}truncate ${op.file} to ${op.size} bytes.`;
    case 'punch':
      return `${who}punch a hole in ${op.file} at ${op.offset}+${op.length}.`;
    case 'fallocate':
      return `${who}fallocate ${op.file} ${op.offset}+${op.length}${op.keepSize ? ' (KEEP_SIZE)' : ''}.`;
    case 'reflink':
      return `${who}reflink ${op.src} into ${op.dst}.`;
    case 'pin':
      return `${who}pin the pages at ${addr(op.addr)}${op.longterm ? ' long-term' : ''}.`;
    case 'unpin':
      return `${who}release pin ${op.pin}.`;
    case 'flush':
      return `${who}flush ${addr(op.addr)}+${op.length} from user space.`;
    case 'crash':
      return 'Power failure.';
    case 'poison':
      return op.pfn !== undefined ? `A media error at pfn ${hex(op.pfn)}.` : `A media error under ${op.file} at offset ${op.offset ?? 0}.`;
    case 'unlink':
      return `${who}unlink ${op.file}.`;
    case 'resume':
      return `Resume ${op.proc}.`;
  }
}

export { PG_PMD_NR, VM_SHARED, MAP_PRIVATE };
