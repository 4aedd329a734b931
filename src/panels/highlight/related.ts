/**
 * Cross-panel highlighting: from one selected object to everything that names the same memory.
 * A pfn ↔ the XArray slot that holds it ↔ the page-table entries that map it ↔ the extent and
 * file blocks that own it. The pmem pfn of filesystem block b is pmemStartPfn + b.
 *
 * Conventions in this file:
 *   page key  - "ino:index": one page of one file (the XArray index in that file's i_pages).
 *   leaf key  - "pid:level:vaddr" (vaddr in hex), see pagetables/state.ts leafKey().
 *   PMD_NR    - a huge (PMD) entry maps 512 consecutive pfns and 512 file pages.
 */
import type { SelTarget } from '../../store/types';
import { blockAt, ownersOfBlock } from '../files/state';
import { filePageOf, leafKey, type LeafView, type ProcView } from '../pagetables/state';
import type { World } from './world';

const PMD_NR = 512;

export interface Highlight {
  pfns: Set<number>;
  blocks: Set<number>;
  /** "ino:index" */
  pages: Set<string>;
  /** leaf keys */
  ptes: Set<string>;
  /** inode numbers */
  files: Set<number>;
}

export function emptyHighlight(): Highlight {
  return { pfns: new Set(), blocks: new Set(), pages: new Set(), ptes: new Set(), files: new Set() };
}

/** Whether nothing is highlighted. */
export function isEmptyHighlight(h: Highlight): boolean {
  return h.pfns.size === 0 && h.blocks.size === 0 && h.pages.size === 0 && h.ptes.size === 0 && h.files.size === 0;
}

function leafPfns(l: LeafView): number[] {
  const n = l.level === 'pmd' ? PMD_NR : 1;
  return Array.from({ length: n }, (_, i) => l.pte.pfn + i);
}

function allLeaves(w: World): { proc: ProcView; leaf: LeafView }[] {
  const out: { proc: ProcView; leaf: LeafView }[] = [];
  for (const proc of w.procs.procs.values()) for (const leaf of proc.leaves.values()) out.push({ proc, leaf });
  return out;
}

/** The pmem block of a pfn, or null when the pfn is DRAM (page cache, anonymous copies, zero page). */
export function blockOfPfn(w: World, pfn: number): number | null {
  const b = pfn - w.pmemStartPfn;
  return b >= 0 ? b : null;
}

/** Everything related to `t` in world `w`. */
export function related(t: SelTarget | null, w: World): Highlight {
  const h = emptyHighlight();
  if (!t) return h;
  const pfnQueue: number[] = [];
  const addPfn = (p: number) => {
    if (!h.pfns.has(p)) {
      h.pfns.add(p);
      pfnQueue.push(p);
    }
  };
  const addBlock = (b: number) => addPfn(w.pmemStartPfn + b);

  switch (t.kind) {
    case 'pfn':
      addPfn(t.pfn);
      break;
    case 'block':
      addBlock(t.block);
      break;
    case 'pte': {
      const proc = w.procs.procs.get(t.pid);
      const leaf = proc?.leaves.get(`${t.level}:${t.vaddr.toString(16)}`);
      h.ptes.add(leafKey(t.pid, t.level, t.vaddr));
      if (leaf && leaf.pte.present) for (const p of leafPfns(leaf)) addPfn(p);
      break;
    }
    case 'page': {
      h.pages.add(`${t.ino}:${t.index}`);
      h.files.add(t.ino);
      const b = blockAt(w.files, t.ino, t.index);
      if (b !== null) addBlock(b);
      break;
    }
    case 'extent': {
      h.files.add(t.ino);
      const e = w.files.files.get(t.ino)?.extents.find((x) => x.off === t.off);
      if (e) for (let i = 0; i < e.len; i++) addBlock(e.block + i);
      break;
    }
    case 'file': {
      h.files.add(t.ino);
      for (const e of w.files.files.get(t.ino)?.extents ?? []) for (let i = 0; i < e.len; i++) addBlock(e.block + i);
      break;
    }
  }

  // pfn -> block -> owning file pages.
  for (const p of pfnQueue) {
    const b = blockOfPfn(w, p);
    if (b === null) continue;
    const owners = ownersOfBlock(w.files, b);
    if (owners.length) h.blocks.add(b);
    for (const o of owners) {
      h.pages.add(`${o.ino}:${o.off}`);
      h.files.add(o.ino);
    }
  }
  // Leaves that map a lit pfn (a private copy maps DRAM, so it only lights when its own pfn does).
  for (const { proc, leaf } of allLeaves(w)) {
    if (!leaf.pte.present) continue;
    const lit = leafPfns(leaf).some((p) => h.pfns.has(p));
    if (lit) h.ptes.add(leafKey(proc.pid, leaf.level, leaf.vaddr));
    else if (t.kind === 'page' && !leaf.pte.anon) {
      // A hole mapped to the zero page still belongs to the file page it was faulted for.
      const fp = filePageOf(proc, leaf);
      if (fp && fp.ino === t.ino && fp.index === t.index) h.ptes.add(leafKey(proc.pid, leaf.level, leaf.vaddr));
    }
  }
  return h;
}

/** The XArray name of a file's page cache, as the engine names it ("i_pages:131"). */
export function inoOfXa(xa: string): number | null {
  const m = /^i_pages:(\d+)$/.exec(xa);
  return m ? Number(m[1]) : null;
}
