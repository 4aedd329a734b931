/**
 * Expected lines are written by hand from TP_printk in include/trace/events/fs_dax.h (v6.1 and
 * v6.15), FAULT_FLAG_TRACE (include/linux/mm.h) and VM_FAULT_RESULT_TRACE
 * (include/linux/mm_types.h), and the kernel's vsnprintf rules (%#lx of 0 is "0x0").
 */
import { describe, expect, it } from 'vitest';
import type { Json, Step } from './steps';
import { formatTracepoint, hashedPagePointer, kernelHex, trace_print_flags_seq, VM_FAULT_RESULT_TRACE, FAULT_FLAG_TRACE } from './tracepoints';

function tp(name: string, fields: { [k: string]: Json }): Step {
  return { t: 'tp', name, fields, seq: 0, op: 0, depth: 2, task: 1, text: `tracepoint fs_dax:${name}.` };
}

// vm_flags of a shared read-write file mapping: READ|WRITE|SHARED|MAYREAD|MAYWRITE|MAYSHARE
const SHARED_RW = 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x80;
// a private read-only mapping: READ|MAYREAD|MAYWRITE
const PRIVATE_RO = 0x1 | 0x10 | 0x20;
// FAULT_FLAG_* bits: WRITE 0x1, ALLOW_RETRY 0x4, KILLABLE 0x10, USER 0x40, INTERRUPTIBLE 0x200, VMA_LOCK 0x1000
const USER_READ = 0x4 | 0x10 | 0x40 | 0x200;
const USER_WRITE = USER_READ | 0x1;
const VMA_LOCK = 0x1000;

const base = { dev: [259, 0], ino: 131 };

describe('dax_pte_fault_class', () => {
  it('modern: a write fault entry; result 0 prints nothing after the last space', () => {
    const s = tp('dax_pte_fault', { ...base, vm_flags: SHARED_RW, address: 0x7f0000000000, pgoff: 0, flags: USER_WRITE | VMA_LOCK, result: 0 });
    expect(formatTracepoint(s, 'modern')).toBe(
      'dax_pte_fault: dev 259:0 ino 0x83 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7f0000000000 pgoff 0x0 ',
    );
  });

  it('6.1: the same flags; VMA_LOCK is not in the 6.1 table and prints as leftover hex', () => {
    const s = tp('dax_pte_fault', { ...base, vm_flags: SHARED_RW, address: 0x7f0000000000, pgoff: 0, flags: USER_WRITE | VMA_LOCK, result: 0 });
    expect(formatTracepoint(s, '6.1')).toBe(
      'dax_pte_fault: dev 259:0 ino 0x83 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|0x1000 address 0x7f0000000000 pgoff 0x0 ',
    );
  });

  it('6.1: dax_pte_fault_done of a read on a private mapping with MAJOR|NOPAGE in table order', () => {
    const s = tp('dax_pte_fault_done', { ...base, vm_flags: PRIVATE_RO, address: 0x7f0000005000, pgoff: 5, flags: USER_READ, result: 0x100 | 0x4 });
    expect(formatTracepoint(s, '6.1')).toBe('dax_pte_fault_done: dev 259:0 ino 0x83 private ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE address 0x7f0000005000 pgoff 0x5 MAJOR|NOPAGE');
  });

  it('modern: dax_load_hole, dax_insert_pfn_mkwrite and the _no_entry variant share the class', () => {
    const f = { ...base, vm_flags: SHARED_RW, address: 0x7f0000001000, pgoff: 1, flags: USER_READ | VMA_LOCK, result: 0x100 };
    expect(formatTracepoint(tp('dax_load_hole', f), 'modern')).toBe(
      'dax_load_hole: dev 259:0 ino 0x83 shared ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7f0000001000 pgoff 0x1 NOPAGE',
    );
    expect(formatTracepoint(tp('dax_insert_pfn_mkwrite_no_entry', { ...f, flags: USER_WRITE }), 'modern')).toBe(
      'dax_insert_pfn_mkwrite_no_entry: dev 259:0 ino 0x83 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE address 0x7f0000001000 pgoff 0x1 NOPAGE',
    );
  });

  it('result names differ by version: WRITE only in 6.1, COMPLETED only in modern', () => {
    const f = { ...base, vm_flags: SHARED_RW, address: 0x1000, pgoff: 0, flags: 0 };
    // flags 0: __print_flags prints the empty string, so two spaces follow "shared"
    expect(formatTracepoint(tp('dax_pte_fault_done', { ...f, result: 0x8 }), '6.1')).toBe('dax_pte_fault_done: dev 259:0 ino 0x83 shared  address 0x1000 pgoff 0x0 WRITE');
    expect(formatTracepoint(tp('dax_pte_fault_done', { ...f, result: 0x8 }), 'modern')).toBe('dax_pte_fault_done: dev 259:0 ino 0x83 shared  address 0x1000 pgoff 0x0 0x8');
    expect(formatTracepoint(tp('dax_pte_fault_done', { ...f, result: 0x4000 }), '6.1')).toBe('dax_pte_fault_done: dev 259:0 ino 0x83 shared  address 0x1000 pgoff 0x0 0x4000');
    expect(formatTracepoint(tp('dax_pte_fault_done', { ...f, result: 0x4000 }), 'modern')).toBe('dax_pte_fault_done: dev 259:0 ino 0x83 shared  address 0x1000 pgoff 0x0 COMPLETED');
    expect(formatTracepoint(tp('dax_pte_fault_done', { ...f, result: 0x2 | 0x800 }), 'modern')).toBe('dax_pte_fault_done: dev 259:0 ino 0x83 shared  address 0x1000 pgoff 0x0 SIGBUS|FALLBACK');
  });
});

