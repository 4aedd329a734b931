/**
 * XFS's mmap fault handlers (fs/xfs/xfs_file.c): the vm_operations a DAX file's VMA uses, and
 * the glue from them into fs/dax.c.
 *
 * Conventions in this file:
 *   write_fault - a write through a SHARED mapping (a private write is a read of the file plus
 *                 a copy, so XFS treats it as a read fault).
 *   ops         - the iomap ops handed to DAX: xfs_read_iomap_ops for reads and private writes,
 *                 xfs_dax_write_iomap_ops for shared writes (allocation and copy-on-write).
 *
 * What this model leaves out: sb_start_pagefault freeze protection and file_update_time (shown
 * as narration only), the MMAPLOCK is not modelled as a lock because only one task runs at a
 * time; its waits show up as the entry-lock and layout-break waits instead.
 */
import { PMD_ORDER } from '../constants';
import { FAULT_FLAG_WRITE, VM_FAULT_FALLBACK, VM_FAULT_NAMES, VM_FAULT_NEEDDSYNC, VM_FAULT_NOPAGE, printFlags } from '../mm/fault-flags';

const res = (r: number): string => printFlags(r, VM_FAULT_NAMES) || '0';
import type { VmOps } from '../mm/fault';
import { VM_SHARED, type Vma } from '../mm/mm';
import type { KGen } from '../kernel/sched';
import { dax_finish_sync_fault, dax_iomap_fault, type DaxEnv, type IomapOps, type VmFault } from './dax';

export interface XfsMmapEnv {
  dax: DaxEnv;
  readOps: IomapOps;
  writeOps: IomapOps;
  isDax(ino: number): boolean;
  pmdEnabled: boolean;
  /** the page-cache path for files without DAX (filemap_fault and friends) */
  pagecache: VmOps | null;
}

/** Kernel: fs/xfs/xfs_file.c xfs_is_write_fault() */
function xfs_is_write_fault(vmf: VmFault): boolean {
  return (vmf.flags & FAULT_FLAG_WRITE) !== 0 && (vmf.vma.flags & VM_SHARED) !== 0;
}

/** Kernel: fs/xfs/xfs_file.c xfs_dax_fault_locked() */
function* xfs_dax_fault_locked(env: XfsMmapEnv, vmf: VmFault, order: number, write_fault: boolean): KGen<number> {
  const tr = env.dax.tr;
  const ops = write_fault ? env.writeOps : env.readOps;
  if (tr.on) tr.enter('xfs_dax_fault_locked', { order, write_fault, ops: ops.name }, `xfs_dax_fault_locked calls DAX with ${ops.name}${write_fault ? ' (it may allocate blocks or copy a shared one)' : ''}.`);
  const out = { pfn: 0 };
  let ret = yield* dax_iomap_fault(env.dax, vmf, order, ops, out);
  if (ret & VM_FAULT_NEEDDSYNC) ret = yield* dax_finish_sync_fault(env.dax, vmf, order, out.pfn);
  if (tr.on) tr.leave('xfs_dax_fault_locked', res(ret), 'xfs_dax_fault_locked is done.');
  return ret;
}

/** Kernel: fs/xfs/xfs_file.c __xfs_filemap_fault() via xfs_write_fault() / xfs_dax_read_fault() */
function* __xfs_filemap_fault(env: XfsMmapEnv, vmf: VmFault, order: number, write_fault: boolean): KGen<number> {
  const tr = env.dax.tr;
  const ino = vmf.vma.ino!;
  if (!env.isDax(ino)) {
    if (!env.pagecache) return VM_FAULT_FALLBACK;
    return write_fault && env.pagecache.page_mkwrite ? yield* env.pagecache.page_mkwrite(vmf) : yield* env.pagecache.fault(vmf);
  }
  if (env.dax.version === '6.1') return yield* __xfs_filemap_fault61(env, vmf, order, write_fault);
  const fn = write_fault ? 'xfs_write_fault' : 'xfs_dax_read_fault';
  if (tr.on)
    tr.enter(fn, { ino, order }, write_fault
      ? 'xfs_write_fault: freeze protection, file_update_time, and the MMAPLOCK held shared while DAX handles the write.'
      : 'xfs_dax_read_fault takes the MMAPLOCK shared and lets DAX map the page.');
  const ret = yield* xfs_dax_fault_locked(env, vmf, order, write_fault);
  if (tr.on) tr.leave(fn, res(ret), `${fn} returns.`);
  return ret;
}

/** The v6.1 enum page_entry_size name of a fault order (dax_iomap_fault took it instead of an order). */
function peSize(order: number): string {
  return order === 0 ? 'PE_SIZE_PTE' : order === PMD_ORDER ? 'PE_SIZE_PMD' : 'PE_SIZE_PUD';
}

/**
 * 6.1's single fault body for every XFS handler: freeze protection and file_update_time for
 * writes, the MMAPLOCK always shared, xfs_dax_fault, then dax_finish_sync_fault on
 * VM_FAULT_NEEDDSYNC. There is no xfs_write_fault / xfs_dax_read_fault / xfs_dax_fault_locked.
 * Kernel (v6.1): fs/xfs/xfs_file.c __xfs_filemap_fault()
 */
