/**
 * Rebuilds the shape of one XArray from its steps alone (xa_node, xa_slot, xa_mark), forwards
 * with apply() and backwards with undo(), and dumps it in the golden format of xaDump().
 * The view uses it to draw the tree at any moment without asking the engine.
 *
 * Conventions in this file:
 *   mirror node - {id, shift, slots, marks, count, nrValues}: what the steps say about a node.
 *   count       - derived: every slot step adds !old - !new, as xas_store counts.
 *   nrValues    - derived with the kernel's own rule: each slot write adds
 *                 [first is not a value] - [stored entry is not a value], where `first` is the
 *                 old entry of the slot, or, for a slot that held a sibling, the old entry of
 *                 the last non-sibling slot written in that node (xas_store's `first`), and
 *                 the stored entry of a sibling slot is its canonical slot's entry. This
 *                 reproduces the kernel's number even in its rare drifting corner.
 *   graveyard   - freed nodes are kept (by id) so that undoing a free brings them back whole.
 *
 * Steps are consistent or apply() throws: a slot step whose `old` is not what the mirror
 * holds means the stream is incomplete.
 *
 * What this model leaves out: parent links are not tracked (a node's parent and offset are
 * where it is referenced); steps of other arrays are ignored (matched by `xa` name).
 */
import type { EntryRef, Json, Step } from './steps.ts';

interface MNode {
  id: number;
  shift: number;
  slots: EntryRef[];
  marks: boolean[][];
  count: number;
  nrValues: number;
  /** xas_store's `first`: the old entry of the last non-sibling slot written in this node */
  walkFirst: EntryRef;
}

interface SlotUndo {
  dValues: number;
  prevWalkFirst: EntryRef;
}

function sameRef(a: EntryRef, b: EntryRef): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ka = Object.keys(a)[0] as keyof typeof a;
  const kb = Object.keys(b)[0] as keyof typeof b;
  return ka === kb && a[ka] === b[kb];
}

function isSibling(r: EntryRef): r is { sibling: number } {
  return r !== null && 'sibling' in r;
}

function isValue(r: EntryRef): boolean {
  return r !== null && 'value' in r;
}

function isNode(r: EntryRef): r is { node: number } {
  return r !== null && 'node' in r;
}

function fmt(r: EntryRef): string {
  return JSON.stringify(r);
}

export class XArrayMirror {
  readonly name: string;
  head: EntryRef = null;
  flagMarks: boolean[] = [false, false, false];
  private live = new Map<number, MNode>();
  private graveyard = new Map<number, MNode>();
  private slotUndo = new Map<number, SlotUndo>();

  /** `name` is the XArray's name, as in the steps' `xa` field. */
  constructor(name: string) {
    this.name = name;
  }

  /** Number of live nodes. */
  get nodeCount(): number {
    return this.live.size;
  }

  private node(id: number, step: Step): MNode {
    const n = this.live.get(id);
    if (!n) throw new Error(`xarray-mirror ${this.name}: step ${step.seq} names node #${id}, which is not live`);
    return n;
  }

  /** Apply one step (steps of other kinds or other arrays are ignored). */
  apply(step: Step): void {
    if (step.t === 'xa_node') {
      if (step.xa !== this.name) return;
      if (step.action === 'alloc') {
        if (this.live.has(step.node)) throw new Error(`xarray-mirror ${this.name}: node #${step.node} allocated twice`);
        this.live.set(step.node, {
          id: step.node,
          shift: step.shift,
          slots: new Array<EntryRef>(64).fill(null),
          marks: [0, 1, 2].map(() => new Array<boolean>(64).fill(false)),
          count: 0,
          nrValues: 0,
          walkFirst: null,
        });
      } else {
        const n = this.node(step.node, step);
        this.live.delete(step.node);
        this.graveyard.set(step.node, n);
      }
    } else if (step.t === 'xa_slot') {
      if (step.xa !== this.name) return;
      if (step.node === null) {
        if (!sameRef(this.head, step.old)) throw new Error(`xarray-mirror ${this.name}: step ${step.seq} says the head held ${fmt(step.old)} but it holds ${fmt(this.head)}`);
        this.head = step.new;
        return;
      }
      const n = this.node(step.node, step);
      const cur = n.slots[step.offset];
      if (!sameRef(cur, step.old)) throw new Error(`xarray-mirror ${this.name}: step ${step.seq} says node #${n.id} slot ${step.offset} held ${fmt(step.old)} but it holds ${fmt(cur)}`);
      const prevWalkFirst = n.walkFirst;
      let first: EntryRef;
      if (isSibling(step.old)) {
        first = n.walkFirst;
      } else {
        first = step.old;
        n.walkFirst = step.old;
      }
      n.slots[step.offset] = step.new;
      const stored = isSibling(step.new) ? n.slots[step.new.sibling] : step.new;
      const dValues = (isValue(first) ? 0 : 1) - (isValue(stored) ? 0 : 1);
      n.count += (step.old === null ? 1 : 0) - (step.new === null ? 1 : 0);
      n.nrValues += dValues;
      this.slotUndo.set(step.seq, { dValues, prevWalkFirst });
    } else if (step.t === 'xa_mark') {
      if (step.xa !== this.name) return;
      if (step.node === null) {
        this.flagMarks[step.mark] = step.set;
      } else {
        this.node(step.node, step).marks[step.mark][step.offset] = step.set;
      }
    }
  }