describe('dax_pmd_fault_class', () => {
  const f = {
    ...base, vm_start: 0x7f0000000000, vm_end: 0x7f0000400000, vm_flags: SHARED_RW,
    address: 0x7f0000201000, pgoff: 0x201, max_pgoff: 0x400,
  };

  it('modern: dax_pmd_fault on entry, result 0', () => {
    expect(formatTracepoint(tp('dax_pmd_fault', { ...f, flags: USER_READ | VMA_LOCK, result: 0 }), 'modern')).toBe(
      'dax_pmd_fault: dev 259:0 ino 0x83 shared ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7f0000201000 vm_start 0x7f0000000000 vm_end 0x7f0000400000 pgoff 0x201 max_pgoff 0x400 ',
    );
  });

  it('6.1: dax_pmd_fault_done falling back', () => {
    expect(formatTracepoint(tp('dax_pmd_fault_done', { ...f, flags: USER_WRITE, result: 0x800 }), '6.1')).toBe(
      'dax_pmd_fault_done: dev 259:0 ino 0x83 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE address 0x7f0000201000 vm_start 0x7f0000000000 vm_end 0x7f0000400000 pgoff 0x201 max_pgoff 0x400 FALLBACK',
    );
  });
});

describe('dax_pmd_load_hole_class', () => {
  // a zero PMD entry for pfn 0x1200: (0x1200 << 4) | DAX_PMD | DAX_ZERO_PAGE = 0x12006;
  // the XArray word of value entry v is (v << 1) | 1 = 0x2400d
  const f = { ...base, vm_flags: PRIVATE_RO, address: 0x7f0000200000, zero_page: 0x1200, radix_entry: 0x12006 };

  it('6.1 names the pointer zero_page', () => {
    expect(formatTracepoint(tp('dax_pmd_load_hole', f), '6.1')).toBe(
      `dax_pmd_load_hole: dev 259:0 ino 0x83 private address 0x7f0000200000 zero_page ${hashedPagePointer(0x1200)} radix_entry 0x2400d`,
    );
  });

  it('modern names it zero_folio', () => {
    expect(formatTracepoint(tp('dax_pmd_load_hole', f), 'modern')).toBe(
      `dax_pmd_load_hole: dev 259:0 ino 0x83 private address 0x7f0000200000 zero_folio ${hashedPagePointer(0x1200)} radix_entry 0x2400d`,
    );
  });

  it('fallback without a huge zero page prints a NULL pointer as 16 zeros', () => {
    // an unlocked empty PMD entry: DAX_PMD | DAX_EMPTY = 0xa, word 0x15
    expect(formatTracepoint(tp('dax_pmd_load_hole_fallback', { ...f, zero_page: null, radix_entry: 0xa }), '6.1')).toBe(
      'dax_pmd_load_hole_fallback: dev 259:0 ino 0x83 private address 0x7f0000200000 zero_page 0000000000000000 radix_entry 0x15',
    );
  });

  it('hashed pointers have the kernel shape, are stable and tell pages apart', () => {
    const a = hashedPagePointer(0x1200);
    expect(a).toMatch(/^00000000[0-9a-f]{8}$/);
    expect(hashedPagePointer(0x1200)).toBe(a);
    expect(hashedPagePointer(0x1201)).not.toBe(a);
    expect(hashedPagePointer(0)).toMatch(/^00000000[0-9a-f]{8}$/);
  });
});

