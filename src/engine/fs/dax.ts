/**
 * fs/dax.c: direct access to persistent memory for a filesystem's files.
 *
 * A DAX file has no page cache. Its address_space XArray holds small value entries that say
 * which pmem pfn backs each file page (or that the page is a hole mapped to the zero page, or
 * that a fault is in progress), and the entry itself is the lock that serialises faults,
 * writeback and truncate on that page. This file models the fault handler, entry locking,
 * writeback, layout breaking for truncate, and read/write(2).
 *
 * Conventions in this file:
 *   xas     - an XArray cursor on the file's i_pages (the kernel's xa_state).
 *   entry   - a DAX value entry (see dax-entry.ts), or null.
 *   vmf     - the description of one fault: VMA, address, file page offset, flags.
 *   pgoff   - file page index; pos - file byte offset; pfn - page frame number.
 *   locked  - an entry with DAX_LOCKED set; only one task holds it at a time.
 *
 * What this model leaves out: RCU and the xa_lock (every XArray step is atomic here), memory
 * allocation failure (no VM_FAULT_OOM), FAULT_FLAG_RETRY (the kernel ignores it too), the
 * dax_read_lock SRCU, CONFIG_FS_DAX_LIMITED. Model note: iomap_iter's begin/end pairs are
 * called directly (one iteration per fault, as a 4 KiB or 2 MiB fault always is).
 */
import {
  IOMAP_WRITE, IOMAP_ZERO, IOMAP_FAULT, IOMAP_DIRECT, IOMAP_UNSHARE, IOMAP_DAX, IOMAP_F_NEW, IOMAP_F_DIRTY, IOMAP_F_SHARED,
  type Iomap, type IomapPair,
} from './iomap';
import { PAGE_SIZE, PMD_SIZE, PG_PMD_COLOUR, PG_PMD_NR, PMD_ORDER } from '../constants';
import { isErr, kerr, type KErr } from '../errno';
import { formatJson, hex, type Json, type PteRef, type Tracer } from '../trace/steps';
import type { KernelVersion } from '../version';
import type { KGen, Sleep } from '../kernel/sched';
import {
  XA_STATE,
  XA_STATE_ORDER,
  XA_RETRY_ENTRY,
  xa_is_value,
  xas_find_conflict,
  xas_load,
  xas_store,
  xas_set_mark,
  xas_clear_mark,
  xas_get_mark,
  xas_find_marked,
  xas_find,
  xas_next_marked,
  xas_reset,
  type XArray,
  type XaState,
} from '../lib/xarray';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE } from '../lib/pagecache-tags';
import {
  DAX_EMPTY,
  DAX_PMD,
  DAX_ZERO_PAGE,
  dax_entry_order,
  dax_is_empty_entry,
  dax_is_locked,
  dax_is_pmd_entry,
  dax_is_pte_entry,
  dax_is_zero_entry,
  dax_make_entry,
  dax_to_pfn,
  daxLock,
  daxUnlocked,
  describeDaxEntry,
} from './dax-entry';
import type { DaxOwnershipPolicy, EntryView } from './dax-policy';
import {
  VM_FAULT_DONE_COW,
  VM_FAULT_ERROR,
  VM_FAULT_FALLBACK,
  VM_FAULT_MAJOR,
  VM_FAULT_NEEDDSYNC,
  VM_FAULT_NOPAGE,
  VM_FAULT_SIGBUS,
  VM_FAULT_HWPOISON,
  FAULT_FLAG_WRITE,
  VM_FAULT_NAMES,
  printFlags,
} from '../mm/fault-flags';
import { VM_SHARED, VM_SYNC, linear_page_index, type AddressSpaces, type Mm, type Vma } from '../mm/mm';

// ---- iomap, as the filesystem answers it -------------------------------------------------

export {
  IOMAP_WRITE, IOMAP_ZERO, IOMAP_REPORT, IOMAP_FAULT, IOMAP_DIRECT, IOMAP_NOWAIT, IOMAP_OVERWRITE_ONLY, IOMAP_UNSHARE, IOMAP_DAX,
  IOMAP_F_NEW, IOMAP_F_DIRTY, IOMAP_F_SHARED,
} from './iomap';
export type { IomapType, Iomap, IomapPair } from './iomap';

/** The filesystem's iomap_ops as DAX sees them. */
export interface IomapOps {
  readonly name: string;
  iomap_begin(ino: number, pos: number, length: number, flags: number): IomapPair | KErr;
  iomap_end?(ino: number, pos: number, length: number, written: number, flags: number, iomap: Iomap): void | KErr;
}

export function iomapDescribe(m: Iomap): Json {
  const f: string[] = [];
  if (m.flags & IOMAP_F_NEW) f.push('NEW');
  if (m.flags & IOMAP_F_DIRTY) f.push('DIRTY');
  if (m.flags & IOMAP_F_SHARED) f.push('SHARED');
  return { type: m.type, flags: f.join('|'), addr: m.addr, offset: m.offset, length: m.length };
}

// ---- the environment DAX runs in ---------------------------------------------------------

/** A file's address_space as DAX uses it. */
export interface AddressSpace {
  host: number;
  i_pages: XArray;
  nrpages: number;
}

/** The fault being handled. Kernel: struct vm_fault. */
export interface VmFault {
  vma: Vma;
  mm: Mm;
  address: number;
  pgoff: number;
  flags: number;
  /** the anonymous page a MAP_PRIVATE write fault copies into, or null */
  cow_page: number | null;
  /** who takes the fault, for wait narration */
  who: string;
}

/** Everything fs/dax.c reaches outside itself. The machine provides it. */
export interface DaxEnv {
  tr: Tracer;
  version: KernelVersion;
  policy: DaxOwnershipPolicy;
  mm: AddressSpaces;
  /** major:minor of the filesystem's device, for tracepoints */
  dev: [number, number];
  mapping(ino: number): AddressSpace;
  i_size(ino: number): number;
  /** pmem_dax_direct_access: pfn of a device byte offset, or an error for poisoned media */
  direct_access(devOff: number, size: number): { pfn: number } | KErr;
  pfnToDevOff(pfn: number): number;
  zeroPfn(): number;
  hugeZeroPfn(): number | null;
  /** take or drop a page reference (folio_get / folio_put) */
  folioRef(pfn: number, delta: 1 | -1, why: string): void;
  /** add or remove a mapcount (rmap) */
  folioMapcount(pfn: number, delta: 1 | -1, level: 'pte' | 'pmd', why: string): void;
  /** CLWB a range of the device if the platform needs it (dax_flush) */
  dax_flush(devOff: number, len: number): void;
  /** copy_mc_to_kernel between device ranges (CoW of a shared block) */
  devCopy(srcOff: number, dstOff: number, len: number): void;
  devZero(devOff: number, len: number, why: string): void;
  /** copy a device page (or zeros) into a DRAM page (MAP_PRIVATE CoW) */
  copyToDram(srcDevOff: number | null, dramPfn: number): void;
  /** vfs_fsync_range for MAP_SYNC: commits the filesystem log */
  vfs_fsync_range(ino: number, start: number, end: number, datasync: boolean): KGen<number>;
  mark_inode_dirty_pages(ino: number): void;
  wake(queue: string, all: boolean, why: string): number;
  /** a named preemption point a scenario may stop at */
  preempt(point: string, who: string): KGen<void>;
  warn(fn: string, cond: string, text: string): void;
  nrpagesChanged(mapping: AddressSpace, delta: number, why: string): void;
}

// ---- entry locking -------------------------------------------------------------------------

export const WAKE_ALL = true;
export const WAKE_NEXT = false;

/** Kernel: fs/dax.c dax_entry_waitqueue(): the hashed queue for an entry (PMD-aligned key). */
export function dax_entry_waitqueue(mapping: AddressSpace, index: number, entry: number | null): string {
  const key = entry !== null && dax_is_pmd_entry(entry) ? index - (index % PG_PMD_NR) : index;
  return `dax-entry:${mapping.host}:${key}`;
}

function entryView(env: DaxEnv, entry: number): EntryView {
  void env;
  return { pfn: dax_to_pfn(entry), pmd: dax_is_pmd_entry(entry), zeroOrEmpty: dax_is_zero_entry(entry) || dax_is_empty_entry(entry) };
}

/** Kernel: fs/dax.c dax_wake_entry() */
function dax_wake_entry(env: DaxEnv, mapping: AddressSpace, index: number, entry: number, all: boolean): void {
  env.wake(dax_entry_waitqueue(mapping, index, entry), all, `dax_wake_entry wakes ${all ? 'every task' : 'one task'} waiting for the entry at index ${index}.`);
}

/**
 * Look up the entry for xas's range, sleeping while it is locked. Returns null, the entry
 * (unlocked), XA_RETRY_ENTRY when the entry found is smaller than `order` (a conflict), or a
 * non-value entry.
 * Kernel: fs/dax.c get_next_unlocked_entry() (v6.1: get_unlocked_entry())
 */
export function* get_next_unlocked_entry(env: DaxEnv, xas: XaState, mapping: AddressSpace, order: number, who: string): KGen<unknown> {
  for (;;) {
    const entry = xas_find_conflict(xas);
    if (!entry) return entry;
    if (!xa_is_value(entry)) {
      // v6.1 names this lookup get_unlocked_entry(); the behaviour is the same.
      env.warn(env.version === '6.1' ? 'get_unlocked_entry' : 'get_next_unlocked_entry', '!xa_is_value(entry)', 'A DAX file\'s XArray holds something that is not a DAX entry.');
      return entry;
    }
    const e = entry as number;
    if (dax_entry_order(e) < order) return XA_RETRY_ENTRY;
    if (!dax_is_locked(e)) return e;
    const queue = dax_entry_waitqueue(mapping, xas.xa_index, e);
    const sleep: Sleep = { queue, kind: 'wait', why: `${who} waits: the ${describeDaxEntry(e)} at index ${xas.xa_index} is locked by another task.` };
    yield sleep;
    xasReset(xas);
  }
}

