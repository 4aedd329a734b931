/**
 * The core page-fault path (mm/memory.c, mm/huge_memory.c) and CPU accesses through page tables.
 *
 * A user load or store walks the process's page table. If nothing maps the address, or the
 * mapping forbids the access, the CPU faults and handle_mm_fault decides what to do: try a
 * 2 MiB fault first where the file allows it, otherwise a 4 KiB fault through the VMA's
 * ->fault, ->page_mkwrite or ->pfn_mkwrite; private mappings copy on write.
 *
 * Conventions in this file:
 *   vmf     - the fault being handled (struct vm_fault).
 *   vm_ops  - what the file system offers a VMA (xfs_file_vm_ops, generic_file_vm_ops).
 *   ret     - a VM_FAULT_* bit set.
 *
 * What this model leaves out: the per-VMA-lock retry dance, mmap_lock, NUMA, userfaultfd,
 * swap, KSM, anonymous THP. Model note: a huge PMD that must be split for a private write is
 * simply zapped (a file PMD has nothing to copy into PTEs) and the access faults again.
 */
import { PAGE_SIZE, PMD_ORDER, PMD_SIZE } from '../constants';
import { hex, type PteRef } from '../trace/steps';
import type { KGen } from '../kernel/sched';
import {
  FAULT_FLAG_MKWRITE,
  FAULT_FLAG_WRITE,
  VM_FAULT_DONE_COW,
  VM_FAULT_ERROR,
  VM_FAULT_FALLBACK,
  VM_FAULT_HWPOISON,
  VM_FAULT_NAMES,
  VM_FAULT_NOPAGE,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
  VM_FAULT_SIGSEGV,
  VM_FAULT_WRITE,
  printFlags,
  userFaultFlags,
} from './fault-flags';
import { VM_READ, VM_SHARED, VM_WRITE, linear_page_index, type AddressSpaces, type Mm, type Vma } from './mm';
import type { VmFault } from '../fs/dax';
import type { Tracer } from '../trace/steps';
import type { KernelVersion } from '../version';
import { isErr, type KErr } from '../errno';

/** What a file system offers a VMA. Kernel: struct vm_operations_struct. */
export interface VmOps {
  readonly name: string;
  fault(vmf: VmFault): KGen<number>;
  huge_fault?(vmf: VmFault, order: number): KGen<number>;
  page_mkwrite?(vmf: VmFault): KGen<number>;
  pfn_mkwrite?(vmf: VmFault): KGen<number>;
  /** may this VMA take PMD faults at all (DAX file, PMD enabled)? */
  hugeAllowed?(vma: Vma): boolean;
}

/** What the fault path needs from the rest of the machine. */
export interface FaultEnv {
  tr: Tracer;
  version: KernelVersion;
  as: AddressSpaces;
  vm_ops(vma: Vma): VmOps | null;
  /** allocate a DRAM page for anonymous / CoW use */
  allocAnonPage(why: string): number | KErr;
  copyPfnToPfn(src: number, dst: number): void;
  /** references on a page taken by a new PTE to it (anon pages and page-cache pages) */
  mapPage(pfn: number, level: 'pte' | 'pmd', anon: boolean): void;
  zeroPfn(): number;
  isZeroPfn(pfn: number): boolean;
}

function vmfFor(env: FaultEnv, mm: Mm, vma: Vma, address: number, flags: number): VmFault {
  return { vma, mm, address, pgoff: vma.ino === null ? 0 : linear_page_index(vma, address), flags, cow_page: null, who: mm.name };
}

/**
 * Handle a fault at `address` in `mm`. Returns the VM_FAULT_* result; the caller turns
 * SIGBUS/SIGSEGV/HWPOISON into a signal.
 * Kernel: mm/memory.c handle_mm_fault()
 */