describe('writeback classes', () => {
  it('dax_writeback_range and _done (same format in both versions)', () => {
    for (const v of ['6.1', 'modern'] as const) {
      expect(formatTracepoint(tp('dax_writeback_range', { ...base, start_index: 0, end_index: 0x3ff }), v)).toBe('dax_writeback_range: dev 259:0 ino 0x83 pgoff 0x0-0x3ff');
      expect(formatTracepoint(tp('dax_writeback_range_done', { ...base, start_index: 0, end_index: 0x3ff }), v)).toBe(
        'dax_writeback_range_done: dev 259:0 ino 0x83 pgoff 0x0-0x3ff',
      );
    }
  });

  it('dax_writeback_one', () => {
    for (const v of ['6.1', 'modern'] as const) {
      expect(formatTracepoint(tp('dax_writeback_one', { dev: [8, 17], ino: 0x2000083, pgoff: 0x200, pglen: 0x200 }), v)).toBe(
        'dax_writeback_one: dev 8:17 ino 0x2000083 pgoff 0x200 pglen 0x200',
      );
    }
  });
});

describe('helpers', () => {
  it('__print_flags: table order, leftovers as one hex number, 0 as empty', () => {
    expect(trace_print_flags_seq(0, '|', FAULT_FLAG_TRACE.modern)).toBe('');
    // UNSHARE (0x400) and ORIG_PTE_VALID (0x800) have no names in either table
    expect(trace_print_flags_seq(0x1 | 0x400 | 0x800, '|', FAULT_FLAG_TRACE['6.1'])).toBe('WRITE|0xc00');
    expect(trace_print_flags_seq(0x400, '|', FAULT_FLAG_TRACE['6.1'])).toBe('0x400');
    expect(trace_print_flags_seq(0x104 | 0x2000, '|', VM_FAULT_RESULT_TRACE['6.1'])).toBe('MAJOR|NOPAGE|NEEDDSYNC');
  });

  it('%#lx keeps the 0x prefix for zero and prints 64-bit values', () => {
    expect(kernelHex(0)).toBe('0x0');
    expect(kernelHex(0x7fffffffe000)).toBe('0x7fffffffe000');
    expect(kernelHex(-1)).toBe('0xffffffffffffffff');
  });

  it('an event without a known format keeps all its fields', () => {
    expect(formatTracepoint(tp('dax_something_new', { a: 1, b: 'x' }), 'modern')).toBe('dax_something_new: a=1 b="x"');
  });

  it('refuses a step that is not a tracepoint', () => {
    const s: Step = { t: 'note', seq: 3, op: 0, depth: 0, task: 0, text: 'n' };
    expect(() => formatTracepoint(s, 'modern')).toThrow(/not a tracepoint/);
  });
});
