/**
 * Tracepoint lines as the kernel prints them in /sys/kernel/tracing/trace, so a trace of the
 * simulator can be laid next to a trace of a real machine.
 *
 * Conventions in this file:
 *   event       - one fs_dax tracepoint; a `tp` step carries its name and its fields.
 *   event class - the kernel's DECLARE_EVENT_CLASS: events of one class share fields and format.
 *   %#lx        - the kernel's vsnprintf always writes the 0x prefix, also for zero ("0x0").
 *   flag table  - the {bit, name} list that __print_flags walks (FAULT_FLAG_TRACE in
 *                 include/linux/mm.h, VM_FAULT_RESULT_TRACE in include/linux/mm_types.h).
 *   hashed %p   - trace output hashes pointers by default (tracefs option hash-ptr): 8 zero
 *                 digits then 8 hex digits of a keyed hash. We print the same shape from a fixed
 *                 mix of the pfn, so runs are byte-identical but the value differs from a real one.
 *
 * What this model leaves out: the columns before the event name (task, pid, CPU, irq flags,
 * timestamp); events that the modelled kernels declare but never fire (dax_insert_mapping and
 * dax_pmd_insert_mapping lost their callers when the fault path was reworked around
 * dax_fault_iter; the modern header no longer declares them); the hash-ptr=0 form (raw %px);
 * libtraceevent's user-space formatting (trace-cmd report prints %#lx of 0 as "0").
 * Field layout and formats follow include/trace/events/fs_dax.h of v6.1 and v6.15.
 */
import type { KernelVersion } from '../version';
import type { Json, Step } from './steps';
import { VM_SHARED } from '../mm/mm';
import { FAULT_FLAG_TRACE, VM_FAULT_RESULT_TRACE, type FlagTable } from '../mm/fault-flags';

export type { FlagTable } from '../mm/fault-flags';
export { FAULT_FLAG_TRACE, VM_FAULT_RESULT_TRACE } from '../mm/fault-flags';

/** The event names of each class, as include/trace/events/fs_dax.h declares them. */
export const FS_DAX_EVENTS = {
  pmd_fault: ['dax_pmd_fault', 'dax_pmd_fault_done'],
  pmd_load_hole: ['dax_pmd_load_hole', 'dax_pmd_load_hole_fallback'],
  pte_fault: ['dax_pte_fault', 'dax_pte_fault_done', 'dax_load_hole', 'dax_insert_pfn_mkwrite_no_entry', 'dax_insert_pfn_mkwrite'],
  writeback_range: ['dax_writeback_range', 'dax_writeback_range_done'],
  writeback_one: ['dax_writeback_one'],
} as const;

const CLASS_OF = new Map<string, keyof typeof FS_DAX_EVENTS>();
for (const [cls, names] of Object.entries(FS_DAX_EVENTS) as [keyof typeof FS_DAX_EVENTS, readonly string[]][]) {
  for (const n of names) CLASS_OF.set(n, cls);
}

/**
 * __print_flags: names of the set bits joined by `delim`, in table order; bits no entry
 * claims are appended as one hex number; a value of 0 prints as the empty string.
 * Kernel: kernel/trace/trace_output.c trace_print_flags_seq()
 */
export function trace_print_flags_seq(value: number, delim: string, table: FlagTable): string {
  const out: string[] = [];
  let rest = value >>> 0;
  for (const [mask, name] of table) {
    if (!rest) break;
    if ((rest & mask) >>> 0 !== mask) continue;
    out.push(name);
    rest = (rest & ~mask) >>> 0;
  }
  if (rest) out.push('0x' + rest.toString(16));
  return out.join(delim);
}

/** printf "%#lx" as the kernel's vsnprintf does it: always with 0x, also for 0. */
export function kernelHex(n: number | bigint): string {
  if (typeof n === 'bigint') return '0x' + (n < 0n ? n + (1n << 64n) : n).toString(16);
  if (!Number.isFinite(n)) return '?';
  if (n < 0) return '0x' + (BigInt(Math.trunc(n)) + (1n << 64n)).toString(16);
  return '0x' + Math.trunc(n).toString(16);
}

/** x86-64 vmemmap base: struct page of pfn N lives at VMEMMAP_START + N * 64 (no KASLR). */
const VMEMMAP_START = 0xffffea0000000000n;

