/**
 * Processes as the Page tables panel shows them at one cursor: each process's VMAs and the leaf
 * entries of its page table (PTEs and huge PMDs). Built from a machine keyframe and moved with
 * the trace's `vma` and `pte` deltas, forwards (`new`) or backwards (`old`).
 *
 * Conventions in this file:
 *   leaf key - "pid:level:vaddr" (vaddr in hex): the identity of one page-table entry, used as
 *              the join key and by the cross-panel selection.
 *   flags    - VMA flags as the dump prints them: r, w, x (or '-'), then s (shared) or p (private).
 */
import type { Json, PteRef, Step } from '../../engine/trace/steps';
import { parseHex, pteFromDump, type MachineDump } from '../highlight/dump';

export interface VmaView {
  start: number;
  end: number;
  flags: string;
  pgoff: number;
  ino: number | null;
}

export interface LeafView {
  vaddr: number;
  level: 'pte' | 'pmd';
  pte: PteRef;
}

export interface ProcView {
  pid: number;
  name: string;
  vmas: VmaView[];
  leaves: Map<string, LeafView>;
}

export interface ProcsState {
  procs: Map<number, ProcView>;
}

export function leafKey(pid: number, level: 'pte' | 'pmd', vaddr: number): string {
  return `${pid}:${level}:${vaddr.toString(16)}`;
}

export function procsFromDump(d: MachineDump): ProcsState {
  const inoByName = new Map(d.files.map((f) => [f.name, f.ino]));
  const procs = new Map<number, ProcView>();
  for (const p of d.processes) {
    const leaves = new Map<string, LeafView>();
    for (const l of p.pagetable) {
      const vaddr = parseHex(l.addr);
      leaves.set(`${l.level}:${vaddr.toString(16)}`, { vaddr, level: l.level, pte: pteFromDump(l) });
    }
    procs.set(p.pid, {
      pid: p.pid,
      name: p.name,
      vmas: p.vmas.map((v) => ({ start: parseHex(v.start), end: parseHex(v.end), flags: v.flags, pgoff: v.pgoff, ino: v.file === null ? null : (inoByName.get(v.file) ?? null) })),
      leaves,
    });
  }
  return { procs };
}

export function emptyProcs(): ProcsState {
  return { procs: new Map() };
}

export function cloneProcs(s: ProcsState): ProcsState {
  const procs = new Map<number, ProcView>();
  for (const [k, p] of s.procs) procs.set(k, { ...p, vmas: p.vmas.slice(), leaves: new Map(p.leaves) });
  return { procs };
}

function procOf(s: ProcsState, pid: number, name: string | null): ProcView {
  let p = s.procs.get(pid);
  if (!p) {
    p = { pid, name: name ?? `pid ${pid}`, vmas: [], leaves: new Map() };
    s.procs.set(pid, p);
  }
  return p;
}

function vmaOf(j: Json): VmaView | null {
  if (!j || typeof j !== 'object' || Array.isArray(j)) return null;
  const { start, end, flags, pgoff, ino } = j;
  if (typeof start !== 'number' || typeof end !== 'number') return null;
  return { start, end, flags: typeof flags === 'string' ? flags : '', pgoff: typeof pgoff === 'number' ? pgoff : 0, ino: typeof ino === 'number' ? ino : null };
}

/**
 * Apply one step to `s` (in place): forwards when dir is 1, undo when dir is -1. `procName` names
 * a process first seen in this step (the op's `proc` argument), since no step introduces one.
 */
export function applyProcStep(s: ProcsState, step: Step, dir: 1 | -1, procName: string | null = null): void {
  if (step.t === 'pte') {
    const p = procOf(s, step.pid, procName);
    const k = `${step.level}:${step.vaddr.toString(16)}`;
    const v = dir === 1 ? step.new : step.old;
    if (v === null) p.leaves.delete(k);
    else p.leaves.set(k, { vaddr: step.vaddr, level: step.level, pte: { ...v } });
    return;
  }
  if (step.t === 'vma') {
    const p = procOf(s, step.pid, procName);
    const gone = vmaOf(dir === 1 ? step.old : step.new);
    const came = vmaOf(dir === 1 ? step.new : step.old);
    let vmas = p.vmas;
    if (gone) vmas = vmas.filter((v) => !(v.start === gone.start && v.end === gone.end));
    else if (step.action === 'add' && dir === -1) vmas = vmas.filter((v) => !(v.start === step.start && v.end === step.end));
    if (came) vmas = [...vmas.filter((v) => !(v.start === came.start && v.end === came.end)), came];
    p.vmas = vmas.sort((a, b) => a.start - b.start);
  }
}

/**
 * Processes by pid; their leaves sorted by address. A process with neither VMAs nor page-table
 * entries is left out (no step announces a process, so stepping back over its first mmap leaves it
 * empty rather than gone).
 */
export function sortedProcs(s: ProcsState): { proc: ProcView; leaves: LeafView[] }[] {
  return [...s.procs.values()]
    .filter((p) => p.vmas.length > 0 || p.leaves.size > 0)
    .sort((a, b) => a.pid - b.pid)
    .map((proc) => ({ proc, leaves: [...proc.leaves.values()].sort((a, b) => a.vaddr - b.vaddr || (a.level < b.level ? -1 : 1)) }));
}

/** The VMA of `p` that contains `vaddr`, if any. */
export function vmaAt(p: ProcView, vaddr: number): VmaView | null {
  return p.vmas.find((v) => vaddr >= v.start && vaddr < v.end) ?? null;
}

/** The file page a leaf maps through its VMA: pgoff + (vaddr - start) / 4096, or null (anonymous, no VMA). */
export function filePageOf(p: ProcView, l: LeafView): { ino: number; index: number } | null {
  const v = vmaAt(p, l.vaddr);
  if (!v || v.ino === null) return null;
  return { ino: v.ino, index: v.pgoff + Math.floor((l.vaddr - v.start) / 4096) };
}

/** "pwdHsa"-style flag string of a PTE. */
export function pteFlagString(p: PteRef): string {
  return (p.present ? 'p' : '-') + (p.write ? 'w' : '-') + (p.dirty ? 'd' : '-') + (p.huge ? 'H' : '-') + (p.special ? 's' : '-') + (p.anon ? 'a' : '-');
}