/** Kernel: fs/dax.c dax_lock_entry(): re-store the entry with DAX_LOCKED; returns the old entry. */
function dax_lock_entry(xas: XaState, entry: number): unknown {
  return xas_store(xas, daxLock(entry));
}

/** Kernel: fs/dax.c dax_unlock_entry() */
function dax_unlock_entry(env: DaxEnv, xas: XaState, mapping: AddressSpace, entry: number): void {
  xasReset(xas);
  const old = xas_store(xas, daxUnlocked(entry));
  if (typeof old !== 'number' || !dax_is_locked(old)) env.warn('dax_unlock_entry', '!dax_is_locked(old)', 'Unlocking an entry that was not locked.');
  dax_wake_entry(env, mapping, xas.xa_index, entry, WAKE_NEXT);
}

/** Kernel: fs/dax.c put_unlocked_entry() */
function put_unlocked_entry(env: DaxEnv, xas: XaState, mapping: AddressSpace, entry: unknown, all: boolean): void {
  if (typeof entry === 'number') dax_wake_entry(env, mapping, xas.xa_index, entry, all);
}

const xasReset = xas_reset;

/** A fault result as an internal entry (grab_mapping_entry returns one on failure). */
export interface FaultResult {
  vmfault: number;
}
function isFault(x: unknown): x is FaultResult {
  return typeof x === 'object' && x !== null && 'vmfault' in x;
}

/**
 * Find the entry at xas's index and return it locked; if there is none, insert a locked empty
 * entry of the requested order. PTE entries always win over PMD entries: an order-9 request
 * over any PTE entry returns VM_FAULT_FALLBACK, and an order-0 request over an empty or zero
 * PMD entry removes (downgrades) the PMD entry first. A PMD entry backed by real storage stays
 * and serves the PTE fault.
 * Kernel: fs/dax.c grab_mapping_entry()
 */
export function* grab_mapping_entry(env: DaxEnv, xas: XaState, mapping: AddressSpace, order: number, who: string): KGen<number | FaultResult> {
  const tr = env.tr;
  const index = xas.xa_index;
  if (tr.on) tr.enter('grab_mapping_entry', { ino: mapping.host, index, order }, `grab_mapping_entry looks for the entry at index ${index} (order ${order}) and locks it, or inserts a locked empty one.`);
  const done = (r: number | FaultResult): number | FaultResult => {
    if (tr.on)
      tr.leave('grab_mapping_entry', isFault(r) ? printFlags(r.vmfault, VM_FAULT_NAMES) : describeDaxEntry(r),
        isFault(r) ? `grab_mapping_entry returns VM_FAULT_${printFlags(r.vmfault, VM_FAULT_NAMES)}: a smaller entry already covers part of the range.` : `grab_mapping_entry returns the locked ${describeDaxEntry(r)}.`);
    return r;
  };
  let entry = yield* get_next_unlocked_entry(env, xas, mapping, order, who);
  if (entry) {
    if (entry === XA_RETRY_ENTRY) return done({ vmfault: VM_FAULT_FALLBACK });
    if (!xa_is_value(entry)) return done({ vmfault: VM_FAULT_SIGBUS });
    const e = entry as number;
    if (order === 0 && dax_is_pmd_entry(e) && (dax_is_zero_entry(e) || dax_is_empty_entry(e))) {
      // PMD downgrade: an empty or zero PMD entry gives way to PTE entries.
      if (tr.on) tr.emit({ t: 'note' }, `A PTE fault found a ${dax_is_zero_entry(e) ? 'zero' : 'empty'} PMD entry: it is removed so that PTE entries can take its place.`);
      dax_lock_entry(xas, e);
      if (dax_is_zero_entry(e)) {
        const first = index - (index % PG_PMD_NR);
        env.mm.unmap_mapping_pages(mapping.host, first, PG_PMD_NR, 'unmap_mapping_pages removes the huge zero-page mapping from every process before the PMD entry is split.');
      }
      env.policy.dax_disassociate_entry(entryView(env, e), mapping.host, false);
      xasReset(xas);
      const pmdXas = XA_STATE_ORDER(mapping.i_pages, index - (index % PG_PMD_NR), PMD_ORDER);
      xas_store(pmdXas, null);
      dax_wake_entry(env, mapping, index, e, WAKE_ALL);
      env.nrpagesChanged(mapping, -PG_PMD_NR, 'The PMD entry is gone, so mapping->nrpages drops by 512.');
      entry = null;
      xasReset(xas);
    }
  }
  if (entry) {
    const e = entry as number;
    dax_lock_entry(xas, e);
    return done(daxLock(e));
  }
  const flags = DAX_EMPTY | (order > 0 ? DAX_PMD : 0);
  const empty = dax_make_entry(0, flags);
  dax_lock_entry(xas, empty);
  env.nrpagesChanged(mapping, 1 << order, `A locked empty ${order ? 'PMD' : 'PTE'} entry reserves the index while the fault runs; nrpages grows by ${1 << order}.`);
  return done(daxLock(empty));
}

// ---- tracepoints -------------------------------------------------------------------------

function tpPte(env: DaxEnv, name: string, vmf: VmFault, result: number): void {
  if (!env.tr.on) return;
  env.tr.emit(
    { t: 'tp', name, fields: { dev: env.dev, ino: vmf.vma.ino!, vm_flags: vmf.vma.flags, address: vmf.address, pgoff: vmf.pgoff, flags: vmf.flags, result } },
    `tracepoint fs_dax:${name}${result ? ` (${printFlags(result, VM_FAULT_NAMES)})` : ''}.`,
  );
}

function tpPmd(env: DaxEnv, name: string, vmf: VmFault, max_pgoff: number, result: number): void {
  if (!env.tr.on) return;
  env.tr.emit(
    {
      t: 'tp',
      name,
      fields: {
        dev: env.dev, ino: vmf.vma.ino!, vm_start: vmf.vma.start, vm_end: vmf.vma.end, vm_flags: vmf.vma.flags,
        address: vmf.address, pgoff: vmf.pgoff, max_pgoff, flags: vmf.flags, result,
      },
    },
    `tracepoint fs_dax:${name}${result ? ` (${printFlags(result, VM_FAULT_NAMES)})` : ''}.`,
  );
}

function tpLoadHole(env: DaxEnv, name: string, vmf: VmFault, zeroPfn: number | null, entry: number): void {
  if (!env.tr.on) return;
  env.tr.emit(
    { t: 'tp', name, fields: { dev: env.dev, ino: vmf.vma.ino!, vm_flags: vmf.vma.flags, address: vmf.address, zero_page: zeroPfn, radix_entry: entry } },
    `tracepoint fs_dax:${name}.`,
  );
}

// ---- inserting the entry and the page-table entry ----------------------------------------

/** MAP_SYNC write faults must commit metadata before the PTE is installed. Kernel: dax_fault_is_synchronous() */
function dax_fault_is_synchronous(iterFlags: number, vma: Vma, iomap: Iomap): boolean {
  return (iterFlags & IOMAP_WRITE) !== 0 && (vma.flags & VM_SYNC) !== 0 && (iomap.flags & IOMAP_F_DIRTY) !== 0;
}

/**
 * Put the entry for pfn into the XArray in place of `entry` (which we hold locked), keeping
 * an existing data entry, and set the DIRTY / TOWRITE marks a write needs.
 * Kernel: fs/dax.c dax_insert_entry()
 */
export function dax_insert_entry(env: DaxEnv, xas: XaState, vmf: VmFault, iterFlags: number, iomap: Iomap, entry: number, pfn: number, flags: number): number {
  const tr = env.tr;
  const mapping = env.mapping(vmf.vma.ino!);
  const newEntry = dax_make_entry(pfn, flags);
  const write = (iterFlags & IOMAP_WRITE) !== 0;
  const v61 = env.version === '6.1';
  // 6.1 (dax_insert_entry before "fsdax: introduce page->share for fsdax in reflink mode"):
  // every non-synchronous fault dirties, read faults included.
  const dirty = (write || v61) && !dax_fault_is_synchronous(iterFlags, vmf.vma, iomap);
  const shared = (iomap.flags & IOMAP_F_SHARED) !== 0;
  // What takes the replace path: modern, any fault on a shared range; 6.1, only a copy-on-write
  // fault (dax_fault_is_cow: a write to a shared range).
  const replace = v61 ? write && shared : shared;
  if (tr.on)
    tr.enter('dax_insert_entry', v61 ? { index: xas.xa_index, old: describeDaxEntry(entry), new: describeDaxEntry(newEntry), write, cow: replace } : { index: xas.xa_index, old: describeDaxEntry(entry), new: describeDaxEntry(newEntry), write, shared },
      `dax_insert_entry records ${describeDaxEntry(newEntry)} for index ${xas.xa_index}${v61 ? (replace ? ' (copy-on-write of a shared block)' : shared ? ' (the block is shared, but a read is not copy-on-write in 6.1)' : '') : shared ? ' (the block is shared with another file)' : ''}.`);

  if (dirty) env.mark_inode_dirty_pages(mapping.host);
  if (v61 && dirty && !write && tr.on) tr.emit({ t: 'note' }, '6.1: dirty is "not a synchronous fault", so this read fault marks the inode dirty and will tag the entry DIRTY too.');

  if (replace || (dax_is_zero_entry(entry) && !(flags & DAX_ZERO_PAGE))) {
    const index = xas.xa_index;
    const why = replace
      ? v61
        ? 'Copy-on-write of a shared block: every mapping of this index in this file is removed so it can be re-established on the new block.'
        : 'The page is shared (reflink): every mapping of this index in this file is removed so it can be re-established on the right block.'
      : 'A zero page is being replaced by real storage: every process mapping the zero page here loses that mapping.';
    if (dax_is_pmd_entry(entry)) env.mm.unmap_mapping_pages(mapping.host, index - (index % PG_PMD_NR), PG_PMD_NR, why);
    else env.mm.unmap_mapping_pages(mapping.host, index, 1, why);
  }

  xasReset(xas);
  let result = entry;
  if (replace || dax_is_zero_entry(entry) || dax_is_empty_entry(entry)) {
    env.policy.dax_disassociate_entry(entryView(env, entry), mapping.host, false);
    const size = flags & DAX_PMD ? PMD_SIZE : PAGE_SIZE;
    const start = vmf.address - (vmf.address % size);
    env.policy.dax_associate_entry(entryView(env, newEntry), mapping.host, linear_page_index(vmf.vma, start), replace);
    const old = dax_lock_entry(xas, newEntry);
    if (old !== daxLock(entry)) env.warn('dax_insert_entry', 'old != locked(entry)', 'The XArray held something other than the entry this fault locked.');
    result = newEntry;
  } else {
    xas_load(xas);
    if (tr.on) tr.emit({ t: 'note' }, `A data entry is already present (${describeDaxEntry(entry)}); it stays as it is.`);
  }

  if (dirty) xas_set_mark(xas, PAGECACHE_TAG_DIRTY);
  // Modern: write && shared; 6.1: cow, which is the same condition.
  if (write && shared) xas_set_mark(xas, PAGECACHE_TAG_TOWRITE);
  if (tr.on) tr.leave('dax_insert_entry', describeDaxEntry(result), `dax_insert_entry leaves ${describeDaxEntry(result)}${dirty ? ', tagged DIRTY' : ''}${write && shared ? ' and TOWRITE' : ''}.`);
  return result;
}

