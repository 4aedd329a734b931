/**
 * Rebuilds the XArray as it was at any cursor position, from the nearest keyframe (a dump taken by
 * the worker at an op boundary) plus the xa_* steps after it. The panel never asks the engine for
 * the state of a moment: the steps are deltas and carry everything needed.
 *
 * Conventions in this file:
 *   replay   - a small mutable copy of the array (nodes by id, each with 64 slot refs and 3 mark
 *              sets) that applies xa_node / xa_slot / xa_mark steps forward.
 *   count, nr_values - not carried by the steps: derived from the slots when dumping (count = non-empty
 *              slots; nr_values = value slots plus the siblings of value entries), which is what the
 *              kernel's counters hold whenever an operation is complete.
 *
 * What this leaves out: walking backwards by undoing steps. Going back means starting again from the
 * op's keyframe, which costs at most one operation's steps.
 */
import type { EntryRef, Json, Step } from '../../engine/trace/steps';
import { isHeadEntry, isNodeDump, type XaChildDump, type XaEntryDump, type XaNodeDump, type XaTreeDump } from './tree-types';

const SLOTS = 64;

interface RNode {
  id: number;
  shift: number;
  slots: EntryRef[];
  marks: [Set<number>, Set<number>, Set<number>];
  /** bumped by every change to this node's slots or marks */
  ver: number;
  /** the last dump of this node, reused while neither it nor its subtree changed */
  cached?: { ver: number; offset: number; isRoot: boolean; children: XaNodeDump[]; dump: XaNodeDump };
}

function emptyNode(id: number, shift: number): RNode {
  return { id, shift, slots: Array<EntryRef>(SLOTS).fill(null), marks: [new Set(), new Set(), new Set()], ver: 0 };
}

/** An EntryRef from a dump child (a node becomes {node: id}). */
function refOfChild(c: XaChildDump): EntryRef {
  if (isNodeDump(c)) {
    if (c.id === undefined) throw new Error('XaReplay needs dumps with node ids');
    return { node: c.id };
  }
  return c as EntryRef;
}

function sameRef(a: EntryRef, b: EntryRef): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  return true;
}

/** Same shift, slots and marks. */
function sameNode(a: RNode, b: RNode): boolean {
  if (a.shift !== b.shift) return false;
  for (let i = 0; i < SLOTS; i++) if (!sameRef(a.slots[i], b.slots[i])) return false;
  for (let m = 0; m < 3; m++) {
    if (a.marks[m].size !== b.marks[m].size) return false;
    for (const s of a.marks[m]) if (!b.marks[m].has(s)) return false;
  }
  return true;
}

export class XaReplay {
  readonly xa: string;
  private head: EntryRef = null;
  private readonly nodes = new Map<number, RNode>();

  constructor(xa: string, keyframe: XaTreeDump) {
    this.xa = xa;
    this.reset(keyframe);
  }

  /**
   * Start again from `keyframe`. A node whose slots and marks are those it has now is kept as it
   * is, with its last dump: after a jump, the boxes that did not change keep their identity, so
   * the layout and the drawing reuse their work instead of redoing every box.
   */
  reset(keyframe: XaTreeDump): void {
    const before = new Map(this.nodes);
    this.nodes.clear();
    this.head = null;
    if (keyframe === null) return;
    if (isHeadEntry(keyframe)) {
      this.head = keyframe.entry as EntryRef;
      return;
    }
    this.head = refOfChild(keyframe);
    this.load(keyframe, before);
  }

  private load(d: XaNodeDump, reuse?: ReadonlyMap<number, RNode>): void {
    const n = emptyNode(d.id!, d.shift);
    for (const [k, c] of Object.entries(d.slots)) {
      n.slots[Number(k)] = refOfChild(c);
      if (isNodeDump(c)) this.load(c, reuse);
    }
    d.marks.forEach((slots, m) => slots.forEach((s) => n.marks[m].add(s)));
    const old = reuse?.get(n.id);
    this.nodes.set(n.id, old && sameNode(old, n) ? old : n);
  }

  /** Apply one step; steps of other kinds or other arrays are ignored. */
  apply(s: Step): void {
    if (s.t === 'xa_node') {
      if (s.xa !== this.xa) return;
      if (s.action === 'alloc') this.nodes.set(s.node, emptyNode(s.node, s.shift));
      else this.nodes.delete(s.node);
    } else if (s.t === 'xa_slot') {
      if (s.xa !== this.xa) return;
      if (s.node === null) this.head = s.new;
      else {
        const n = this.nodes.get(s.node);
        if (n) {
          n.slots[s.offset] = s.new;
          n.ver++;
        }
      }
    } else if (s.t === 'xa_mark') {
      if (s.xa !== this.xa || s.node === null) return; // array-level flags are not part of the tree dump
      const n = this.nodes.get(s.node);
      if (!n) return;
      if (s.set) n.marks[s.mark].add(s.offset);
      else n.marks[s.mark].delete(s.offset);
      n.ver++;
    }
  }

