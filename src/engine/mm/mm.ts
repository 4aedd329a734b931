/**
 * Processes, VMAs and page tables (mm/mmap.c, mm/memory.c, mm/mprotect.c in miniature).
 *
 * Conventions in this file:
 *   mm      - one process's address space: its VMAs and its page table.
 *   vma     - a vm_area_struct: [start, end) with flags, and for a file mapping the file (ino) and
 *             the file page offset of `start` (pgoff).
 *   pmd     - the page-table level that maps 2 MiB: empty, a huge leaf, or a table of PTEs.
 *   pte     - a 4 KiB leaf: pfn plus present/write/dirty/huge/special bits.
 *   addr    - a user virtual address (bytes); pgoff - a file page index.
 *
 * What this model leaves out: the PGD/P4D/PUD levels (a Map keyed by the 2 MiB slot stands for
 * them), TLBs and TLB shootdowns, accessed bits, VMA merging and splitting of anonymous VMAs
 * beyond what munmap/mprotect need, stack and brk. Addresses stay below 2^47 as on x86-64.
 */
import { PAGE_SHIFT, PAGE_SIZE, PMD_SIZE, PG_PMD_NR } from '../constants';
import { kerr, type KErr } from '../errno';
import { hex, type PteRef, type Tracer, type Json } from '../trace/steps';

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_SYNC = 0x80000;

export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_SHARED = 0x8;
export const VM_MAYREAD = 0x10;
export const VM_MAYWRITE = 0x20;
export const VM_MAYSHARE = 0x80;
export const VM_PFNMAP = 0x400;
export const VM_HUGEPAGE = 0x20000000;
export const VM_MIXEDMAP = 0x10000000;
export const VM_SYNC = 0x800000;

/** Where top-down mmap placement starts (x86-64 with 47-bit user addresses, no randomisation). */
export const MMAP_BASE = 0x7f0000000000;
export const TASK_SIZE = 0x7ffffffff000;

export interface Vma {
  /** stable identity for the view and for i_mmap */
  id: number;
  mm: Mm;
  start: number;
  end: number;
  flags: number;
  /** file page offset of vm_start; 0 for anonymous */
  pgoff: number;
  /** the mapped file, or null for anonymous memory */
  ino: number | null;
}

export type PmdSlot = { kind: 'huge'; pte: PteRef } | { kind: 'table'; ptes: Map<number, PteRef> };

/** A process: name, pid, VMAs sorted by start, and a two-level page table. */
export class Mm {
  readonly vmas: Vma[] = [];
  /** key: addr / 2 MiB */
  readonly pmds = new Map<number, PmdSlot>();
  constructor(
    readonly pid: number,
    readonly name: string,
  ) {}
}

export function vmaDescribe(v: Vma): Json {
  return { start: v.start, end: v.end, flags: vmFlagsString(v.flags), pgoff: v.pgoff, ino: v.ino };
}

export function vmFlagsString(f: number): string {
  return (
    (f & VM_READ ? 'r' : '-') +
    (f & VM_WRITE ? 'w' : '-') +
    (f & VM_SHARED ? 's' : 'p') +
    (f & VM_SYNC ? ' sync' : '')
  );
}

/** Virtual address of the PMD slot key. */
export function pmdKey(addr: number): number {
  return Math.floor(addr / PMD_SIZE);
}

function pteIndex(addr: number): number {
  return Math.floor(addr / PAGE_SIZE) % PG_PMD_NR;
}

/**
 * Page-table and VMA operations for all processes. Reference counting of the pages that PTEs
 * point at belongs to the caller (mm/memory.c's zap and insert paths), through `onUnmap`.
 */
export class AddressSpaces {
  readonly procs = new Map<string, Mm>();
  private nextPid = 100;
  private nextVmaId = 1;
  /** Called for each leaf removed by a zap: the caller drops the page reference it held. */
  onUnmap: (mm: Mm, vma: Vma | null, addr: number, pte: PteRef, level: 'pte' | 'pmd') => void = () => {};

  constructor(private readonly tr: Tracer) {}