function pteOf(pfn: number, write: boolean, huge: boolean, special: boolean): PteRef {
  return { pfn, present: true, write, dirty: write, huge, special, anon: false };
}

/**
 * Install a PTE for a DAX page (or the zero page), or make an existing one writable.
 * Kernel: mm/memory.c vmf_insert_page_mkwrite() (6.15+); 6.1: vmf_insert_mixed[_mkwrite]().
 */
export function vmf_insert_page_mkwrite(env: DaxEnv, vmf: VmFault, pfn: number, write: boolean, zero: boolean): number {
  const mm = env.mm;
  const addr = vmf.address - (vmf.address % PAGE_SIZE);
  const fn = env.version === 'modern' ? 'vmf_insert_page_mkwrite' : write ? 'vmf_insert_mixed_mkwrite' : 'vmf_insert_mixed';
  return env.tr.call(fn, () => ({ address: addr, pfn, write }), () => `${fn} puts pfn ${hex(pfn)} into ${vmf.who}'s page table at ${hex(addr)}${write ? ', writable' : ', read-only'}.`, () => {
    const cur = mm.pte(vmf.mm, addr);
    if (cur) {
      if (!write) return VM_FAULT_NOPAGE;
      if (cur.pfn !== pfn) {
        if (env.version === 'modern') env.warn(fn, 'pte_pfn(entry) != pfn', 'A present PTE points at a different page than the one being made writable.');
        // 6.1 insert_pfn: leave the PTE alone, warning once unless it maps the zero page.
        else if (cur.pfn !== env.zeroPfn()) env.warn('insert_pfn', '!is_zero_pfn(pte_pfn(*pte))', 'A present PTE points at a different page than the one being made writable; it is left alone.');
        else if (env.tr.on) env.tr.emit({ t: 'note' }, 'insert_pfn: the present PTE maps the zero page, not this pfn: it is left alone and the access faults again.');
        return VM_FAULT_NOPAGE;
      }
      mm.set_pte(vmf.mm, addr, { ...cur, write: true, dirty: true }, 'The PTE already maps this page; it is made writable and dirty.');
      return VM_FAULT_NOPAGE;
    }
    const special = zero || !env.policy.mapTakesReference;
    if (!special) {
      env.folioRef(pfn, 1, 'folio_get: the new PTE holds a reference on the page.');
      env.folioMapcount(pfn, 1, 'pte', 'folio_add_file_rmap_pte: the page gains one mapping.');
    }
    mm.set_pte(vmf.mm, addr, pteOf(pfn, write, false, special), zero ? 'A read-only PTE to the shared zero page: reads of the hole see zeros.' : `A PTE now maps pfn ${hex(pfn)}${write ? ' writable and dirty' : ' read-only'}.`);
    return VM_FAULT_NOPAGE;
  }, (r) => printFlags(r, VM_FAULT_NAMES));
}

/**
 * Install a huge PMD for a 2 MiB DAX folio, or make an existing one writable.
 * Kernel: mm/huge_memory.c vmf_insert_folio_pmd() (6.15+); 6.1: vmf_insert_pfn_pmd().
 */
export function vmf_insert_folio_pmd(env: DaxEnv, vmf: VmFault, pfn: number, write: boolean): number {
  const mm = env.mm;
  const addr = vmf.address - (vmf.address % PMD_SIZE);
  const fn = env.version === 'modern' ? 'vmf_insert_folio_pmd' : 'vmf_insert_pfn_pmd';
  return env.tr.call(fn, () => ({ address: addr, pfn, write }), () => `${fn} maps the 2 MiB at pfn ${hex(pfn)} with one huge PMD at ${hex(addr)}.`, () => {
    const cur = mm.pmd(vmf.mm, addr);
    if (cur && cur.kind === 'huge') {
      if (write && cur.pte.pfn === pfn) mm.set_pmd(vmf.mm, addr, { ...cur.pte, write: true, dirty: true }, 'The huge PMD already maps this folio; it is made writable and dirty.');
      return VM_FAULT_NOPAGE;
    }
    if (cur && cur.kind === 'table' && cur.ptes.size > 0) return VM_FAULT_FALLBACK;
    if (env.policy.mapTakesReference) {
      env.folioRef(pfn, 1, 'folio_get: the huge PMD holds a reference on the folio.');
      env.folioMapcount(pfn, 1, 'pmd', 'folio_add_file_rmap_pmd: the folio gains one PMD mapping.');
    }
    mm.set_pmd(vmf.mm, addr, pteOf(pfn, write, true, !env.policy.mapTakesReference), `A huge PMD maps 2 MiB of pmem at pfn ${hex(pfn)}${write ? ', writable' : ', read-only'}.`);
    return VM_FAULT_NOPAGE;
  }, (r) => printFlags(r, VM_FAULT_NAMES));
}

// ---- the fault handler ---------------------------------------------------------------------

/**
 * The user read from a hole: map the shared zero page read-only instead of allocating.
 * Kernel: fs/dax.c dax_load_hole()
 */
function dax_load_hole(env: DaxEnv, xas: XaState, vmf: VmFault, iterFlags: number, iomap: Iomap, entry: number): { ret: number; entry: number } {
  const zpfn = env.zeroPfn();
  const e = dax_insert_entry(env, xas, vmf, iterFlags, iomap, entry, zpfn, DAX_ZERO_PAGE);
  const ret = vmf_insert_page_mkwrite(env, vmf, zpfn, false, true);
  tpPte(env, 'dax_load_hole', vmf, ret);
  return { ret, entry: e };
}

/** Kernel: fs/dax.c dax_pmd_load_hole() */
function dax_pmd_load_hole(env: DaxEnv, xas: XaState, vmf: VmFault, iterFlags: number, iomap: Iomap, entry: number): { ret: number; entry: number } {
  const zero = env.hugeZeroPfn();
  if (zero === null) {
    tpLoadHole(env, 'dax_pmd_load_hole_fallback', vmf, null, entry);
    return { ret: VM_FAULT_FALLBACK, entry };
  }
  const e = dax_insert_entry(env, xas, vmf, iterFlags, iomap, entry, zero, DAX_PMD | DAX_ZERO_PAGE);
  const addr = vmf.address - (vmf.address % PMD_SIZE);
  const cur = env.mm.pmd(vmf.mm, addr);
  if (cur) {
    tpLoadHole(env, 'dax_pmd_load_hole_fallback', vmf, zero, e);
    return { ret: VM_FAULT_FALLBACK, entry: e };
  }
  env.mm.set_pmd(vmf.mm, addr, pteOf(zero, false, true, true), 'A read-only huge PMD maps the huge zero page over the 2 MiB hole.');
  tpLoadHole(env, 'dax_pmd_load_hole', vmf, zero, e);
  return { ret: VM_FAULT_NOPAGE, entry: e };
}

/** Kernel: fs/dax.c dax_fault_cow_page(): a MAP_PRIVATE write copies into an anonymous page. */
function dax_fault_cow_page(env: DaxEnv, vmf: VmFault, iomap: Iomap): number {
  const cow = vmf.cow_page!;
  if (iomap.type === 'HOLE' || iomap.type === 'UNWRITTEN') env.copyToDram(null, cow);
  else if (iomap.type === 'MAPPED') env.copyToDram(iomap.addr + (vmf.pgoff * PAGE_SIZE - iomap.offset), cow);
  else {
    env.warn('dax_fault_cow_page', 'unexpected iomap type', `iomap type ${iomap.type} cannot back a private copy.`);
    return VM_FAULT_SIGBUS;
  }
  // finish_fault: install the private copy writable.
  const addr = vmf.address - (vmf.address % PAGE_SIZE);
  const old = env.mm.pte(vmf.mm, addr);
  if (old) env.mm.zapOne(vmf.mm, addr, 'The old read-only PTE gives way to the private copy.');
  env.mm.set_pte(vmf.mm, addr, { pfn: cow, present: true, write: true, dirty: true, huge: false, special: false, anon: true },
    `finish_fault maps the private copy (DRAM pfn ${hex(cow)}) writable: this process's writes no longer reach the file.`);
  return VM_FAULT_DONE_COW;
}