export function* handle_mm_fault(env: FaultEnv, mm: Mm, address: number, write: boolean): KGen<number> {
  const tr = env.tr;
  const flags = userFaultFlags(env.version, write);
  if (tr.on) tr.enter('handle_mm_fault', { pid: mm.pid, address, write }, `${mm.name} ${write ? 'writes' : 'reads'} ${hex(address)}: the CPU finds no usable page-table entry and takes a page fault.`);
  let ret = 0;
  body: {
    const vma = env.as.find_vma(mm, address);
    if (!vma) {
      if (tr.on) tr.emit({ t: 'note' }, `No VMA contains ${hex(address)}: the access is outside every mapping (bad_area → SIGSEGV).`);
      ret = VM_FAULT_SIGSEGV;
      break body;
    }
    if (write ? !(vma.flags & VM_WRITE) : !(vma.flags & VM_READ)) {
      if (tr.on) tr.emit({ t: 'note' }, `The VMA does not allow ${write ? 'writes' : 'reads'} (access_error → SIGSEGV).`);
      ret = VM_FAULT_SIGSEGV;
      break body;
    }
    ret = yield* __handle_mm_fault(env, mm, vma, address, flags);
  }
  if (tr.on) tr.leave('handle_mm_fault', printFlags(ret, VM_FAULT_NAMES) || '0', `handle_mm_fault returns ${printFlags(ret, VM_FAULT_NAMES) || '0'}.`);
  return ret;
}

/** Kernel: mm/memory.c __handle_mm_fault() */
function* __handle_mm_fault(env: FaultEnv, mm: Mm, vma: Vma, address: number, flags: number): KGen<number> {
  const as = env.as;
  const ops = env.vm_ops(vma);
  const write = (flags & FAULT_FLAG_WRITE) !== 0;
  const pmd = as.pmd(mm, address);
  if (!pmd && ops?.huge_fault && ops.hugeAllowed?.(vma)) {
    const vmf = vmfFor(env, mm, vma, address, flags);
    const ret = yield* create_huge_pmd(env, ops, vmf);
    if (!(ret & VM_FAULT_FALLBACK)) return ret;
  } else if (pmd && pmd.kind === 'huge') {
    if (write && !pmd.pte.write) {
      if (vma.flags & VM_SHARED && ops?.huge_fault) {
        const vmf = vmfFor(env, mm, vma, address, flags);
        const ret = yield* env.tr.on
          ? tracedGen(env.tr, 'wp_huge_pmd', { address }, 'wp_huge_pmd: a write to a read-only huge PMD asks the file system to make the 2 MiB writable.', ops.huge_fault(vmf, PMD_ORDER))
          : ops.huge_fault(vmf, PMD_ORDER);
        if (!(ret & VM_FAULT_FALLBACK)) return ret;
      }
      // __split_huge_pmd on a file mapping just removes the PMD; the retry maps PTEs.
      as.zapOne(mm, address, 'split_huge_pmd: the huge mapping is removed so this access can be handled page by page.');
    } else {
      return 0;
    }
  }
  return yield* handle_pte_fault(env, ops, vmfFor(env, mm, vma, address, flags));
}

function* create_huge_pmd(env: FaultEnv, ops: VmOps, vmf: VmFault): KGen<number> {
  if (!env.tr.on) return yield* ops.huge_fault!(vmf, PMD_ORDER);
  return yield* tracedGen(env.tr, 'create_huge_pmd', { address: vmf.address }, 'The PMD is empty and the file allows 2 MiB mappings: try a huge fault first.', ops.huge_fault!(vmf, PMD_ORDER));
}

function* tracedGen(tr: Tracer, fn: string, args: { [k: string]: number | string | boolean }, text: string, g: KGen<number>): KGen<number> {
  tr.enter(fn, args, text);
  const r = yield* g;
  tr.leave(fn, printFlags(r, VM_FAULT_NAMES) || '0', `${fn} returns ${printFlags(r, VM_FAULT_NAMES) || '0'}.`);
  return r;
}

/** Kernel: mm/memory.c handle_pte_fault() */
function* handle_pte_fault(env: FaultEnv, ops: VmOps | null, vmf: VmFault): KGen<number> {
  const pte = env.as.pte(vmf.mm, vmf.address);
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  if (!pte) {
    if (vmf.vma.ino === null) return do_anonymous_page(env, vmf);
    return yield* do_fault(env, ops, vmf);
  }
  if (write && !pte.write) return yield* do_wp_page(env, ops, vmf, pte);
  return 0;
}