function* __xfs_filemap_fault61(env: XfsMmapEnv, vmf: VmFault, order: number, write_fault: boolean): KGen<number> {
  const tr = env.dax.tr;
  if (tr.on)
    tr.enter('__xfs_filemap_fault', { ino: vmf.vma.ino!, pe_size: peSize(order), write_fault }, write_fault
      ? '__xfs_filemap_fault: sb_start_pagefault and file_update_time for the write, then XFS_MMAPLOCK_SHARED while DAX handles it.'
      : '__xfs_filemap_fault takes XFS_MMAPLOCK_SHARED and lets DAX map the page.');
  const out = { pfn: 0 };
  let ret = yield* xfs_dax_fault61(env, vmf, order, write_fault, out);
  if (ret & VM_FAULT_NEEDDSYNC) ret = yield* dax_finish_sync_fault(env.dax, vmf, order, out.pfn);
  if (tr.on) tr.leave('__xfs_filemap_fault', res(ret), '__xfs_filemap_fault drops the MMAPLOCK and returns.');
  return ret;
}

/**
 * Call DAX with the write iomap ops for a shared write (not a private copy), else the read ops.
 * Kernel (v6.1): fs/xfs/xfs_file.c xfs_dax_fault()
 */
function* xfs_dax_fault61(env: XfsMmapEnv, vmf: VmFault, order: number, write_fault: boolean, out: { pfn: number }): KGen<number> {
  const tr = env.dax.tr;
  const ops = write_fault && vmf.cow_page === null ? env.writeOps : env.readOps;
  if (tr.on) tr.enter('xfs_dax_fault', { pe_size: peSize(order), write_fault, ops: ops.name }, `xfs_dax_fault calls dax_iomap_fault with ${ops.name}.`);
  const ret = yield* dax_iomap_fault(env.dax, vmf, order, ops, out);
  if (tr.on) tr.leave('xfs_dax_fault', res(ret), 'xfs_dax_fault is done.');
  return ret;
}

/** The vm_operations of an XFS file VMA. Kernel: fs/xfs/xfs_file.c xfs_file_vm_ops */
export function xfs_file_vm_ops(env: XfsMmapEnv): VmOps {
  return {
    name: 'xfs_file_vm_ops',
    hugeAllowed: (vma: Vma) => env.pmdEnabled && vma.ino !== null && env.isDax(vma.ino),
    /** Kernel: xfs_filemap_fault() */
    fault: function* (vmf: VmFault) {
      const tr = env.dax.tr;
      const ino = vmf.vma.ino!;
      const write_fault = env.isDax(ino) && xfs_is_write_fault(vmf);
      if (!tr.on) return yield* __xfs_filemap_fault(env, vmf, 0, write_fault);
      tr.enter('xfs_filemap_fault', { pgoff: vmf.pgoff }, 'xfs_filemap_fault: the 4 KiB ->fault handler of an XFS file.');
      const r = yield* __xfs_filemap_fault(env, vmf, 0, write_fault);
      tr.leave('xfs_filemap_fault', res(r), 'xfs_filemap_fault returns.');
      return r;
    },
    /** Kernel: xfs_filemap_huge_fault() */
    huge_fault: function* (vmf: VmFault, order: number) {
      const tr = env.dax.tr;
      if (!env.isDax(vmf.vma.ino!)) return VM_FAULT_FALLBACK;
      if (!tr.on) return yield* __xfs_filemap_fault(env, vmf, order, xfs_is_write_fault(vmf));
      if (env.dax.version === '6.1') tr.enter('xfs_filemap_huge_fault', { pgoff: vmf.pgoff, pe_size: peSize(order) }, `xfs_filemap_huge_fault: a ${peSize(order)} fault on a DAX file.`);
      else tr.enter('xfs_filemap_huge_fault', { pgoff: vmf.pgoff, order }, `xfs_filemap_huge_fault: an order-${order} fault on a DAX file.`);
      const r = yield* __xfs_filemap_fault(env, vmf, order, xfs_is_write_fault(vmf));
      tr.leave('xfs_filemap_huge_fault', res(r), 'xfs_filemap_huge_fault returns.');
      return r;
    },
    /** Kernel: xfs_filemap_page_mkwrite() */
    page_mkwrite: function* (vmf: VmFault) {
      const tr = env.dax.tr;
      if (!env.isDax(vmf.vma.ino!)) return env.pagecache?.page_mkwrite ? yield* env.pagecache.page_mkwrite(vmf) : VM_FAULT_NOPAGE;
      if (!tr.on) return yield* __xfs_filemap_fault(env, vmf, 0, true);
      tr.enter('xfs_filemap_page_mkwrite', { pgoff: vmf.pgoff }, 'xfs_filemap_page_mkwrite: a write to a read-only PTE of a DAX page.');
      const r = yield* __xfs_filemap_fault(env, vmf, 0, true);
      tr.leave('xfs_filemap_page_mkwrite', res(r), 'xfs_filemap_page_mkwrite returns.');
      return r;
    },
    /** Kernel: xfs_filemap_pfn_mkwrite() */
    pfn_mkwrite: function* (vmf: VmFault) {
      const tr = env.dax.tr;
      if (!env.isDax(vmf.vma.ino!)) return VM_FAULT_NOPAGE;
      if (!tr.on) return yield* __xfs_filemap_fault(env, vmf, 0, true);
      tr.enter('xfs_filemap_pfn_mkwrite', { pgoff: vmf.pgoff }, env.dax.version === '6.1'
        ? 'xfs_filemap_pfn_mkwrite: a write to a read-only DAX PTE (in 6.1 every DAX PTE is a special devmap one).'
        : 'xfs_filemap_pfn_mkwrite: a write to a special (pfn-only) read-only PTE, such as the zero page.');
      const r = yield* __xfs_filemap_fault(env, vmf, 0, true);
      tr.leave('xfs_filemap_pfn_mkwrite', res(r), 'xfs_filemap_pfn_mkwrite returns.');
      return r;
    },
  };
}

export { PMD_ORDER };