/**
 * Handle one iomap for a fault: map a hole, or insert the entry and the PTE/PMD.
 * Kernel: fs/dax.c dax_fault_iter()
 */
function dax_fault_iter(env: DaxEnv, vmf: VmFault, iterFlags: number, pair: IomapPair, xas: XaState, entryRef: { e: number; pfn: number }, pmd: boolean): number {
  const { iomap, srcmap } = pair;
  const size = pmd ? PMD_SIZE : PAGE_SIZE;
  const pos = xas.xa_index * PAGE_SIZE;
  const write = (iterFlags & IOMAP_WRITE) !== 0;
  return env.tr.call('dax_fault_iter', () => ({ pmd, write, iomap: iomapDescribe(iomap) }), () => `dax_fault_iter acts on the ${iomap.type} mapping the filesystem returned.`, () => {
    if (!pmd && vmf.cow_page !== null) return dax_fault_cow_page(env, vmf, iomap);
    if (!write && (iomap.type === 'UNWRITTEN' || iomap.type === 'HOLE')) {
      const r = pmd ? dax_pmd_load_hole(env, xas, vmf, iterFlags, iomap, entryRef.e) : dax_load_hole(env, xas, vmf, iterFlags, iomap, entryRef.e);
      entryRef.e = r.entry;
      return r.ret;
    }
    if (iomap.type !== 'MAPPED' && !(iomap.flags & IOMAP_F_SHARED)) {
      env.warn('dax_fault_iter', "iomap->type != IOMAP_MAPPED", `A ${write ? 'write' : 'read'} fault got a ${iomap.type} mapping it cannot map.`);
      return pmd ? VM_FAULT_FALLBACK : VM_FAULT_SIGBUS;
    }
    const devOff = iomap.addr + (pos - iomap.offset);
    const da = dax_iomap_direct_access(env, devOff, size);
    if (isErr(da)) return pmd ? VM_FAULT_FALLBACK : da.errno === 'EHWPOISON' ? VM_FAULT_HWPOISON : VM_FAULT_SIGBUS;
    const pfn = da.pfn;
    entryRef.e = dax_insert_entry(env, xas, vmf, iterFlags, iomap, entryRef.e, pfn, pmd ? DAX_PMD : 0);
    if (env.version === '6.1') {
      // 6.1: copy whenever the write has a real source elsewhere, whatever its type.
      if (write && srcmap.type !== 'HOLE' && srcmap.addr !== iomap.addr) dax_iomap_cow_copy(env, pos, size, size, srcmap, devOff);
    } else if (write && iomap.flags & IOMAP_F_SHARED) dax_iomap_copy_around(env, pos, size, size, srcmap, devOff);
    if (dax_fault_is_synchronous(iterFlags, vmf.vma, iomap)) {
      entryRef.pfn = pfn;
      if (env.tr.on) env.tr.emit({ t: 'note' }, 'MAP_SYNC: the block\'s metadata is not yet durable, so no page-table entry is installed; the filesystem must fsync first (VM_FAULT_NEEDDSYNC).');
      return VM_FAULT_NEEDDSYNC;
    }
    const ref = env.policy.mapTakesReference;
    if (ref) env.folioRef(pfn, 1, 'folio_ref_inc: a temporary reference keeps the folio alive while it is mapped.');
    const ret = pmd ? vmf_insert_folio_pmd(env, vmf, pfn, write) : vmf_insert_page_mkwrite(env, vmf, pfn, write, false);
    if (ref) env.folioRef(pfn, -1, 'folio_put drops the temporary reference.');
    return ret;
  }, (r) => printFlags(r, VM_FAULT_NAMES));
}

/**
 * Translate a device range to a pfn, refusing poisoned media and, for a PMD, anything that is
 * not 2 MiB contiguous and aligned. Kernel: fs/dax.c dax_iomap_direct_access()
 */
function dax_iomap_direct_access(env: DaxEnv, devOff: number, size: number): { pfn: number } | KErr {
  const r = env.direct_access(devOff, size);
  if (isErr(r)) return r;
  if (size === PMD_SIZE && r.pfn % PG_PMD_NR !== 0) {
    if (env.tr.on) env.tr.emit({ t: 'note' }, `pfn ${hex(r.pfn)} is not 2 MiB aligned, so it cannot back a PMD.`);
    return kerr('EINVAL', 'the pfn is not 2 MiB aligned, so it cannot back a PMD');
  }
  return r;
}

/**
 * Copy a shared block's old contents into the freshly allocated CoW block (or zero it when the
 * source is unwritten). Kernel: fs/dax.c dax_iomap_copy_around()
 */
export function dax_iomap_copy_around(env: DaxEnv, pos: number, length: number, alignSize: number, srcmap: Iomap, dstDevOff: number): void {
  env.tr.call('dax_iomap_copy_around', () => ({ pos, length, src: iomapDescribe(srcmap) }), () => `dax_iomap_copy_around copies the old shared block into the new one so the write lands on a private copy.`, () => {
    const headOff = pos % alignSize;
    const size = Math.ceil((headOff + length) / alignSize) * alignSize;
    const zeroEdge = (srcmap.flags & IOMAP_F_SHARED) !== 0 || srcmap.type === 'UNWRITTEN' || srcmap.type === 'HOLE';
    const dstStart = dstDevOff - headOff;
    if (zeroEdge) {
      env.devZero(dstStart, size, 'The source has no data (unwritten), so the new block is zeroed.');
      env.dax_flush(dstStart, size);
    } else {
      const src = srcmap.addr + (pos - headOff - srcmap.offset);
      env.devCopy(src, dstStart, size);
    }
    return null;
  });
}

/**
 * 6.1's copy-on-write copy: from the source extent into the new block, before the new data is
 * written. A fault copies the whole page or PMD; write(2) copies only what the write does not
 * cover: the head of the first page (before pos) and the tail of the last (after pos + length).
 * The source is read from the device whatever its type (an unwritten source is not zeroed).
 * @param pos        file offset the write starts at
 * @param length     bytes the write covers
 * @param alignSize  PAGE_SIZE (write(2), 4 KiB faults) or PMD_SIZE (2 MiB faults)
 * @param srcmap     the old extent
 * @param dstDevOff  device offset of the destination's first aligned block
 * Kernel (v6.1): fs/dax.c dax_iomap_cow_copy()
 */
export function dax_iomap_cow_copy(env: DaxEnv, pos: number, length: number, alignSize: number, srcmap: Iomap, dstDevOff: number): void {
  env.tr.call('dax_iomap_cow_copy', () => ({ pos, length, src: iomapDescribe(srcmap) }), () => 'dax_iomap_cow_copy copies the old block\'s data into the new copy-on-write block around what is about to be written.', () => {
    const headOff = pos % alignSize;
    const end = pos + length;
    const pgEnd = Math.ceil(end / alignSize) * alignSize;
    const src = srcmap.addr + (pos - headOff - srcmap.offset);
    const dst = dstDevOff - (dstDevOff % alignSize);
    if (headOff === 0 && end === pgEnd) {
      env.devCopy(src, dst, length);
      return 'all';
    }
    if (headOff) env.devCopy(src, dst, headOff);
    if (end < pgEnd) env.devCopy(src + headOff + length, dst + headOff + length, pgEnd - end);
    return 'edges';
  });
}

/**
 * A 4 KiB fault on a DAX file. Kernel: fs/dax.c dax_iomap_pte_fault()
 */
export function* dax_iomap_pte_fault(env: DaxEnv, vmf: VmFault, ops: IomapOps, out: { pfn: number }): KGen<number> {
  const tr = env.tr;
  const ino = vmf.vma.ino!;
  const mapping = env.mapping(ino);
  const xas = XA_STATE(mapping.i_pages, vmf.pgoff);
  const pos = vmf.pgoff * PAGE_SIZE;
  let iterFlags = IOMAP_DAX | IOMAP_FAULT;
  let ret = 0;
  if (tr.on) tr.enter('dax_iomap_pte_fault', { ino, pgoff: vmf.pgoff, address: vmf.address, write: (vmf.flags & FAULT_FLAG_WRITE) !== 0 }, `dax_iomap_pte_fault handles a 4 KiB fault at file page ${vmf.pgoff}.`);
  tpPte(env, 'dax_pte_fault', vmf, 0);
  finish: {
    if (pos >= env.i_size(ino)) {
      if (tr.on) tr.emit({ t: 'note' }, `File offset ${hex(pos)} is at or beyond the end of the file (${env.i_size(ino)} bytes): SIGBUS, and the XArray is left alone.`);
      ret = VM_FAULT_SIGBUS;
      break finish;
    }
    if (vmf.flags & FAULT_FLAG_WRITE && vmf.cow_page === null) iterFlags |= IOMAP_WRITE;
    const grabbed = yield* grab_mapping_entry(env, xas, mapping, 0, vmf.who);
    if (isFault(grabbed)) {
      ret = grabbed.vmfault;
      break finish;
    }
    const entryRef = { e: daxUnlocked(grabbed), pfn: 0 };
    unlock: {
      const pmdSlot = env.mm.pmd(vmf.mm, vmf.address);
      if (pmdSlot && pmdSlot.kind === 'huge') {
        if (tr.on) tr.emit({ t: 'note' }, 'A huge PMD already maps this address (a racing PMD fault won): return and let the access retry.');
        ret = VM_FAULT_NOPAGE;
        break unlock;
      }
      yield* env.preempt('dax_iomap_pte_fault:iomap_begin', vmf.who);
      const pair = iomapBegin(env, ops, ino, pos, PAGE_SIZE, iterFlags);
      if (isErr(pair)) {
        ret = pair.errno === 'ENOSPC' || pair.errno === 'EIO' ? VM_FAULT_SIGBUS : VM_FAULT_SIGBUS;
        break unlock;
      }
      ret = dax_fault_iter(env, vmf, iterFlags, pair, xas, entryRef, false);
      if (ret !== VM_FAULT_SIGBUS && pair.iomap.flags & IOMAP_F_NEW) {
        ret |= VM_FAULT_MAJOR;
        if (tr.on) tr.emit({ t: 'note' }, 'The block was newly allocated: count a major fault (PGMAJFAULT).');
      }
      iomapEnd(env, ops, ino, pos, PAGE_SIZE, ret & VM_FAULT_ERROR ? 0 : PAGE_SIZE, iterFlags, pair.iomap);
      out.pfn = entryRef.pfn;
    }
    dax_unlock_entry(env, xas, mapping, entryRef.e);
  }
  tpPte(env, 'dax_pte_fault_done', vmf, ret);
  if (tr.on) tr.leave('dax_iomap_pte_fault', printFlags(ret, VM_FAULT_NAMES) || '0', `dax_iomap_pte_fault returns ${printFlags(ret, VM_FAULT_NAMES) || '0'}.`);
  return ret;
}