/** Kernel: mm/memory.c do_anonymous_page() */
function do_anonymous_page(env: FaultEnv, vmf: VmFault): number {
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const addr = vmf.address - (vmf.address % PAGE_SIZE);
  if (!write) {
    env.as.set_pte(vmf.mm, addr, { pfn: env.zeroPfn(), present: true, write: false, dirty: false, huge: false, special: true, anon: true }, 'A read of untouched anonymous memory maps the shared zero page.');
    return 0;
  }
  const pfn = env.allocAnonPage('an anonymous page for a first write');
  if (isErr(pfn)) return VM_FAULT_OOM;
  env.mapPage(pfn, 'pte', true);
  env.as.set_pte(vmf.mm, addr, { pfn, present: true, write: true, dirty: true, huge: false, special: false, anon: true }, `A fresh zeroed DRAM page (pfn ${hex(pfn)}) backs the anonymous memory.`);
  return 0;
}

/** Kernel: mm/memory.c do_fault(): read, CoW or shared fault on a file page. */
function* do_fault(env: FaultEnv, ops: VmOps | null, vmf: VmFault): KGen<number> {
  if (!ops) return VM_FAULT_SIGBUS;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const tr = env.tr;
  if (!write) {
    if (!tr.on) return yield* ops.fault(vmf);
    return yield* tracedGen(tr, 'do_read_fault', { pgoff: vmf.pgoff }, `do_read_fault: a read of file page ${vmf.pgoff} asks the file system's ->fault.`, ops.fault(vmf));
  }
  if (!(vmf.vma.flags & VM_SHARED)) {
    const g = do_cow_fault(env, ops, vmf);
    if (!tr.on) return yield* g;
    return yield* tracedGen(tr, 'do_cow_fault', { pgoff: vmf.pgoff }, `do_cow_fault: a write to a private mapping gets its own copy of file page ${vmf.pgoff}.`, g);
  }
  const g = do_shared_fault(env, ops, vmf);
  if (!tr.on) return yield* g;
  return yield* tracedGen(tr, 'do_shared_fault', { pgoff: vmf.pgoff }, `do_shared_fault: a write to a shared mapping of file page ${vmf.pgoff}.`, g);
}

function* do_cow_fault(env: FaultEnv, ops: VmOps, vmf: VmFault): KGen<number> {
  const cow = env.allocAnonPage('the private copy for a MAP_PRIVATE write');
  if (isErr(cow)) return VM_FAULT_OOM;
  vmf.cow_page = cow;
  const ret = yield* ops.fault(vmf);
  if (ret & VM_FAULT_ERROR) return ret;
  if (ret & VM_FAULT_DONE_COW) {
    env.mapPage(cow, 'pte', true);
    return ret;
  }
  return ret;
}

function* do_shared_fault(env: FaultEnv, ops: VmOps, vmf: VmFault): KGen<number> {
  const ret = yield* ops.fault(vmf);
  if (ret & VM_FAULT_ERROR) return ret;
  // DAX and our page cache both install the PTE inside ->fault (VM_FAULT_NOPAGE); the page
  // cache path additionally calls ->page_mkwrite to dirty its page.
  if (!(ret & VM_FAULT_NOPAGE) && ops.page_mkwrite) return yield* ops.page_mkwrite(vmf);
  return ret;
}

/**
 * A write to a present, read-only PTE. Shared mappings ask the file system
 * (->pfn_mkwrite for special PTEs, ->page_mkwrite for normal pages); private mappings copy.
 * Kernel: mm/memory.c do_wp_page()
 */
