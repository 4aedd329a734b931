/**
 * Which struct pages the panel lists at a cursor, pure: the inspected page first, then the pages the
 * current operation has touched so far (most recent first); before any page step in the op, the
 * pages touched most recently before it.
 *
 * Conventions in this file:
 *   touched - a page step (t: 'page') named the pfn.
 */
import type { Step } from '../../engine/trace/steps';

/** Fields in display order (dumpPage's order; `share` replaces `index` when it overlays it). */
export const FIELD_ORDER = ['_refcount', 'mapcount', 'mapping', 'index', 'share', 'order', 'compound_head', 'entire_mapcount', 'large_mapcount', 'flags'] as const;

/** Indices of the page steps of each trace, ascending (so looking back skips every other step). */
const pageStepIndex = new WeakMap<readonly Step[], number[]>();

function pageSteps(steps: readonly Step[]): number[] {
  let idx = pageStepIndex.get(steps);
  if (!idx) {
    idx = [];
    for (let i = 0; i < steps.length; i++) if (steps[i].t === 'page') idx.push(i);
    pageStepIndex.set(steps, idx);
  }
  return idx;
}

/** How many entries of the ascending `idx` are below `n`. */
function countBelow(idx: readonly number[], n: number): number {
  let lo = 0;
  let hi = idx.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (idx[mid] < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function pagesToShow(steps: readonly Step[], cursor: number, inspected: number | null, max: number): { pfns: number[]; recentFields: Set<string> } {
  const pfns: number[] = inspected === null ? [] : [inspected];
  const recentFields = new Set<string>();
  const cur = cursor > 0 ? steps[cursor - 1] : undefined;
  const op = cur ? cur.op : -2;
  // Pages touched by the current op up to the cursor, most recent first.
  for (let i = cursor - 1; i >= 0 && steps[i].op === op; i--) {
    const s = steps[i];
    if (s.t !== 'page') continue;
    recentFields.add(`${s.pfn}:${s.field}`);
    if (!pfns.includes(s.pfn) && pfns.length < max) pfns.push(s.pfn);
  }
  // Nothing yet in this op: the most recently touched pages before it.
  if (pfns.length === (inspected === null ? 0 : 1)) {
    const idx = pageSteps(steps);
    for (let j = countBelow(idx, cursor) - 1; j >= 0 && pfns.length < Math.min(max, (inspected === null ? 0 : 1) + 3); j--) {
      const s = steps[idx[j]];
      if (s.t === 'page' && !pfns.includes(s.pfn)) pfns.push(s.pfn);
    }
  }
  return { pfns, recentFields };
}