/**
 * Decide whether a PMD fault must fall back to PTEs before touching the XArray.
 * Kernel: fs/dax.c dax_fault_check_fallback()
 */
export function dax_fault_check_fallback(vmf: VmFault, index: number, max_pgoff: number): string | null {
  const pmdAddr = vmf.address - (vmf.address % PMD_SIZE);
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  if ((vmf.pgoff & PG_PMD_COLOUR) !== (Math.floor(vmf.address / PAGE_SIZE) & PG_PMD_COLOUR))
    return `the file offset's position inside 2 MiB (page ${vmf.pgoff & PG_PMD_COLOUR}) differs from the address's (page ${Math.floor(vmf.address / PAGE_SIZE) & PG_PMD_COLOUR})`;
  if (write && !(vmf.vma.flags & VM_SHARED)) return 'a write to a private mapping must copy on write, page by page';
  if (pmdAddr < vmf.vma.start) return 'the 2 MiB would start before the VMA';
  if (pmdAddr + PMD_SIZE > vmf.vma.end) return 'the 2 MiB would pass the end of the VMA';
  if ((index | PG_PMD_COLOUR) >= max_pgoff) return 'the 2 MiB would pass the end of the file';
  return null;
}

/**
 * A 2 MiB fault on a DAX file. Kernel: fs/dax.c dax_iomap_pmd_fault()
 */
export function* dax_iomap_pmd_fault(env: DaxEnv, vmf: VmFault, ops: IomapOps, out: { pfn: number }): KGen<number> {
  const tr = env.tr;
  const ino = vmf.vma.ino!;
  const mapping = env.mapping(ino);
  const xas = XA_STATE_ORDER(mapping.i_pages, vmf.pgoff, PMD_ORDER);
  const index = xas.xa_index;
  let iterFlags = IOMAP_DAX | IOMAP_FAULT;
  if (vmf.flags & FAULT_FLAG_WRITE) iterFlags |= IOMAP_WRITE;
  let ret = VM_FAULT_FALLBACK;
  const max_pgoff = Math.ceil(env.i_size(ino) / PAGE_SIZE);
  if (tr.on) tr.enter('dax_iomap_pmd_fault', { ino, pgoff: vmf.pgoff, index, address: vmf.address, max_pgoff }, `dax_iomap_pmd_fault tries to map 2 MiB (file pages ${index}-${index + 511}) with one PMD.`);
  tpPmd(env, 'dax_pmd_fault', vmf, max_pgoff, 0);
  out: {
    if (index >= max_pgoff) {
      if (tr.on) tr.emit({ t: 'note' }, `The PMD's first page ${index} is at or beyond the end of the file (${max_pgoff} pages): SIGBUS.`);
      ret = VM_FAULT_SIGBUS;
      break out;
    }
    fallback: {
      const why = dax_fault_check_fallback(vmf, index, max_pgoff);
      if (why) {
        if (tr.on) tr.emit({ t: 'note' }, `Fall back to 4 KiB pages: ${why}.`);
        break fallback;
      }
      const grabbed = yield* grab_mapping_entry(env, xas, mapping, PMD_ORDER, vmf.who);
      if (isFault(grabbed)) {
        ret = grabbed.vmfault;
        if (tr.on && ret === VM_FAULT_FALLBACK) tr.emit({ t: 'note' }, 'PTE entries already exist inside this 2 MiB range: PTEs win, fall back.');
        break fallback;
      }
      const entryRef = { e: daxUnlocked(grabbed), pfn: 0 };
      unlock: {
        const pmdSlot = env.mm.pmd(vmf.mm, vmf.address);
        if (pmdSlot && pmdSlot.kind === 'table' && pmdSlot.ptes.size > 0) {
          if (tr.on) tr.emit({ t: 'note' }, 'A page table of PTEs already covers this 2 MiB (a racing PTE fault won): return and retry.');
          ret = 0;
          break unlock;
        }
        yield* env.preempt('dax_iomap_pmd_fault:iomap_begin', vmf.who);
        const pos = index * PAGE_SIZE;
        const pair = iomapBegin(env, ops, ino, pos, PMD_SIZE, iterFlags);
        if (isErr(pair)) break unlock;
        if (pair.iomap.length - (pos - pair.iomap.offset) < PMD_SIZE) {
          if (tr.on) tr.emit({ t: 'note' }, `The filesystem's extent here is shorter than 2 MiB (${pair.iomap.length - (pos - pair.iomap.offset)} bytes): fall back. The empty PMD entry stays in the XArray, unlocked.`);
          iomapEnd(env, ops, ino, pos, PMD_SIZE, 0, iterFlags, pair.iomap);
          break unlock;
        }
        ret = dax_fault_iter(env, vmf, iterFlags, pair, xas, entryRef, true);
        iomapEnd(env, ops, ino, pos, PMD_SIZE, ret === VM_FAULT_FALLBACK ? 0 : PMD_SIZE, iterFlags, pair.iomap);
        out.pfn = entryRef.pfn;
      }
      dax_unlock_entry(env, xas, mapping, entryRef.e);
    }
    if (ret === VM_FAULT_FALLBACK) {
      if (tr.on) tr.emit({ t: 'note' }, 'split_huge_pmd, count THP_FAULT_FALLBACK: the core MM retries this access as a 4 KiB fault.');
    }
  }
  tpPmd(env, 'dax_pmd_fault_done', vmf, max_pgoff, ret);
  if (tr.on) tr.leave('dax_iomap_pmd_fault', printFlags(ret, VM_FAULT_NAMES) || '0', `dax_iomap_pmd_fault returns ${printFlags(ret, VM_FAULT_NAMES) || '0'}.`);
  return ret;
}

/** Kernel: fs/dax.c dax_iomap_fault() */
export function* dax_iomap_fault(env: DaxEnv, vmf: VmFault, order: number, ops: IomapOps, out: { pfn: number }): KGen<number> {
  if (order === 0) return yield* dax_iomap_pte_fault(env, vmf, ops, out);
  if (order === PMD_ORDER) return yield* dax_iomap_pmd_fault(env, vmf, ops, out);
  if (env.tr.on) env.tr.emit({ t: 'note' }, `dax_iomap_fault only handles order 0 and order 9; order ${order} falls back.`);
  return VM_FAULT_FALLBACK;
}

/**
 * MAP_SYNC, second half: after the filesystem made the metadata durable, mark the entry dirty
 * and install the writable PTE/PMD. Kernel: fs/dax.c dax_insert_pfn_mkwrite()
 */
function* dax_insert_pfn_mkwrite(env: DaxEnv, vmf: VmFault, pfn: number, order: number): KGen<number> {
  const mapping = env.mapping(vmf.vma.ino!);
  const xas = XA_STATE_ORDER(mapping.i_pages, vmf.pgoff, order);
  const entry = yield* get_next_unlocked_entry(env, xas, mapping, order, vmf.who);
  if (!entry || entry === XA_RETRY_ENTRY || (order === 0 && !dax_is_pte_entry(entry as number))) {
    put_unlocked_entry(env, xas, mapping, entry, WAKE_NEXT);
    tpPte(env, 'dax_insert_pfn_mkwrite_no_entry', vmf, VM_FAULT_NOPAGE);
    return VM_FAULT_NOPAGE;
  }
  const e = entry as number;
  xas_set_mark(xas, PAGECACHE_TAG_DIRTY);
  dax_lock_entry(xas, e);
  const ref = env.policy.mapTakesReference;
  if (ref) env.folioRef(pfn, 1, 'folio_ref_inc: a temporary reference while the page is mapped.');
  const ret = order === 0 ? vmf_insert_page_mkwrite(env, vmf, pfn, true, false) : vmf_insert_folio_pmd(env, vmf, pfn, true);
  if (ref) env.folioRef(pfn, -1, 'folio_put drops the temporary reference.');
  dax_unlock_entry(env, xas, mapping, e);
  tpPte(env, 'dax_insert_pfn_mkwrite', vmf, ret);
  return ret;
}

/** Kernel: fs/dax.c dax_finish_sync_fault() */
export function* dax_finish_sync_fault(env: DaxEnv, vmf: VmFault, order: number, pfn: number): KGen<number> {
  const tr = env.tr;
  if (tr.on) tr.enter('dax_finish_sync_fault', { pgoff: vmf.pgoff, order, pfn }, 'dax_finish_sync_fault makes the block allocation durable, then maps the page writable.');
  const start = vmf.pgoff * PAGE_SIZE;
  const err = yield* env.vfs_fsync_range(vmf.vma.ino!, start, start + (PAGE_SIZE << order) - 1, true);
  const ret = err ? VM_FAULT_SIGBUS : yield* dax_insert_pfn_mkwrite(env, vmf, pfn, order);
  if (tr.on) tr.leave('dax_finish_sync_fault', printFlags(ret, VM_FAULT_NAMES), `dax_finish_sync_fault returns ${printFlags(ret, VM_FAULT_NAMES)}.`);
  return ret;
}