function* do_wp_page(env: FaultEnv, ops: VmOps | null, vmf: VmFault, pte: PteRef): KGen<number> {
  const tr = env.tr;
  if (tr.on) tr.enter('do_wp_page', { address: vmf.address, pfn: pte.pfn }, `do_wp_page: ${vmf.who} writes to a read-only PTE (pfn ${hex(pte.pfn)}).`);
  let ret = 0;
  if (vmf.vma.flags & VM_SHARED && ops && !pte.anon) {
    if (pte.special && ops.pfn_mkwrite) {
      if (tr.on) tr.emit({ t: 'note' }, env.version === '6.1'
        ? 'wp_pfn_shared: every 6.1 DAX PTE is special (devmap, no struct page reference), so FAULT_FLAG_MKWRITE is set and the file system\'s ->pfn_mkwrite decides.'
        : 'wp_pfn_shared: the PTE is special (no struct page reference), so the file system\'s ->pfn_mkwrite decides.');
      // wp_pfn_shared sets FAULT_FLAG_MKWRITE before calling ->pfn_mkwrite.
      vmf.flags |= FAULT_FLAG_MKWRITE;
      ret = yield* ops.pfn_mkwrite(vmf);
    } else if (ops.page_mkwrite) {
      if (tr.on) tr.emit({ t: 'note' }, 'wp_page_shared: the file system\'s ->page_mkwrite is told the page is about to be written.');
      // do_page_mkwrite: vmf->flags = FAULT_FLAG_WRITE | FAULT_FLAG_MKWRITE.
      vmf.flags = FAULT_FLAG_WRITE | FAULT_FLAG_MKWRITE;
      ret = yield* ops.page_mkwrite(vmf);
    }
  } else {
    ret = wp_page_copy(env, vmf, pte);
  }
  if (tr.on) tr.leave('do_wp_page', printFlags(ret, VM_FAULT_NAMES) || '0', `do_wp_page returns ${printFlags(ret, VM_FAULT_NAMES) || '0'}.`);
  return ret;
}

/**
 * Kernel: mm/memory.c wp_page_copy(): a private copy of the page for this process. In 6.1 both
 * the reuse and the copy return VM_FAULT_WRITE (removed in 6.2 by "mm: remove VM_FAULT_WRITE").
 */
function wp_page_copy(env: FaultEnv, vmf: VmFault, pte: PteRef): number {
  const done = env.version === '6.1' ? VM_FAULT_WRITE : 0;
  if (pte.anon && !pte.special) {
    // An anonymous page we own alone: reuse it (wp_page_reuse).
    env.as.set_pte(vmf.mm, vmf.address, { ...pte, write: true, dirty: true }, 'wp_page_reuse: this process is the only user of its private page, so it is made writable in place.');
    return done;
  }
  const cow = env.allocAnonPage('wp_page_copy: a private copy');
  if (isErr(cow)) return VM_FAULT_OOM;
  if (!env.isZeroPfn(pte.pfn)) env.copyPfnToPfn(pte.pfn, cow);
  const addr = vmf.address - (vmf.address % PAGE_SIZE);
  env.as.zapOne(vmf.mm, addr, 'The read-only PTE to the file page is replaced by the private copy.');
  env.mapPage(cow, 'pte', true);
  env.as.set_pte(vmf.mm, addr, { pfn: cow, present: true, write: true, dirty: true, huge: false, special: false, anon: true },
    `wp_page_copy: the page is copied into DRAM pfn ${hex(cow)}; from now on this process writes its own copy.`);
  return done;
}

/** Result of translating an address for an access. */
export type Translation = { pfn: number; level: 'pte' | 'pmd'; pte: PteRef } | { fault: number };

/** Walk the page table for an access; null when the walk would fault. */
export function translate(as: AddressSpaces, mm: Mm, addr: number, write: boolean): { pfn: number; level: 'pte' | 'pmd'; pte: PteRef } | null {
  const w = as.walk(mm, addr);
  if (!w || !w.pte.present) return null;
  if (write && !w.pte.write) return null;
  const pfn = w.level === 'pmd' ? w.pte.pfn + Math.floor((addr - w.base) / PAGE_SIZE) : w.pte.pfn;
  return { pfn, level: w.level, pte: w.pte };
}

export const FAULT_ERRORS = VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_OOM;
export { PMD_SIZE };
