/**
 * Structural checker for the XArray: every rule lib/xarray.c keeps between operations.
 *
 * Conventions in this file:
 *   rule   - a stable identifier ("xa.count", "xa.mark-parent", ...), see RULES below.
 *   where  - "xa <name> node #<id>[ slot <n>]" or "xa <name> head".
 *   canonical slot - the first slot of an entry; the slots after it that belong to the same
 *            multi-index entry hold sibling entries pointing back at it.
 *
 * What this model leaves out: the rules about RCU (retry entries in freed nodes) and about
 * XA_FREE_MARK (allocating arrays) do not apply to this model. The nr_values rule is the
 * natural one (value slots plus siblings of value slots); the kernel's own accounting drifts
 * from it in one corner it never reaches in practice: an order-0 store of a pointer over a
 * multi-index value entry (or the reverse) keeps the sibling slots' old contribution.
 */
import type { Violation } from './violation.ts';
import {
  XA_CHUNK_SHIFT,
  XA_CHUNK_SIZE,
  XA_MARK_MAX,
  XaInternal,
  XaNode,
  XaSibling,
  node_any_mark,
  node_get_mark,
  xa_is_err,
  xa_marked,
  type XArray,
  type XaMark,
} from '../lib/xarray.ts';

/** The rules checkXArray() reports, with what they mean. */
export const RULES: { [rule: string]: string } = {
  'xa.count': 'a node\'s count equals its number of non-empty slots',
  'xa.nr_values': 'a node\'s nr_values equals its value slots plus the sibling slots of value entries',
  'xa.empty-node': 'no node with zero entries stays in the tree',
  'xa.parent': 'a child node\'s parent, offset and shift match the slot that holds it',
  'xa.freed': 'no freed node is reachable',
  'xa.sibling': 'a sibling points back, inside its node, at the canonical slot of a contiguous run',
  'xa.entry': 'slots hold only values, pointers, nodes, siblings and the zero entry (no retry or error)',
  'xa.mark-canonical': 'mark bits sit only on non-empty canonical slots',
  'xa.mark-parent': 'a node\'s slot has mark m iff the child node below it has some slot with mark m',
  'xa.flag-marks': 'the array-level mark flag is set iff the root has that mark (or the lone head entry has it)',
  'xa.head': 'the head is empty, a lone entry for index 0, or a root node with no parent',
  'xa.unshrunk': 'a root whose only entry sits in slot 0 and could move into the head has been shrunk',
  'xa.shift': 'node shifts are multiples of 6 and a child is 6 below its parent',
};