// ---- iomap calls, traced -----------------------------------------------------------------

export function iomapBegin(env: DaxEnv, ops: IomapOps, ino: number, pos: number, length: number, flags: number): IomapPair | KErr {
  return env.tr.call(`${ops.name}.iomap_begin`, () => ({ ino, pos, length, flags: iomapFlagsString(flags) }), () => `The filesystem's ->iomap_begin maps file bytes ${hex(pos)}+${hex(length)} to the device.`,
    () => ops.iomap_begin(ino, pos, length, flags),
    (r) => (isErr(r) ? `-${r.errno}` : { iomap: iomapDescribe(r.iomap), srcmap: iomapDescribe(r.srcmap) }),
    (r) => (isErr(r) ? `->iomap_begin fails: ${r.why}` : `->iomap_begin answers ${r.iomap.type}${r.iomap.flags ? ' (' + (iomapDescribe(r.iomap) as { flags: string }).flags + ')' : ''}${r.iomap.addr >= 0 ? ` at device offset ${hex(r.iomap.addr)}` : ''}, ${r.iomap.length} bytes.`));
}

function iomapEnd(env: DaxEnv, ops: IomapOps, ino: number, pos: number, length: number, written: number, flags: number, iomap: Iomap): void {
  if (!ops.iomap_end) return;
  const end = ops.iomap_end.bind(ops);
  env.tr.call(`${ops.name}.iomap_end`, () => ({ ino, pos, length, written }), () => `->iomap_end finishes the filesystem's side of the operation.`, () => {
    const r = end(ino, pos, length, written, flags, iomap);
    return isErr(r) ? `-${r.errno}` : null;
  });
}

export function iomapFlagsString(f: number): string {
  const n: string[] = [];
  if (f & IOMAP_WRITE) n.push('WRITE');
  if (f & IOMAP_ZERO) n.push('ZERO');
  if (f & IOMAP_FAULT) n.push('FAULT');
  if (f & IOMAP_DIRECT) n.push('DIRECT');
  if (f & IOMAP_DAX) n.push('DAX');
  if (f & IOMAP_UNSHARE) n.push('UNSHARE');
  return n.join('|');
}

// ---- writeback (fsync / msync) -------------------------------------------------------------

/** Kernel: mm/page-writeback.c tag_pages_for_writeback(): DIRTY entries in range also get TOWRITE. */
export function tag_pages_for_writeback(env: DaxEnv, mapping: AddressSpace, start: number, end: number): void {
  env.tr.call('tag_pages_for_writeback', () => ({ start, end }), 'tag_pages_for_writeback copies the DIRTY mark to TOWRITE on every entry in range, fixing the set this fsync must write.', () => {
    let next = start;
    for (;;) {
      const xas = XA_STATE(mapping.i_pages, next);
      const e = xas_find_marked(xas, end, PAGECACHE_TAG_DIRTY);
      if (!e) break;
      xas_set_mark(xas, PAGECACHE_TAG_TOWRITE);
      next = xas.xa_index + (typeof e === 'number' ? 1 << dax_entry_order(e) : 1);
      next -= next % (typeof e === 'number' ? 1 << dax_entry_order(e) : 1);
      if (next > end) break;
    }
    return null;
  });
}

/**
 * Write back one TOWRITE entry: write-protect and clean its mappings, flush its cache lines,
 * clear its marks. Kernel: fs/dax.c dax_writeback_one()
 */
function* dax_writeback_one(env: DaxEnv, xas: XaState, mapping: AddressSpace, entryIn: number, who: string): KGen<number> {
  const tr = env.tr;
  let entry = entryIn;
  if (tr.on) tr.enter('dax_writeback_one', { index: xas.xa_index, entry: describeDaxEntry(entry) }, `dax_writeback_one writes back the ${describeDaxEntry(entry)} at index ${xas.xa_index}.`);
  const leave = (r: number): number => {
    if (tr.on) tr.leave('dax_writeback_one', r, r ? `dax_writeback_one fails with ${r}.` : 'dax_writeback_one is done with this entry.');
    return r;
  };
  if (dax_is_locked(entry)) {
    const old = entry;
    const again = yield* get_next_unlocked_entry(env, xas, mapping, 0, who);
    if (!again || !xa_is_value(again) || dax_to_pfn(old) !== dax_to_pfn(again as number) || !xas_get_mark(xas, PAGECACHE_TAG_TOWRITE)) {
      put_unlocked_entry(env, xas, mapping, again, WAKE_NEXT);
      return leave(0);
    }
    entry = again as number;
    if (dax_is_empty_entry(entry) || dax_is_zero_entry(entry)) {
      env.warn('dax_writeback_one', 'dax_is_empty_entry(entry) || dax_is_zero_entry(entry)', 'An empty or zero entry was tagged for writeback.');
      put_unlocked_entry(env, xas, mapping, entry, WAKE_NEXT);
      return leave(-5);
    }
  }
  dax_lock_entry(xas, entry);
  xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
  yield* env.preempt('dax_writeback_one:flush', who);
  const pfn = dax_to_pfn(entry);
  const count = 1 << dax_entry_order(entry);
  const index = xas.xa_index - (xas.xa_index % count);
  const end = index + count - 1;
  // Write-protect and clean every mapping of [index, end] in every VMA of the file.
  env.tr.call('dax_entry_mkclean', () => ({ pfn, count, index }), () => `pfn_mkclean_range write-protects and cleans every user mapping of ${count === 1 ? 'this page' : `these ${count} pages`}, so the next store faults and re-dirties the entry.`, () => {
    for (const v of env.mm.i_mmap(mapping.host)) {
      for (let i = index; i <= end; i += 1) {
        const vLen = (v.end - v.start) / PAGE_SIZE;
        if (i < v.pgoff || i >= v.pgoff + vLen) continue;
        const addr = v.start + (i - v.pgoff) * PAGE_SIZE;
        const w = env.mm.walk(v.mm, addr);
        if (!w || w.pte.anon) continue;
        if (w.pte.pfn !== (w.level === 'pmd' ? pfn : pfn + (i - index))) continue;
        if (w.pte.write || w.pte.dirty) {
          if (w.level === 'pmd') env.mm.set_pmd(v.mm, w.base, { ...w.pte, write: false, dirty: false }, 'The huge PMD becomes read-only and clean.');
          else env.mm.set_pte(v.mm, w.base, { ...w.pte, write: false, dirty: false }, 'The PTE becomes read-only and clean.');
        }
        if (w.level === 'pmd') break;
      }
    }
    return null;
  });
  if (dax_is_zero_entry(entry)) {
    // Only 6.1 tags zero entries DIRTY; dax_flush then writes back the zero page's own lines.
    if (tr.on) tr.emit({ t: 'note' }, `dax_flush of the ${count > 1 ? 'huge ' : ''}zero page (${count * PAGE_SIZE} bytes of DRAM): nothing of the file is written, the zero entry only loses its marks.`);
  } else env.dax_flush(env.pfnToDevOff(pfn), count * PAGE_SIZE);
  xasReset(xas);
  xas_store(xas, entry);
  xas_clear_mark(xas, PAGECACHE_TAG_DIRTY);
  dax_wake_entry(env, mapping, xas.xa_index, entry, WAKE_NEXT);
  if (tr.on) tr.emit({ t: 'tp', name: 'dax_writeback_one', fields: { dev: env.dev, ino: mapping.host, pgoff: index, pglen: count } }, 'tracepoint fs_dax:dax_writeback_one.');
  return leave(0);
}

/**
 * Flush a file's dirty DAX pages to the persistence domain. Background writeback
 * (WB_SYNC_NONE) does nothing: only data-integrity sync needs the flushes.
 * Kernel: fs/dax.c dax_writeback_mapping_range()
 */
export function* dax_writeback_mapping_range(env: DaxEnv, mapping: AddressSpace, rangeStart: number, rangeEnd: number, syncAll: boolean, who: string): KGen<number> {
  const tr = env.tr;
  const start = Math.floor(rangeStart / PAGE_SIZE);
  // A whole-file sync passes LLONG_MAX, whose page index is 2^51 - 1.
  const endIndex = rangeEnd === Infinity ? 2 ** 51 - 1 : Math.floor(rangeEnd / PAGE_SIZE);
  if (tr.on) tr.enter('dax_writeback_mapping_range', { ino: mapping.host, start, end: endIndex, sync: syncAll ? 'WB_SYNC_ALL' : 'WB_SYNC_NONE' }, `dax_writeback_mapping_range flushes file pages ${start}-${endIndex}.`);
  let ret = 0;
  let doneIndex = start;
  body: {
    if (mapping.nrpages === 0 || !syncAll) {
      if (tr.on) tr.emit({ t: 'note' }, !syncAll ? 'Background writeback (WB_SYNC_NONE) leaves DAX pages alone: there is no page cache to clean.' : 'The mapping has no entries: nothing to write back.');
      break body;
    }
    if (tr.on) tr.emit({ t: 'tp', name: 'dax_writeback_range', fields: { dev: env.dev, ino: mapping.host, start_index: start, end_index: endIndex } }, 'tracepoint fs_dax:dax_writeback_range.');
    tag_pages_for_writeback(env, mapping, start, endIndex);
    // One cursor for the whole walk, as xas_for_each_marked uses: where it stops is what
    // dax_writeback_range_done reports as the start of the range.
    const xas = XA_STATE(mapping.i_pages, start);
    for (let e = xas_find_marked(xas, endIndex, PAGECACHE_TAG_TOWRITE); e; e = xas_next_marked(xas, endIndex, PAGECACHE_TAG_TOWRITE)) {
      if (typeof e !== 'number') {
        env.warn('dax_writeback_one', '!xa_is_value(entry)', 'A page-cache page was tagged in a DAX mapping.');
        ret = -5;
        break;
      }
      ret = yield* dax_writeback_one(env, xas, mapping, e, who);
      if (ret < 0) break;
    }
    doneIndex = xas.xa_index;
    if (tr.on) tr.emit({ t: 'tp', name: 'dax_writeback_range_done', fields: { dev: env.dev, ino: mapping.host, start_index: doneIndex, end_index: endIndex } }, 'tracepoint fs_dax:dax_writeback_range_done.');
  }
  if (tr.on) tr.leave('dax_writeback_mapping_range', ret, 'dax_writeback_mapping_range is done.');
  return ret;
}