  /** Undo one step that was applied (steps must be undone in reverse order). */
  undo(step: Step): void {
    if (step.t === 'xa_node') {
      if (step.xa !== this.name) return;
      if (step.action === 'alloc') {
        if (!this.live.delete(step.node)) throw new Error(`xarray-mirror ${this.name}: undo of alloc of node #${step.node}, which is not live`);
      } else {
        const n = this.graveyard.get(step.node);
        if (!n) throw new Error(`xarray-mirror ${this.name}: undo of free of node #${step.node}, which was never freed here`);
        this.graveyard.delete(step.node);
        this.live.set(step.node, n);
      }
    } else if (step.t === 'xa_slot') {
      if (step.xa !== this.name) return;
      if (step.node === null) {
        if (!sameRef(this.head, step.new)) throw new Error(`xarray-mirror ${this.name}: undo of step ${step.seq}: the head holds ${fmt(this.head)}, not ${fmt(step.new)}`);
        this.head = step.old;
        return;
      }
      const n = this.node(step.node, step);
      if (!sameRef(n.slots[step.offset], step.new)) throw new Error(`xarray-mirror ${this.name}: undo of step ${step.seq}: node #${n.id} slot ${step.offset} holds ${fmt(n.slots[step.offset])}`);
      const u = this.slotUndo.get(step.seq);
      if (!u) throw new Error(`xarray-mirror ${this.name}: undo of step ${step.seq}, which was not applied`);
      this.slotUndo.delete(step.seq);
      n.slots[step.offset] = step.old;
      n.count -= (step.old === null ? 1 : 0) - (step.new === null ? 1 : 0);
      n.nrValues -= u.dValues;
      n.walkFirst = u.prevWalkFirst;
    } else if (step.t === 'xa_mark') {
      if (step.xa !== this.name) return;
      if (step.node === null) this.flagMarks[step.mark] = !step.set;
      else this.node(step.node, step).marks[step.mark][step.offset] = !step.set;
    }
  }

  /** The array in the golden format of xaDump() (with `id` on nodes when ids is true). */
  toDump(opts: { ids?: boolean } = {}): Json {
    const head = this.head;
    if (head === null) return null;
    if (!isNode(head)) return { entry: head as Json };
    const dump = (n: MNode, offset: number): Json => {
      const slots: { [k: string]: Json } = {};
      for (let i = 0; i < 64; i++) {
        const r = n.slots[i];
        if (r === null) continue;
        slots[String(i)] = isNode(r) ? dump(this.liveOrThrow(r.node), i) : (r as Json);
      }
      const out: { [k: string]: Json } = {};
      if (opts.ids) out.id = n.id;
      out.shift = n.shift;
      out.offset = offset;
      out.count = n.count;
      out.nr_values = n.nrValues;
      out.marks = n.marks.map((bits) => bits.flatMap((b, i) => (b ? [i] : [])));
      out.slots = slots;
      return out;
    };
    return dump(this.liveOrThrow(head.node), 0);
  }

  private liveOrThrow(id: number): MNode {
    const n = this.live.get(id);
    if (!n) throw new Error(`xarray-mirror ${this.name}: the tree references node #${id}, which is not live`);
    return n;
  }
}
