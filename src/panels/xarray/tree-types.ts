/**
 * The XArray tree as the panel reads it: the golden dump format of
 * /work/shared/xarray-golden/README.md, plus the engine's node ids (xaDump(xa, { ids: true })).
 * Declared structurally here so the panel also draws the golden fixtures, which have no ids.
 *
 * Conventions in this file:
 *   entry  - what a slot holds when it is neither a node nor a sibling: a value entry {value},
 *            or, in engine dumps, a page pointer {page}, an internal entry, an opaque pointer.
 *   canonical slot - the first slot of a multi-index entry; its other slots hold {sibling: canonical}.
 */

export type XaEntryDump =
  | { value: number }
  | { page: number }
  | { pointer: string }
  | { internal: string }
  | { [k: string]: unknown };

export interface XaNodeDump {
  /** engine identity of the xa_node (absent in golden fixtures) */
  id?: number;
  shift: number;
  offset: number;
  count: number;
  nr_values: number;
  /** marks[m] lists the slots whose mark m is set */
  marks: number[][];
  slots: { [slot: string]: XaChildDump };
}

export type XaChildDump = XaNodeDump | { sibling: number } | XaEntryDump;

/** A whole array: empty, one entry held in the head, or a root node. */
export type XaTreeDump = null | { entry: XaEntryDump } | XaNodeDump;

export function isNodeDump(c: unknown): c is XaNodeDump {
  return typeof c === 'object' && c !== null && 'shift' in c && 'slots' in c;
}

export function isSiblingDump(c: unknown): c is { sibling: number } {
  return typeof c === 'object' && c !== null && 'sibling' in c && typeof (c as { sibling: unknown }).sibling === 'number';
}

export function isHeadEntry(t: XaTreeDump): t is { entry: XaEntryDump } {
  return typeof t === 'object' && t !== null && 'entry' in t;
}