// ---- truncate, hole punch, invalidation -----------------------------------------------------

/** Collect the canonical indices of entries in [start, end] (a snapshot; the kernel re-walks after each pause). */
function entriesIn(mapping: AddressSpace, start: number, end: number): number[] {
  const out: number[] = [];
  let next = start;
  for (;;) {
    const xas = XA_STATE(mapping.i_pages, next);
    const e = xas_find(xas, end);
    if (e === null || e === undefined) break;
    const order = typeof e === 'number' ? dax_entry_order(e) : 0;
    const idx = xas.xa_index - (xas.xa_index % (1 << order));
    out.push(idx);
    next = idx + (1 << order);
    if (next > end) break;
  }
  return out;
}

/**
 * Find the first page in the range that someone other than the page tables holds (a pin).
 * Unmaps all user mappings of the range first so that new references cannot appear.
 * Kernel: fs/dax.c dax_layout_busy_page_range()
 */
export function* dax_layout_busy_page_range(env: DaxEnv, mapping: AddressSpace, start: number, end: number, who: string): KGen<number | null> {
  const tr = env.tr;
  const startIdx = Math.floor(start / PAGE_SIZE);
  const endIdx = end === Infinity ? Number.MAX_SAFE_INTEGER : Math.floor(end / PAGE_SIZE);
  if (tr.on) tr.enter('dax_layout_busy_page_range', { ino: mapping.host, start: startIdx, end: endIdx === Number.MAX_SAFE_INTEGER ? 'EOF' : endIdx }, 'dax_layout_busy_page_range unmaps the range from every process and looks for a page still in use.');
  if (env.version === '6.1' && env.mm.i_mmap(mapping.host).length === 0) {
    // 6.1: !mapping_mapped(mapping) returns at once; a pin taken by a process that has since
    // unmapped the file is not looked for.
    if (tr.on) tr.leave('dax_layout_busy_page_range', null, '6.1: no VMA maps the file (mapping_mapped is false), so nothing is unmapped or scanned and no page is reported busy, pinned or not.');
    return null;
  }
  env.mm.unmap_mapping_pages(mapping.host, startIdx, Math.min(endIdx - startIdx + 1, Number.MAX_SAFE_INTEGER - startIdx), 'Before the layout changes, every user mapping of the range is removed.');
  let busy: number | null = null;
  for (const idx of entriesIn(mapping, startIdx, endIdx)) {
    const xas = XA_STATE(mapping.i_pages, idx);
    let e = xas_load(xas);
    if (typeof e !== 'number') continue;
    while (typeof e === 'number' && dax_is_locked(e)) {
      yield { queue: dax_entry_waitqueue(mapping, idx, e), kind: 'wait', why: `${who} waits for the locked entry at index ${idx}.` };
      xasReset(xas);
      e = xas_load(xas);
    }
    if (typeof e !== 'number') continue;
    busy = env.policy.dax_busy_page(entryView(env, e));
    put_unlocked_entry(env, xas, mapping, e, WAKE_NEXT);
    if (busy !== null) break;
  }
  if (tr.on) tr.leave('dax_layout_busy_page_range', busy, busy === null ? 'No page in the range is busy.' : `pfn ${hex(busy)} is busy: someone (a pin for DMA or O_DIRECT) holds a reference the page tables do not explain.`);
  return busy;
}

/** Kernel: fs/dax.c __dax_invalidate_entry() */
function* __dax_invalidate_entry(env: DaxEnv, mapping: AddressSpace, index: number, trunc: boolean, who: string): KGen<boolean> {
  const xas = XA_STATE(mapping.i_pages, index);
  const entry = yield* get_next_unlocked_entry(env, xas, mapping, 0, who);
  let ret = false;
  body: {
    if (!entry || !xa_is_value(entry)) break body;
    const e = entry as number;
    if (!trunc && (xas_get_mark(xas, PAGECACHE_TAG_DIRTY) || xas_get_mark(xas, PAGECACHE_TAG_TOWRITE))) {
      if (env.tr.on) env.tr.emit({ t: 'note' }, `The entry at index ${index} is tagged DIRTY or TOWRITE, so invalidation keeps it.`);
      break body;
    }
    env.policy.dax_disassociate_entry(entryView(env, e), mapping.host, trunc);
    const del = XA_STATE_ORDER(mapping.i_pages, index - (index % (1 << dax_entry_order(e))), dax_entry_order(e));
    xas_store(del, null);
    env.nrpagesChanged(mapping, -(1 << dax_entry_order(e)), `The entry is removed; nrpages drops by ${1 << dax_entry_order(e)}.`);
    ret = true;
  }
  put_unlocked_entry(env, xas, mapping, entry, WAKE_ALL);
  return ret;
}

/** Kernel: fs/dax.c dax_delete_mapping_entry() */
export function* dax_delete_mapping_entry(env: DaxEnv, mapping: AddressSpace, index: number, who: string): KGen<boolean> {
  const r = yield* __dax_invalidate_entry(env, mapping, index, true, who);
  if (!r) env.warn('dax_delete_mapping_entry', '!ret', `Truncate expected an entry at index ${index}.`);
  return r;
}

/** Kernel: fs/dax.c dax_invalidate_mapping_entry_sync(): remove the entry only if it is clean. */
export function* dax_invalidate_mapping_entry_sync(env: DaxEnv, mapping: AddressSpace, index: number, who: string): KGen<boolean> {
  return yield* env.tr.on
    ? traced(env, 'dax_invalidate_mapping_entry_sync', { index }, `dax_invalidate_mapping_entry_sync removes the entry at index ${index} unless it is dirty.`, __dax_invalidate_entry(env, mapping, index, false, who))
    : __dax_invalidate_entry(env, mapping, index, false, who);
}

function* traced<T extends Json>(env: DaxEnv, fn: string, args: { [k: string]: Json }, text: string, g: KGen<T>): KGen<T> {
  env.tr.enter(fn, args, text);
  const r = yield* g;
  env.tr.leave(fn, r, `${fn} returns ${formatJson(r as Json)}.`);
  return r;
}

/** Kernel: fs/dax.c dax_delete_mapping_range() */
export function* dax_delete_mapping_range(env: DaxEnv, mapping: AddressSpace, start: number, end: number, who: string): KGen<void> {
  const startIdx = Math.floor(start / PAGE_SIZE);
  const endIdx = end === Infinity ? Number.MAX_SAFE_INTEGER : Math.floor(end / PAGE_SIZE);
  if (env.tr.on) env.tr.enter('dax_delete_mapping_range', { ino: mapping.host, start: startIdx, end: endIdx === Number.MAX_SAFE_INTEGER ? 'EOF' : endIdx }, 'dax_delete_mapping_range removes every DAX entry in the range.');
  for (const idx of entriesIn(mapping, startIdx, endIdx)) yield* __dax_invalidate_entry(env, mapping, idx, true, who);
  if (env.tr.on) env.tr.leave('dax_delete_mapping_range', null, 'The range has no DAX entries left.');
}

/**
 * Before truncate, hole punch or reflink change a file's layout: unmap the range, wait until
 * no page in it is pinned, then delete its entries.
 * Kernel: fs/dax.c dax_break_layout() (6.15+); 6.1: xfs_break_dax_layouts() + dax_layout_busy_page()
 */
export function* dax_break_layout(env: DaxEnv, mapping: AddressSpace, start: number, end: number, who: string): KGen<number> {
  const tr = env.tr;
  const v61 = env.version === '6.1';
  const fn = v61 ? 'xfs_break_dax_layouts' : 'dax_break_layout';
  if (tr.on)
    tr.enter(fn, { ino: mapping.host, start, end: end === Infinity ? 'EOF' : end }, v61
      ? 'xfs_break_dax_layouts asks dax_layout_busy_page for a pinned page of the file and waits until none is left; it deletes no entries.'
      : 'dax_break_layout makes sure nobody can still reach the blocks that are about to change.');
  for (;;) {
    const busy = yield* dax_layout_busy_page_range(env, mapping, start, end, who);
    if (busy === null) break;
    // wait_page_idle (6.1: ___wait_var_event on _refcount == 1): sleep with the MMAPLOCK dropped.
    if (tr.on)
      tr.emit({ t: 'note' }, v61
        ? `xfs_wait_dax_page: XFS drops XFS_MMAPLOCK_EXCL and ${who} sleeps until pfn ${hex(busy)}'s _refcount is back to 1; then xfs_break_layouts retries from the start.`
        : `The filesystem drops its MMAPLOCK and ${who} sleeps until pfn ${hex(busy)} is idle (refcount ${env.policy.idleRefcount}).`);
    yield { queue: `page:${hex(busy)}`, kind: 'wait', why: `${who} waits in ${env.version === 'modern' ? 'dax_break_layout' : 'xfs_break_dax_layouts'}: pfn ${hex(busy)} is pinned (a DMA or O_DIRECT reference), so its blocks cannot be freed yet.` };
  }
  if (env.version === 'modern') yield* dax_delete_mapping_range(env, mapping, start, end, who);
  else if (tr.on) tr.emit({ t: 'note' }, 'No page is busy: xfs_break_layouts goes on to xfs_break_leased_layouts (pNFS leases). The DAX entries stay until the page cache is truncated.');
  if (tr.on) tr.leave(fn, 0, 'The layout can change now.');
  return 0;
}