/** Every rule the array breaks; an empty list means the structure is sound. */
export function checkXArray(xa: XArray): Violation[] {
  const out: Violation[] = [];
  const v = (rule: string, where: string, message: string): void => {
    out.push({ rule, where, message });
  };
  const name = `xa ${xa.name}`;
  const head = xa.head;

  if (head === null) {
    for (let m = 0; m <= XA_MARK_MAX; m++) {
      if (xa_marked(xa, m as XaMark)) v('xa.flag-marks', `${name} head`, `the array is empty but its mark ${m} flag is set`);
    }
    return out;
  }
  if (!(head instanceof XaNode)) {
    if (head instanceof XaSibling || head === null || xa_is_err(head) || (head instanceof XaInternal && head.kind === 'retry')) {
      v('xa.head', `${name} head`, 'the head holds an internal entry that can not be stored');
    }
    return out;
  }

  if (head.parent !== null) v('xa.head', `${name} head`, `the root #${head.id} has a parent #${head.parent.id}`);
  if (head.shift % XA_CHUNK_SHIFT !== 0) v('xa.shift', `${name} node #${head.id}`, `the root has shift ${head.shift}, not a multiple of 6`);
  for (let m = 0; m <= XA_MARK_MAX; m++) {
    const mark = m as XaMark;
    if (xa_marked(xa, mark) !== node_any_mark(head, mark)) {
      v('xa.flag-marks', `${name} head`, `the mark ${m} flag is ${xa_marked(xa, mark) ? 'set' : 'clear'} but the root ${node_any_mark(head, mark) ? 'has' : 'has no'} slot with mark ${m}`);
    }
  }
  if (head.count === 1) {
    const e0 = head.slots[0];
    if (e0 !== null && (e0 instanceof XaNode || head.shift === 0)) {
      v('xa.unshrunk', `${name} node #${head.id}`, `the root's only entry is in slot 0 (${e0 instanceof XaNode ? `node #${e0.id}` : 'an entry at index 0'}) and should have been moved into the head`);
    }
  }

  const walk = (node: XaNode): void => {
    const at = `${name} node #${node.id}`;
    if (node.freed) v('xa.freed', at, `node #${node.id} was freed but is still in the tree`);
    let count = 0;
    let values = 0;
    for (let i = 0; i < XA_CHUNK_SIZE; i++) {
      const e = node.slots[i];
      const slotAt = `${at} slot ${i}`;
      if (e !== null) count++;
      if (typeof e === 'number') values++;
      if (e instanceof XaSibling) {
        const c = e.offset;
        if (c >= i) {
          v('xa.sibling', slotAt, `sibling(${c}) points forwards or at itself`);
        } else {
          for (let j = c + 1; j < i; j++) {
            const s = node.slots[j];
            if (!(s instanceof XaSibling) || s.offset !== c) {
              v('xa.sibling', slotAt, `sibling(${c}) is not part of a contiguous run after slot ${c} (slot ${j} breaks it)`);
              break;
            }
          }
          const canon = node.slots[c];
          if (canon === null || canon instanceof XaSibling || canon instanceof XaNode) {
            v('xa.sibling', slotAt, `sibling(${c}) points at a slot that holds ${canon === null ? 'nothing' : canon instanceof XaNode ? 'a node' : 'another sibling'}`);
          } else if (typeof canon === 'number') {
            values++;
          }
        }
      }
      if ((e instanceof XaInternal && e.kind === 'retry') || xa_is_err(e)) {
        v('xa.entry', slotAt, 'a retry or error entry is stored in a live node');
      }
      for (let m = 0; m <= XA_MARK_MAX; m++) {
        const mark = m as XaMark;
        const bit = node_get_mark(node, i, mark);
        if (bit && (e === null || e instanceof XaSibling)) {
          v('xa.mark-canonical', slotAt, `mark ${m} is set on ${e === null ? 'an empty slot' : 'a sibling slot'}`);
        }
        if (e instanceof XaNode && bit !== node_any_mark(e, mark)) {
          v('xa.mark-parent', slotAt, `mark ${m} is ${bit ? 'set' : 'clear'} here but child #${e.id} ${bit ? 'has no slot with it' : 'has a slot with it'}`);
        }
      }
      if (e instanceof XaNode) {
        if (e.parent !== node) v('xa.parent', slotAt, `child #${e.id} names ${e.parent ? `#${e.parent.id}` : 'no node'} as its parent`);
        if (e.offset !== i) v('xa.parent', slotAt, `child #${e.id} says it sits in slot ${e.offset}`);
        if (e.shift !== node.shift - XA_CHUNK_SHIFT) v('xa.shift', slotAt, `child #${e.id} has shift ${e.shift}, expected ${node.shift - XA_CHUNK_SHIFT}`);
        if (node.shift === 0) v('xa.shift', slotAt, 'a leaf (shift 0) holds a node');
        else walk(e);
      }
    }
    if (node.count !== count) v('xa.count', at, `count is ${node.count} but ${count} slots are used`);
    if (node.nr_values !== values) v('xa.nr_values', at, `nr_values is ${node.nr_values} but ${values} slots hold values or their siblings`);
    if (count === 0) v('xa.empty-node', at, `node #${node.id} has no entries but is still in the tree`);
  };
  walk(head);
  return out;
}