  /** The process called `name`, created on first use (a fork of nothing: an empty mm). */
  proc(name: string): Mm {
    let mm = this.procs.get(name);
    if (!mm) {
      mm = new Mm(this.nextPid++, name);
      this.procs.set(name, mm);
    }
    return mm;
  }

  /** Kernel: mm/mmap.c find_vma() (here: the VMA containing addr, or null). */
  find_vma(mm: Mm, addr: number): Vma | null {
    for (const v of mm.vmas) if (addr >= v.start && addr < v.end) return v;
    return null;
  }

  /** All VMAs of all processes that map file `ino` (the address_space's i_mmap tree). */
  i_mmap(ino: number): Vma[] {
    const out: Vma[] = [];
    for (const mm of this.procs.values()) for (const v of mm.vmas) if (v.ino === ino) out.push(v);
    return out;
  }

  /**
   * Choose an address for a new mapping: top-down below MMAP_BASE. When `pmdAlign` is set the
   * address gets the same offset inside 2 MiB as the file offset, so PMD faults can work.
   * Kernel: mm/huge_memory.c thp_get_unmapped_area() over arch_get_unmapped_area_topdown().
   */
  get_unmapped_area(mm: Mm, len: number, pgoff: number, pmdAlign: boolean): number | KErr {
    const off = (pgoff * PAGE_SIZE) % PMD_SIZE;
    const need = pmdAlign ? len + PMD_SIZE : len;
    let ceiling = MMAP_BASE;
    const sorted = [...mm.vmas].sort((a, b) => b.start - a.start);
    for (const v of sorted) {
      if (v.start >= ceiling) {
        ceiling = Math.min(ceiling, v.start);
        continue;
      }
      if (ceiling - v.end >= need) break;
      ceiling = v.start;
    }
    let addr = ceiling - need;
    if (addr < 0x10000) return kerr('ENOMEM', 'no gap in the address space is large enough for the mapping');
    if (pmdAlign) {
      // Round up so that addr ≡ file offset (mod 2 MiB), inside the padded gap.
      const rem = (addr - off) % PMD_SIZE;
      addr = rem === 0 ? addr : addr + (PMD_SIZE - ((rem + PMD_SIZE) % PMD_SIZE));
    }
    return addr;
  }

  insertVma(mm: Mm, v: Omit<Vma, 'id' | 'mm'>, why: string): Vma {
    const vma: Vma = { ...v, id: this.nextVmaId++, mm };
    mm.vmas.push(vma);
    mm.vmas.sort((a, b) => a.start - b.start);
    if (this.tr.on)
      this.tr.emit({ t: 'vma', pid: mm.pid, action: 'add', start: vma.start, end: vma.end, old: null, new: vmaDescribe(vma) }, why);
    return vma;
  }

  removeVma(vma: Vma, why: string): void {
    const mm = vma.mm;
    const i = mm.vmas.indexOf(vma);
    if (i >= 0) mm.vmas.splice(i, 1);
    if (this.tr.on)
      this.tr.emit({ t: 'vma', pid: mm.pid, action: 'remove', start: vma.start, end: vma.end, old: vmaDescribe(vma), new: null }, why);
  }

  changeVma(vma: Vma, patch: Partial<Pick<Vma, 'start' | 'end' | 'flags' | 'pgoff'>>, why: string): void {
    const old = vmaDescribe(vma);
    Object.assign(vma, patch);
    if (this.tr.on)
      this.tr.emit({ t: 'vma', pid: vma.mm.pid, action: 'change', start: vma.start, end: vma.end, old, new: vmaDescribe(vma) }, why);
  }

  // ---- page-table access -------------------------------------------------------------

  /** The PMD slot that covers addr (undefined = pmd_none). */
  pmd(mm: Mm, addr: number): PmdSlot | undefined {
    return mm.pmds.get(pmdKey(addr));
  }

  /** The PTE for addr (4 KiB level), or undefined. A huge PMD is not a PTE. */
  pte(mm: Mm, addr: number): PteRef | undefined {
    const s = mm.pmds.get(pmdKey(addr));
    if (!s || s.kind !== 'table') return undefined;
    return s.ptes.get(pteIndex(addr));
  }