/**
 * Remove the DAX entries of file pages [startIdx, endIdx] the way 6.1's page-cache truncation
 * does for a DAX mapping: each value entry found is deleted with dax_delete_mapping_entry
 * (disassociated with `trunc`, which warns for a page still pinned). Simulator-level wrapper.
 * Kernel (v6.1): mm/truncate.c truncate_inode_pages_range(), truncate_folio_batch_exceptionals()
 */
export function* truncateDaxEntries(env: DaxEnv, mapping: AddressSpace, startIdx: number, endIdx: number, who: string): KGen<void> {
  const tr = env.tr;
  if (tr.on) tr.enter('truncate_inode_pages_range', { ino: mapping.host, start: startIdx, end: endIdx >= Number.MAX_SAFE_INTEGER ? 'EOF' : endIdx }, `truncate_inode_pages_range removes the DAX entries of file pages ${startIdx}..${endIdx >= Number.MAX_SAFE_INTEGER ? 'EOF' : endIdx} with dax_delete_mapping_entry.`);
  let n = 0;
  if (endIdx >= startIdx) {
    for (const idx of entriesIn(mapping, startIdx, endIdx)) {
      if (yield* dax_delete_mapping_entry(env, mapping, Math.max(startIdx, idx), who)) n++;
    }
  }
  if (tr.on) tr.leave('truncate_inode_pages_range', n, `${n} DAX entr${n === 1 ? 'y' : 'ies'} removed.`);
}

export { pteOf, dax_unlock_entry, dax_lock_entry, entryView, isFault };
export type { DaxOwnershipPolicy };
export const PMD_ENTRY_PAGES = PG_PMD_NR;
export { DAX_PMD, DAX_ZERO_PAGE, DAX_EMPTY };
export { VM_FAULT_FALLBACK, VM_FAULT_NEEDDSYNC };

// ---- read(2) and write(2) ------------------------------------------------------------------

/**
 * Remove clean DAX entries in [start, end] and then every user mapping of the range, so a
 * write(2) that allocated blocks (or copied a shared one) is seen by later faults.
 * Kernel: mm/truncate.c invalidate_inode_pages2_range() with invalidate_exceptional_entry2()
 */
export function* invalidate_inode_pages2_range(env: DaxEnv, mapping: AddressSpace, start: number, end: number, who: string): KGen<void> {
  const tr = env.tr;
  if (tr.on) tr.enter('invalidate_inode_pages2_range', { ino: mapping.host, start, end }, `invalidate_inode_pages2_range drops clean entries for file pages ${start}-${end} and then unmaps the range.`);
  // find_get_entries reports the index where the search met each entry (not its first index).
  for (const idx of entriesIn(mapping, start, end)) yield* dax_invalidate_mapping_entry_sync(env, mapping, Math.max(start, idx), who);
  env.mm.unmap_mapping_pages(mapping.host, start, end - start + 1, 'For DAX the page tables are invalidated after the entries: every user mapping of the written range is removed.');
  if (tr.on) tr.leave('invalidate_inode_pages2_range', 0, 'invalidate_inode_pages2_range is done.');
}

/** Kernel: fs/dax.c __dax_clear_dirty_range(): CoW by write(2) first clears the dirty marks. */
function __dax_clear_dirty_range(env: DaxEnv, mapping: AddressSpace, start: number, end: number): void {
  env.tr.call('__dax_clear_dirty_range', () => ({ start, end }), 'Before write(2) copies shared blocks, the DIRTY and TOWRITE marks of the range are cleared so the entries can be invalidated.', () => {
    for (const idx of entriesIn(mapping, start, end)) {
      const xas = XA_STATE(mapping.i_pages, idx);
      const e = xas_load(xas);
      if (e === null) continue;
      xas_clear_mark(xas, PAGECACHE_TAG_DIRTY);
      xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
    }
    return null;
  });
}

export interface RwDevice {
  /** machine-check-safe read (copy_mc_to_user); an error for poisoned media */
  readMc(devOff: number, len: number): Uint8Array | KErr;
  /** cache-bypassing copy into pmem (copy_from_iter_flushcache) */
  writeNT(devOff: number, data: Uint8Array): void;
}

/**
 * read(2) / write(2) on a DAX file: straight between the user buffer and pmem, no page cache.
 * Returns the bytes read (for a read) and how many bytes were done, or an error when nothing
 * was done. Kernel: fs/dax.c dax_iomap_rw() and dax_iomap_iter()
 */
export function* dax_iomap_rw(
  env: DaxEnv,
  dev: RwDevice,
  ino: number,
  pos: number,
  arg: { write: Uint8Array } | { read: number },
  ops: IomapOps,
  who: string,
): KGen<{ done: number; data: Uint8Array } | KErr> {
  const tr = env.tr;
  const write = 'write' in arg;
  const total = write ? arg.write.length : arg.read;
  const mapping = env.mapping(ino);
  const out = new Uint8Array(write ? 0 : total);
  if (tr.on) tr.enter('dax_iomap_rw', { ino, pos, len: total, write }, `dax_iomap_rw ${write ? 'copies the user buffer straight into pmem' : 'copies straight from pmem into the user buffer'}: no page cache, no XArray entries.`);
  let done = 0;
  let err: KErr | null = null;
  while (done < total) {
    const cur = pos + done;
    const flags = IOMAP_DAX | (write ? IOMAP_WRITE : 0);
    const pair = iomapBegin(env, ops, ino, cur, total - done, flags);
    if (isErr(pair)) {
      err = pair;
      break;
    }
    const { iomap, srcmap } = pair;
    let length = Math.min(total - done, iomap.offset + iomap.length - cur);
    if (!write) {
      const end = Math.min(cur + length, env.i_size(ino));
      if (cur >= end) {
        iomapEnd(env, ops, ino, cur, length, 0, flags, iomap);
        break;
      }
      length = end - cur;
      if (iomap.type === 'HOLE' || iomap.type === 'UNWRITTEN') {
        if (tr.on) tr.emit({ t: 'note' }, `File bytes ${hex(cur)}+${length} are a ${iomap.type === 'HOLE' ? 'hole' : 'preallocated, unwritten extent'}: the user gets zeros and the XArray is not touched.`);
      } else {
        const b = dev.readMc(iomap.addr + (cur - iomap.offset), length);
        if (isErr(b)) {
          err = kerr('EIO', b.why);
          iomapEnd(env, ops, ino, cur, length, 0, flags, iomap);
          break;
        }
        out.set(b, done);
        if (tr.on) tr.emit({ t: 'note' }, `dax_copy_to_iter copies ${length} bytes from pmem at ${hex(iomap.addr + (cur - iomap.offset))} to the user.`);
      }
    } else {
      const cow = (iomap.flags & IOMAP_F_SHARED) !== 0;
      if (iomap.type !== 'MAPPED' && !cow) {
        env.warn('dax_iomap_iter', 'iomap->type != IOMAP_MAPPED', 'A DAX write got a mapping that is neither written nor a copy-on-write.');
        err = kerr('EIO', 'the filesystem returned an unmapped extent for a DAX write');
        iomapEnd(env, ops, ino, cur, length, 0, flags, iomap);
        break;
      }
      const first = Math.floor(cur / PAGE_SIZE);
      const last = Math.floor((cur + length - 1) / PAGE_SIZE);
      if (env.version === '6.1') {
        // 6.1 invalidates only newly allocated blocks; a CoW write leaves the range's entries
        // and PTEs on the old shared block (fixed in 6.2 by "fsdax: invalidate pages when CoW").
        if (iomap.flags & IOMAP_F_NEW) yield* invalidate_inode_pages2_range(env, mapping, first, last, who);
        else if (cow && tr.on) tr.emit({ t: 'note' }, '6.1: a copy-on-write write(2) is not IOMAP_F_NEW, so nothing is invalidated: entries and PTEs of this range keep pointing at the old shared block.');
        if (srcmap.type !== 'HOLE' && srcmap.addr !== iomap.addr) {
          const dst = iomap.addr + (cur - (cur % PAGE_SIZE) - iomap.offset);
          dax_iomap_cow_copy(env, cur, length, PAGE_SIZE, srcmap, dst);
        }
      } else if (iomap.flags & IOMAP_F_NEW || cow) {
        if (cow) __dax_clear_dirty_range(env, mapping, first, last);
        yield* invalidate_inode_pages2_range(env, mapping, first, last, who);
      }
      if (cow && env.version !== '6.1') {
        // Copy the edges of the first and last block from the old shared extent.
        for (let p = first; p <= last; p++) {
          const pStart = Math.max(cur, p * PAGE_SIZE);
          const pEnd = Math.min(cur + length, (p + 1) * PAGE_SIZE);
          if (pStart === p * PAGE_SIZE && pEnd === (p + 1) * PAGE_SIZE) continue;
          dax_iomap_copy_around(env, pStart, pEnd - pStart, PAGE_SIZE, srcmap, iomap.addr + (pStart - iomap.offset));
        }
      }
      dev.writeNT(iomap.addr + (cur - iomap.offset), arg.write.subarray(done, done + length));
      if (tr.on) tr.emit({ t: 'note' }, `dax_copy_from_iter copies ${length} bytes into pmem at ${hex(iomap.addr + (cur - iomap.offset))} with non-temporal stores: they bypass the CPU cache.`);
    }
    iomapEnd(env, ops, ino, cur, length, length, flags, iomap);
    done += length;
  }
  if (tr.on) tr.leave('dax_iomap_rw', err && !done ? `-${err.errno}` : done, err && !done ? `dax_iomap_rw fails: ${err.why}` : `dax_iomap_rw ${write ? 'wrote' : 'read'} ${done} bytes.`);
  if (err && !done) return err;
  return { done, data: write ? out : out.subarray(0, done) };
}