/**
 * A hashed "%p" of the struct page (or folio) of `pfn`, in the kernel's shape: 16 digits, the
 * upper 8 zero, as ptr_to_id() prints with the default hash-ptr option. NULL prints as 16 zeros.
 * The hash is a fixed 32-bit mix, not the kernel's boot-time keyed siphash: stable across runs,
 * never equal to a real machine's value.
 */
export function hashedPagePointer(pfn: number | null): string {
  if (pfn === null) return '0'.repeat(16);
  const addr = VMEMMAP_START + BigInt(pfn) * 64n;
  let h = Number(addr & 0xffffffffn) ^ Math.imul(Number((addr >> 32n) & 0xffffffffn), 0x9e3779b1);
  // murmur3 finaliser: every input bit affects every output bit
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return '00000000' + (h >>> 0).toString(16).padStart(8, '0');
}

function num(fields: { [k: string]: Json }, k: string): number {
  const v = fields[k];
  return typeof v === 'number' ? v : NaN;
}

function hx(fields: { [k: string]: Json }, k: string): string {
  return kernelHex(num(fields, k));
}

function devIno(fields: { [k: string]: Json }): string {
  const d = fields.dev;
  const dev = Array.isArray(d) && d.length === 2 && typeof d[0] === 'number' && typeof d[1] === 'number' ? `${d[0]}:${d[1]}` : '?:?';
  return `dev ${dev} ino ${hx(fields, 'ino')}`;
}

function sharing(fields: { [k: string]: Json }): string {
  return num(fields, 'vm_flags') & VM_SHARED ? 'shared' : 'private';
}

/** radix_entry: the XArray word of a value entry v is (v << 1) | 1. */
function radixEntry(fields: { [k: string]: Json }): string {
  const v = fields.radix_entry;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return '?';
  return kernelHex((BigInt(v) << 1n) | 1n);
}

/**
 * The text of one tracepoint line after the task/CPU/flags/timestamp columns, exactly as the
 * `version` kernel's TP_printk renders the event: "<name>: <fields>". An event this file does
 * not know prints as "<name>: key=value ..." so nothing is hidden.
 * Kernel: include/trace/events/fs_dax.h (TP_printk of each event class)
 */
export function formatTracepoint(step: Step, version: KernelVersion): string {
  if (step.t !== 'tp') throw new Error(`formatTracepoint: step ${step.seq} is a ${step.t} step, not a tracepoint`);
  const f = step.fields;
  const flags = () => trace_print_flags_seq(num(f, 'flags'), '|', FAULT_FLAG_TRACE[version]);
  const result = () => trace_print_flags_seq(num(f, 'result'), '|', VM_FAULT_RESULT_TRACE[version]);
  let body: string;
  switch (CLASS_OF.get(step.name)) {
    case 'pmd_fault':
      body =
        `${devIno(f)} ${sharing(f)} ${flags()} address ${hx(f, 'address')} vm_start ${hx(f, 'vm_start')} ` +
        `vm_end ${hx(f, 'vm_end')} pgoff ${hx(f, 'pgoff')} max_pgoff ${hx(f, 'max_pgoff')} ${result()}`;
      break;
    case 'pmd_load_hole': {
      const z = f.zero_page;
      const zero = hashedPagePointer(typeof z === 'number' ? z : null);
      // 6.10 turned the huge zero page into a folio; the format names the field after it.
      const label = version === 'modern' ? 'zero_folio' : 'zero_page';
      body = `${devIno(f)} ${sharing(f)} address ${hx(f, 'address')} ${label} ${zero} radix_entry ${radixEntry(f)}`;
      break;
    }
    case 'pte_fault':
      body = `${devIno(f)} ${sharing(f)} ${flags()} address ${hx(f, 'address')} pgoff ${hx(f, 'pgoff')} ${result()}`;
      break;
    case 'writeback_range':
      body = `${devIno(f)} pgoff ${hx(f, 'start_index')}-${hx(f, 'end_index')}`;
      break;
    case 'writeback_one':
      body = `${devIno(f)} pgoff ${hx(f, 'pgoff')} pglen ${hx(f, 'pglen')}`;
      break;
    default:
      body = Object.keys(f)
        .map((k) => `${k}=${JSON.stringify(f[k])}`)
        .join(' ');
  }
  return `${step.name}: ${body}`;
}
