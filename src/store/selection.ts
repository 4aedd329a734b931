/**
 * The selection slice: what the user picked (click or keyboard) and what the pointer is over.
 * Both name a kernel object by its identity, never by where a panel drew it, so every panel can
 * light up its own view of the same object (src/panels/highlight/related.ts works out which).
 *
 * Conventions in this file:
 *   target   - a pfn, a page-table leaf (pid, level, vaddr), a device block, a file page
 *              (ino, index), an extent (ino, first file block) or a whole file (ino).
 *   selected - sticks until Escape, a click on empty space, or another pick; a second pick of
 *              the same target clears it.
 *   hovered  - follows the pointer (and keyboard focus); it wins over `selected` for highlighting
 *              while it is set.
 */
import type { StateCreator } from 'zustand';
import type { SelectionSlice, SelTarget, SimState } from './types';

/** Same kernel object? */
export function sameTarget(a: SelTarget | null, b: SelTarget | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.kind !== b.kind) return false;
  return targetKey(a) === targetKey(b);
}

/** A string identity for a target ("pfn:0x40200", "pte:100:pte:7f0000001000", "page:131:4"...). */
export function targetKey(t: SelTarget): string {
  switch (t.kind) {
    case 'pfn':
      return `pfn:0x${t.pfn.toString(16)}`;
    case 'pte':
      return `pte:${t.pid}:${t.level}:${t.vaddr.toString(16)}`;
    case 'block':
      return `block:${t.block}`;
    case 'page':
      return `page:${t.ino}:${t.index}`;
    case 'extent':
      return `extent:${t.ino}:${t.off}`;
    case 'file':
      return `file:${t.ino}`;
  }
}

export const createSelectionSlice: StateCreator<SimState, [], [], SelectionSlice> = (set, get) => ({
  selectedNode: null,
  selected: null,
  hovered: null,
  selectNode(id) {
    set({ selectedNode: id });
  },
  select(t) {
    set({ selected: t && sameTarget(get().selected, t) ? null : t });
  },
  hover(t) {
    if (!sameTarget(get().hovered, t)) set({ hovered: t });
  },
  clearSelection() {
    set({ selected: null, hovered: null, selectedNode: null });
  },
});