  /** What maps addr: the huge PMD leaf or the PTE, with its level. */
  walk(mm: Mm, addr: number): { level: 'pmd' | 'pte'; pte: PteRef; base: number } | null {
    const s = mm.pmds.get(pmdKey(addr));
    if (!s) return null;
    if (s.kind === 'huge') return { level: 'pmd', pte: s.pte, base: pmdKey(addr) * PMD_SIZE };
    const p = s.ptes.get(pteIndex(addr));
    return p ? { level: 'pte', pte: p, base: Math.floor(addr / PAGE_SIZE) * PAGE_SIZE } : null;
  }

  /** Install or change a 4 KiB PTE. Kernel: set_pte_at(). */
  set_pte(mm: Mm, addr: number, pte: PteRef, why: string): void {
    const key = pmdKey(addr);
    let s = mm.pmds.get(key);
    if (s && s.kind === 'huge') throw new Error(`set_pte over a huge PMD at ${hex(addr)}`);
    if (!s) {
      s = { kind: 'table', ptes: new Map() };
      mm.pmds.set(key, s);
    }
    const old = s.ptes.get(pteIndex(addr)) ?? null;
    s.ptes.set(pteIndex(addr), pte);
    const va = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    if (this.tr.on) this.tr.emit({ t: 'pte', pid: mm.pid, vaddr: va, level: 'pte', old, new: { ...pte } }, why);
  }

  /** Install or change a huge PMD leaf. Kernel: set_pmd_at(). */
  set_pmd(mm: Mm, addr: number, pte: PteRef, why: string): void {
    const key = pmdKey(addr);
    const s = mm.pmds.get(key);
    if (s && s.kind === 'table' && s.ptes.size > 0) throw new Error(`set_pmd over a PTE table at ${hex(addr)}`);
    const old = s && s.kind === 'huge' ? s.pte : null;
    mm.pmds.set(key, { kind: 'huge', pte });
    if (this.tr.on) this.tr.emit({ t: 'pte', pid: mm.pid, vaddr: key * PMD_SIZE, level: 'pmd', old, new: { ...pte } }, why);
  }

  /** Remove the leaf that maps addr, if any, calling onUnmap for it. Returns what was removed. */
  zapOne(mm: Mm, addr: number, why: string): PteRef | null {
    const key = pmdKey(addr);
    const s = mm.pmds.get(key);
    if (!s) return null;
    const vma = this.find_vma(mm, addr);
    if (s.kind === 'huge') {
      mm.pmds.delete(key);
      if (this.tr.on) this.tr.emit({ t: 'pte', pid: mm.pid, vaddr: key * PMD_SIZE, level: 'pmd', old: s.pte, new: null }, why);
      this.onUnmap(mm, vma, key * PMD_SIZE, s.pte, 'pmd');
      return s.pte;
    }
    const i = pteIndex(addr);
    const p = s.ptes.get(i);
    if (!p) return null;
    s.ptes.delete(i);
    if (s.ptes.size === 0) mm.pmds.delete(key);
    const va = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    if (this.tr.on) this.tr.emit({ t: 'pte', pid: mm.pid, vaddr: va, level: 'pte', old: p, new: null }, why);
    this.onUnmap(mm, vma, va, p, 'pte');
    return p;
  }

  /** Remove every leaf mapping [start, end) of one process. Kernel: zap_page_range_single(). */
  zapRange(mm: Mm, start: number, end: number, why: string): number {
    let n = 0;
    const keys = [...mm.pmds.keys()].filter((k) => k * PMD_SIZE < end && (k + 1) * PMD_SIZE > start).sort((a, b) => a - b);
    for (const k of keys) {
      const s = mm.pmds.get(k)!;
      if (s.kind === 'huge') {
        // A huge PMD that is only partly inside the range is split by the kernel first; the
        // model removes the whole leaf, which is what unmap_mapping_pages does for DAX.
        if (this.zapOne(mm, k * PMD_SIZE, why)) n++;
        continue;
      }
      const idx = [...s.ptes.keys()].sort((a, b) => a - b);
      for (const i of idx) {
        const va = k * PMD_SIZE + i * PAGE_SIZE;
        if (va >= start && va < end && this.zapOne(mm, va, why)) n++;
      }
    }
    return n;
  }

