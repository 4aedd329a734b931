/**
 * Which XArray slots to light for a highlight: a slot is lit when its entry names a lit pfn (a
 * DAX value entry's pfn, a page-cache folio's pfn) or when it covers a lit page of the file
 * whose i_pages the array is.
 *
 * Conventions in this file:
 *   slot key - "node:slot" with the engine node id ("head" for an entry held in the head).
 */
import { decodeDaxEntry } from '../../engine/fs/dax-entry';
import { isHeadEntry, isNodeDump, isSiblingDump, type XaEntryDump, type XaNodeDump, type XaTreeDump } from '../xarray/tree-types';
import { inoOfXa, isEmptyHighlight, type Highlight } from './related';

/** The pfn an entry names, or null (empty, zero-page or unknown entries). */
export function entryPfn(e: XaEntryDump): number | null {
  if ('page' in e && typeof e.page === 'number') return e.page;
  if ('value' in e && typeof e.value === 'number') {
    const d = decodeDaxEntry(e.value);
    return d.empty || d.zero ? null : d.pfn;
  }
  return null;
}

/** Slot keys to light in array `xa` (shape `tree`) for highlight `h`. */
export function litSlots(tree: XaTreeDump, xa: string, h: Highlight): Set<string> {
  const out = new Set<string>();
  const ino = inoOfXa(xa);
  if (ino === null || !tree || isEmptyHighlight(h)) return out;
  const pageLit = (first: number, n: number) => {
    for (let i = 0; i < n; i++) if (h.pages.has(`${ino}:${first + i}`)) return true;
    return false;
  };
  if (isHeadEntry(tree)) {
    const p = entryPfn(tree.entry);
    if ((p !== null && h.pfns.has(p)) || pageLit(0, 1)) out.add('head');
    return out;
  }
  const walk = (n: XaNodeDump, base: number) => {
    const span = 2 ** n.shift;
    const entries = new Map<number, XaEntryDump>();
    for (const [k, c] of Object.entries(n.slots)) {
      const slot = Number(k);
      const first = base + slot * span;
      if (isNodeDump(c)) {
        walk(c, first);
        continue;
      }
      if (isSiblingDump(c)) continue;
      entries.set(slot, c as XaEntryDump);
      const p = entryPfn(c as XaEntryDump);
      if ((p !== null && h.pfns.has(p)) || pageLit(first, span)) out.add(`${n.id ?? ''}:${slot}`);
    }
    // Sibling slots belong to their canonical slot's entry and cover their own indices.
    for (const [k, c] of Object.entries(n.slots)) {
      if (!isSiblingDump(c)) continue;
      const slot = Number(k);
      const canon = entries.get(c.sibling);
      const p = canon ? entryPfn(canon) : null;
      if (out.has(`${n.id ?? ''}:${c.sibling}`) || (p !== null && h.pfns.has(p)) || pageLit(base + slot * span, span)) {
        out.add(`${n.id ?? ''}:${slot}`);
        out.add(`${n.id ?? ''}:${c.sibling}`);
      }
    }
  };
  walk(tree, 0);
  return out;
}

/**
 * What a click on slot `slot` of node `nodeId` picks: the file page at the slot's first index
 * (null when the array is not a file's i_pages or the slot is not found).
 */
export function slotTarget(tree: XaTreeDump, xa: string, nodeId: number | null, slot: number): { kind: 'page'; ino: number; index: number } | null {
  const ino = inoOfXa(xa);
  if (ino === null || !tree) return null;
  if (isHeadEntry(tree)) return nodeId === null ? { kind: 'page', ino, index: 0 } : null;
  const find = (n: XaNodeDump, base: number): number | null => {
    if (n.id === nodeId) return base + slot * 2 ** n.shift;
    for (const [k, c] of Object.entries(n.slots)) {
      if (!isNodeDump(c)) continue;
      const r = find(c, base + Number(k) * 2 ** n.shift);
      if (r !== null) return r;
    }
    return null;
  };
  const index = find(tree, 0);
  return index === null ? null : { kind: 'page', ino, index };
}