  /** The array in the dump format (with ids). */
  dump(): XaTreeDump {
    const h = this.head;
    if (h === null) return null;
    if (typeof h === 'object' && 'node' in h) {
      const root = this.nodes.get(h.node);
      return root ? this.dumpNode(root, true) : null;
    }
    return { entry: h as XaEntryDump };
  }

  /**
   * One node in the dump format. A node whose slots, marks and subtree did not change since its last
   * dump returns that same object, so the layout can reuse its work for unchanged boxes.
   */
  private dumpNode(n: RNode, isRoot: boolean, offset = 0): XaNodeDump {
    const children: XaNodeDump[] = [];
    const childAt = new Map<number, XaNodeDump>();
    for (let i = 0; i < SLOTS; i++) {
      const r = n.slots[i];
      if (r === null || !('node' in r)) continue;
      const child = this.nodes.get(r.node);
      if (!child) continue;
      const d = this.dumpNode(child, false, i);
      children.push(d);
      childAt.set(i, d);
    }
    const c = n.cached;
    if (c && c.ver === n.ver && c.isRoot === isRoot && c.offset === offset && c.children.length === children.length && c.children.every((d, i) => d === children[i])) {
      return c.dump;
    }
    const slots: { [k: string]: XaChildDump } = {};
    let count = 0;
    let values = 0;
    for (let i = 0; i < SLOTS; i++) {
      const r = n.slots[i];
      if (r === null) continue;
      count++;
      if ('node' in r) {
        const child = childAt.get(i);
        if (child) slots[String(i)] = child;
        continue;
      }
      if ('value' in r) values++;
      else if ('sibling' in r) {
        const canon = n.slots[r.sibling];
        if (canon && 'value' in canon) values++;
      }
      slots[String(i)] = r as XaChildDump;
    }
    const dump: XaNodeDump = {
      id: n.id,
      shift: n.shift,
      offset: isRoot ? 0 : offset,
      count,
      nr_values: values,
      marks: n.marks.map((m) => [...m].sort((a, b) => a - b)),
      slots,
    };
    n.cached = { ver: n.ver, offset, isRoot, children, dump };
    return dump;
  }
}

/**
 * The tree at any cursor of one trace. Remembers the last answer, so stepping forward applies one
 * step and stepping back replays at most one operation.
 */
export class XaTimeline {
  private last: { cursor: number; replay: XaReplay; segment: number } | null = null;

  constructor(
    private readonly xa: string,
    private readonly steps: readonly Step[],
    private readonly opStarts: readonly number[],
    /** keyframes[k]: the array before op k; keyframes[opStarts.length]: after the last op */
    private readonly keyframes: readonly Json[],
  ) {
    if (keyframes.length !== opStarts.length + 1) {
      throw new Error(`XaTimeline: ${keyframes.length} keyframes for ${opStarts.length} ops`);
    }
  }

  /** Which keyframe a cursor starts from, and at which cursor that keyframe is. */
  private segmentOf(cursor: number): { segment: number; from: number } {
    if (cursor >= this.steps.length) return { segment: this.opStarts.length, from: this.steps.length };
    let k = -1;
    for (let i = 0; i < this.opStarts.length && this.opStarts[i] <= cursor; i++) k = i;
    // Before the first op (steps outside any op) the array is as keyframe 0 says.
    return k < 0 ? { segment: 0, from: 0 } : { segment: k, from: this.opStarts[k] };
  }

  treeAt(cursor: number): XaTreeDump {
    const c = Math.max(0, Math.min(this.steps.length, cursor));
    const { segment, from } = this.segmentOf(c);
    let replay: XaReplay;
    let at: number;
    if (this.last && this.last.segment === segment && this.last.cursor <= c) {
      replay = this.last.replay;
      at = this.last.cursor;
    } else if (this.last) {
      replay = this.last.replay;
      replay.reset(this.keyframes[segment] as XaTreeDump);
      at = from;
    } else {
      replay = new XaReplay(this.xa, this.keyframes[segment] as XaTreeDump);
      at = from;
    }
    for (; at < c; at++) replay.apply(this.steps[at]);
    this.last = { cursor: c, replay, segment };
    return replay.dump();
  }
}
