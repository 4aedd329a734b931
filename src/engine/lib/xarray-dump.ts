/**
 * Dumps of an XArray: the JSON shape of the golden traces (../shared/xarray-golden) and a
 * readable text dump in the spirit of the kernel's xa_dump().
 *
 * Conventions in this file:
 *   dump    - null (empty), {entry: ref} (a lone entry in the head), or the root node as
 *             {shift, offset, count, nr_values, marks: [[slots with mark 0], [..1], [..2]], slots}.
 *   slots   - an object keyed by slot number ("0".."63") listing only non-empty slots; a child
 *             is a node dump, or the EntryRef of the entry ({value}, {sibling}, {page},
 *             {pointer}, {internal}).
 *   ids     - with {ids: true} every node also carries its `id` (the view joins on it).
 *
 * What this model leaves out: the kernel's xa_dump prints addresses and the stale `offset`
 * of the root; here the root's offset is always written as 0, as the golden data does.
 */
import type { Json } from '../trace/steps.ts';
import {
  XA_CHUNK_SIZE,
  XaNode,
  XaSibling,
  describeEntry,
  entryRef,
  nodeMarkedSlots,
  type XArray,
  type XaEntry,
  type XaMark,
  xa_marked,
} from './xarray.ts';

export interface XaDumpOptions {
  /** add each node's `id` */
  ids?: boolean;
}

/** The array in the golden JSON format. */
export function xaDump(xa: XArray, opts: XaDumpOptions = {}): Json {
  const head = xa.head;
  if (head === null) return null;
  if (!(head instanceof XaNode)) return { entry: entryRef(xa, head) as Json };
  return dumpNode(xa, head, true, opts.ids === true);
}

function dumpNode(xa: XArray, node: XaNode, isRoot: boolean, ids: boolean): Json {
  const slots: { [k: string]: Json } = {};
  for (let i = 0; i < XA_CHUNK_SIZE; i++) {
    const e = node.slots[i];
    if (e === null) continue;
    slots[String(i)] = e instanceof XaNode ? dumpNode(xa, e, false, ids) : (entryRef(xa, e) as Json);
  }
  const out: { [k: string]: Json } = {};
  if (ids) out.id = node.id;
  out.shift = node.shift;
  out.offset = isRoot ? 0 : node.offset;
  out.count = node.count;
  out.nr_values = node.nr_values;
  out.marks = [nodeMarkedSlots(node, 0), nodeMarkedSlots(node, 1), nodeMarkedSlots(node, 2)];
  out.slots = slots;
  return out;
}

/** The array as text, one line per node and per entry, like the kernel's xa_dump(). */
export function xaDumpText(xa: XArray): string {
  const lines: string[] = [];
  const m = [0, 1, 2].map((k) => (xa_marked(xa, k as XaMark) ? 1 : 0));
  lines.push(`xarray ${xa.name}: head ${describeEntry(xa, xa.head)} marks ${m.join(' ')}`);
  const head = xa.head;
  if (head instanceof XaNode) {
    dumpText(xa, head, 0, head.shift + 6, '', lines);
  } else if (head !== null) {
    lines.push(`0: ${describeEntry(xa, head)}`);
  }
  return lines.join('\n');
}

function range(index: number, shift: number): string {
  if (shift === 0) return `${index}`;
  return `${index}-${index + 2 ** shift - 1}`;
}

function dumpText(xa: XArray, node: XaNode, index: number, shift: number, indent: string, lines: string[]): void {
  const marks = [0, 1, 2].map((k) => `[${nodeMarkedSlots(node, k as XaMark).join(',')}]`).join(' ');
  lines.push(
    `${indent}${range(index, shift)}: node #${node.id} ${node.parent ? 'offset' : 'root'} ${node.parent ? node.offset : ''} shift ${node.shift} count ${node.count} values ${node.nr_values} marks ${marks}`.replace('  ', ' '),
  );
  for (let i = 0; i < XA_CHUNK_SIZE; i++) {
    const e: XaEntry = node.slots[i];
    if (e === null) continue;
    const idx = index + i * 2 ** node.shift;
    if (e instanceof XaNode) dumpText(xa, e, idx, node.shift, indent + '  ', lines);
    else lines.push(`${indent}  ${range(idx, node.shift)}: ${e instanceof XaSibling ? `sibling (slot ${e.offset})` : describeEntry(xa, e)}`);
  }
}