  /**
   * Unmap file pages [first, first+nr) from every process that maps file `ino`.
   * Kernel: mm/memory.c unmap_mapping_pages() (even_cows = false for DAX callers: private CoW
   * copies are left alone).
   */
  unmap_mapping_pages(ino: number, first: number, nr: number, why: string, evenCows = false): number {
    let n = 0;
    for (const v of this.i_mmap(ino)) {
      const vFirst = v.pgoff;
      const vLast = v.pgoff + (v.end - v.start) / PAGE_SIZE;
      const lo = Math.max(first, vFirst);
      const hi = Math.min(first + nr, vLast);
      if (lo >= hi) continue;
      const start = v.start + (lo - v.pgoff) * PAGE_SIZE;
      const end = v.start + (hi - v.pgoff) * PAGE_SIZE;
      if (evenCows || v.flags & VM_SHARED) n += this.zapRange(v.mm, start, end, why);
      else n += this.zapFileLeaves(v.mm, start, end, why);
    }
    return n;
  }

  /** In a private mapping, zap only leaves that still point at file pages (not anon copies). */
  private zapFileLeaves(mm: Mm, start: number, end: number, why: string): number {
    let n = 0;
    for (let a = Math.floor(start / PAGE_SIZE) * PAGE_SIZE; a < end; ) {
      const w = this.walk(mm, a);
      if (w && !w.pte.anon) {
        if (this.zapOne(mm, a, why)) n++;
      }
      a = w && w.level === 'pmd' ? w.base + PMD_SIZE : a + PAGE_SIZE;
    }
    return n;
  }

  /** Every leaf of every process that maps file page `pgoff` of `ino` (for rmap walks). */
  *mappingsOf(ino: number, pgoff: number): Generator<{ mm: Mm; vma: Vma; addr: number; level: 'pte' | 'pmd'; pte: PteRef }> {
    for (const v of this.i_mmap(ino)) {
      const len = (v.end - v.start) / PAGE_SIZE;
      if (pgoff < v.pgoff || pgoff >= v.pgoff + len) continue;
      const addr = v.start + (pgoff - v.pgoff) * PAGE_SIZE;
      const w = this.walk(v.mm, addr);
      if (w && !w.pte.anon) yield { mm: v.mm, vma: v, addr: w.base, level: w.level, pte: w.pte };
    }
  }

  /** Number of present leaves in all page tables (for dumps and checks). */
  *allLeaves(): Generator<{ mm: Mm; addr: number; level: 'pte' | 'pmd'; pte: PteRef }> {
    for (const mm of this.procs.values()) {
      const keys = [...mm.pmds.keys()].sort((a, b) => a - b);
      for (const k of keys) {
        const s = mm.pmds.get(k)!;
        if (s.kind === 'huge') yield { mm, addr: k * PMD_SIZE, level: 'pmd', pte: s.pte };
        else {
          const idx = [...s.ptes.keys()].sort((a, b) => a - b);
          for (const i of idx) yield { mm, addr: k * PMD_SIZE + i * PAGE_SIZE, level: 'pte', pte: s.ptes.get(i)! };
        }
      }
    }
  }
}

/** Page offset inside the file for a user address in a file VMA. Kernel: linear_page_index(). */
export function linear_page_index(vma: Vma, addr: number): number {
  return vma.pgoff + Math.floor((addr - vma.start) / PAGE_SIZE);
}

export function pageAlignDown(a: number): number {
  return Math.floor(a / PAGE_SIZE) * PAGE_SIZE;
}

export function pfnOfAddr(pte: PteRef, level: 'pte' | 'pmd', addr: number): number {
  return level === 'pmd' ? pte.pfn + (Math.floor(addr / PAGE_SIZE) % PG_PMD_NR) : pte.pfn;
}

export { PAGE_SHIFT };
