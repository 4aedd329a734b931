/**
 * Fault flags and fault results, with the kernel's values (include/linux/mm_types.h:
 * enum fault_flag and enum vm_fault_reason; the trace name tables are in include/linux/mm.h and
 * per version in trace/tracepoints.ts), so tracepoints print the same names.
 *
 * Conventions in this file:
 *   FAULT_FLAG_* - why and how a fault is taken (vmf->flags)
 *   VM_FAULT_*   - what a fault handler returns (a bit set)
 *
 * What this model leaves out: the page-fault retry protocol (ALLOW_RETRY/TRIED only appear in
 * the flags, the model never drops mmap_lock to retry).
 */
import type { KernelVersion } from '../version';

export const FAULT_FLAG_WRITE = 1 << 0;
export const FAULT_FLAG_MKWRITE = 1 << 1;
export const FAULT_FLAG_ALLOW_RETRY = 1 << 2;
export const FAULT_FLAG_RETRY_NOWAIT = 1 << 3;
export const FAULT_FLAG_KILLABLE = 1 << 4;
export const FAULT_FLAG_TRIED = 1 << 5;
export const FAULT_FLAG_USER = 1 << 6;
export const FAULT_FLAG_REMOTE = 1 << 7;
export const FAULT_FLAG_INSTRUCTION = 1 << 8;
export const FAULT_FLAG_INTERRUPTIBLE = 1 << 9;
export const FAULT_FLAG_UNSHARE = 1 << 10;
export const FAULT_FLAG_ORIG_PTE_VALID = 1 << 11;
export const FAULT_FLAG_VMA_LOCK = 1 << 12;

export const VM_FAULT_OOM = 0x000001;
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_MAJOR = 0x000004;
/** Only in kernels before 6.2 (removed with the "VM_FAULT_WRITE" cleanup). */
export const VM_FAULT_WRITE = 0x000008;
export const VM_FAULT_HWPOISON = 0x000010;
export const VM_FAULT_HWPOISON_LARGE = 0x000020;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_LOCKED = 0x000200;
export const VM_FAULT_RETRY = 0x000400;
export const VM_FAULT_FALLBACK = 0x000800;
export const VM_FAULT_DONE_COW = 0x001000;
export const VM_FAULT_NEEDDSYNC = 0x002000;
export const VM_FAULT_COMPLETED = 0x004000;

export const VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE | VM_FAULT_FALLBACK;

/** A __print_flags table: bits in the order the kernel tries them. */
export type FlagTable = readonly (readonly [number, string])[];

const FAULT_FLAG_TRACE_6_1: FlagTable = [
  [FAULT_FLAG_WRITE, 'WRITE'],
  [FAULT_FLAG_MKWRITE, 'MKWRITE'],
  [FAULT_FLAG_ALLOW_RETRY, 'ALLOW_RETRY'],
  [FAULT_FLAG_RETRY_NOWAIT, 'RETRY_NOWAIT'],
  [FAULT_FLAG_KILLABLE, 'KILLABLE'],
  [FAULT_FLAG_TRIED, 'TRIED'],
  [FAULT_FLAG_USER, 'USER'],
  [FAULT_FLAG_REMOTE, 'REMOTE'],
  [FAULT_FLAG_INSTRUCTION, 'INSTRUCTION'],
  [FAULT_FLAG_INTERRUPTIBLE, 'INTERRUPTIBLE'],
];

/**
 * FAULT_FLAG_TRACE per kernel. VMA_LOCK (per-VMA lock faults) joined in 6.4. UNSHARE and
 * ORIG_PTE_VALID exist in both but are not in the table: they print as leftover hex.
 */
export const FAULT_FLAG_TRACE: Record<KernelVersion, FlagTable> = {
  '6.1': FAULT_FLAG_TRACE_6_1,
  modern: [...FAULT_FLAG_TRACE_6_1, [FAULT_FLAG_VMA_LOCK, 'VMA_LOCK']],
};

/**
 * VM_FAULT_RESULT_TRACE per kernel. 6.1 still has VM_FAULT_WRITE (removed in 6.2) and lacks a
 * name for VM_FAULT_COMPLETED (added to the table in 6.5), so 0x4000 prints as hex there.
 */
const VM_FAULT_RESULT_TRACE_6_1: FlagTable = [
  [VM_FAULT_OOM, 'OOM'],
  [VM_FAULT_SIGBUS, 'SIGBUS'],
  [VM_FAULT_MAJOR, 'MAJOR'],
  [VM_FAULT_WRITE, 'WRITE'],
  [VM_FAULT_HWPOISON, 'HWPOISON'],
  [VM_FAULT_HWPOISON_LARGE, 'HWPOISON_LARGE'],
  [VM_FAULT_SIGSEGV, 'SIGSEGV'],
  [VM_FAULT_NOPAGE, 'NOPAGE'],
  [VM_FAULT_LOCKED, 'LOCKED'],
  [VM_FAULT_RETRY, 'RETRY'],
  [VM_FAULT_FALLBACK, 'FALLBACK'],
  [VM_FAULT_DONE_COW, 'DONE_COW'],
  [VM_FAULT_NEEDDSYNC, 'NEEDDSYNC'],
];

export const VM_FAULT_RESULT_TRACE: Record<KernelVersion, FlagTable> = {
  '6.1': VM_FAULT_RESULT_TRACE_6_1,
  modern: [...VM_FAULT_RESULT_TRACE_6_1.filter(([b]) => b !== VM_FAULT_WRITE), [VM_FAULT_COMPLETED, 'COMPLETED']],
};

/** Names for step texts: every flag name of the modelled kernels. */
export const FAULT_FLAG_NAMES: [number, string][] = FAULT_FLAG_TRACE.modern.map(([b, n]) => [b, n]);

/** Result names for step texts: the union of both kernels' tables (6.1's WRITE included). */
export const VM_FAULT_NAMES: [number, string][] = [
  ...VM_FAULT_RESULT_TRACE['6.1'].map(([b, n]): [number, string] => [b, n]),
  [VM_FAULT_COMPLETED, 'COMPLETED'],
];

/** Print a bit set the way the kernel's __print_flags does: names joined by '|'. */
export function printFlags(value: number, names: [number, string][]): string {
  const out: string[] = [];
  let rest = value;
  for (const [bit, name] of names) {
    if ((rest & bit) === bit && bit !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push('0x' + rest.toString(16));
  return out.join('|');
}

/**
 * The flags a user-space access fault carries into handle_mm_fault on x86
 * (do_user_addr_fault: FAULT_FLAG_DEFAULT | USER [| WRITE]); modern kernels first try the
 * per-VMA lock, which adds VMA_LOCK.
 */
export function userFaultFlags(version: KernelVersion, write: boolean): number {
  let f = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_INTERRUPTIBLE | FAULT_FLAG_USER;
  if (write) f |= FAULT_FLAG_WRITE;
  if (version === 'modern') f |= FAULT_FLAG_VMA_LOCK;
  return f;
}
