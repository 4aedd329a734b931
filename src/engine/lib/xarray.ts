/**
 * The XArray, built the way lib/xarray.c builds it: 64-slot nodes, sibling entries for
 * multi-index entries, per-slot marks summarised up the tree, and the same growing and
 * shrinking rules, so that the shapes match the kernel's node for node (checked against
 * traces recorded from the kernel's own code, see docs/xarray.md).
 *
 * Conventions in this file:
 *   xa      - the whole array (class XArray).
 *   xas     - an operation state (class XaState): a cursor made by XA_STATE/XA_STATE_ORDER.
 *   index   - an integer 0 .. 2^53-1 (Number.MAX_SAFE_INTEGER); the kernel's is an unsigned long.
 *   entry   - what a slot holds: null (empty), a JS number (a value entry, xa_mk_value(v) === v),
 *             an XaNode, an XaSibling (one of 64 singletons), XA_RETRY_ENTRY / XA_ZERO_ENTRY,
 *             a KErr (an error entry: returned, never stored), or any other object (a pointer,
 *             e.g. a folio of the page cache).
 *   node    - an XaNode; `shift` 0 is a leaf; each slot of a node covers 2^shift indices.
 *   offset  - a slot number 0..63 inside a node.
 *   mark    - 0, 1 or 2 (XA_MARK_0..2). Node marks are 64-bit bitmaps kept as two uint32 words.
 *   head    - xa.head: null, a lone entry for index 0, or the root node.
 *   id      - every node gets a number from a per-array counter (never reused); steps and the
 *             view name nodes by it.
 *   tr      - "tracing is on": every function tests it once and builds steps only then.
 *
 * Index arithmetic: JS bit operators work on 32 bits, so every shift of an index goes through
 * getOffset()/POW2 arithmetic, with a 32-bit fast path for small indices.
 *
 * What this model leaves out:
 *   - RCU and locking: there are no concurrent readers, so freed nodes are not given
 *     XA_RETRY_ENTRY in their slots (the kernel writes it into slot 0 of a root freed by
 *     xas_shrink and into every slot of nodes freed by xas_free_nodes, for RCU walkers only;
 *     nothing can observe it here). xas_retry() is kept for API fidelity.
 *   - Memory allocation failure: node allocation always succeeds, so -ENOMEM, xas_nomem() and
 *     the xa_alloc preallocation do not exist.
 *   - XA_FLAGS_TRACK_FREE / XA_FREE_MARK (allocating arrays), xa_lru / xas_set_update shadow-node
 *     callbacks, xas_split, xa_store_range, xas_create_range and xas_prev/xas_next.
 *   - Array-level flags are stored as bits 0..2 of xa_flags (XA_FLAGS_MARK(m) = 1 << m), not at
 *     the kernel's bit positions.
 */
import { KErr, kerr } from '../errno.ts';
import type { EntryRef, Json, Tracer } from '../trace/steps.ts';

export const XA_CHUNK_SHIFT = 6;
export const XA_CHUNK_SIZE = 64;
export const XA_CHUNK_MASK = 63;
export const XA_MAX_MARKS = 3;

export type XaMark = 0 | 1 | 2;
export const XA_MARK_0: XaMark = 0;
export const XA_MARK_1: XaMark = 1;
export const XA_MARK_2: XaMark = 2;
export const XA_MARK_MAX: XaMark = 2;
/** Filter for xa_find(): any present entry (the kernel's XA_PRESENT). */
export const XA_PRESENT = 8;

/** Largest index (and value) the model accepts. */
export const XA_MAX_INDEX = Number.MAX_SAFE_INTEGER;

/** 2^i for i = 0..63, exact as doubles. */
const POW2: readonly number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

/** What a slot (or the head) holds. `object` covers nodes, internal entries and pointers. */
export type XaEntry = null | number | object;

/** One node of the tree (struct xa_node). */
export class XaNode {
  /** deterministic per-array number; the join key of the view */
  readonly id: number;
  shift: number;
  /** slot number in the parent (0 for the root) */
  offset: number;
  /** non-empty slots, including siblings and child nodes */
  count = 0;
  /** value slots plus their sibling slots (the kernel's accounting, see xas_store) */
  nr_values = 0;
  parent: XaNode | null;
  readonly slots: XaEntry[];
  /** marks[2*m] holds bits 0..31 of mark m, marks[2*m+1] bits 32..63 */
  readonly marks: Uint32Array;
  /** set once the node has been freed; a freed node must never be reachable */
  freed = false;

  constructor(id: number, shift: number, offset: number, parent: XaNode | null) {
    this.id = id;
    this.shift = shift;
    this.offset = offset;
    this.parent = parent;
    // Built by push so that V8 keeps the array packed (faster than a holey `new Array(64)`).
    const slots: XaEntry[] = [];
    for (let i = 0; i < XA_CHUNK_SIZE; i++) slots.push(null);
    this.slots = slots;
    this.marks = new Uint32Array(2 * XA_MAX_MARKS);
  }
}

/** A sibling entry: "this slot belongs to the multi-index entry whose first slot is `offset`". */
export class XaSibling {
  constructor(readonly offset: number) {}
}

/** XA_RETRY_ENTRY and XA_ZERO_ENTRY. */
export class XaInternal {
  constructor(
    readonly kind: 'retry' | 'zero',
    /** the kernel's internal number (xa_mk_internal(n)) */
    readonly internal: number,
  ) {}
}

const SIBLINGS: readonly XaSibling[] = Array.from({ length: XA_CHUNK_SIZE }, (_, i) => new XaSibling(i));

export const XA_RETRY_ENTRY = new XaInternal('retry', 256);
export const XA_ZERO_ENTRY = new XaInternal('zero', 257);

/**
 * Make a value entry. In this model a value entry is the integer itself (0 .. 2^53-1);
 * stores check the range and return -EINVAL for anything else.
 * Kernel: include/linux/xarray.h xa_mk_value()
 */
export function xa_mk_value(v: number): number {
  return v;
}

/** The integer held by a value entry. Kernel: include/linux/xarray.h xa_to_value() */
export function xa_to_value(entry: XaEntry): number {
  return entry as number;
}

/** Is this a value entry? Kernel: include/linux/xarray.h xa_is_value() */
export function xa_is_value(entry: XaEntry): entry is number {
  return typeof entry === 'number';
}

/** Is this a node? Kernel: include/linux/xarray.h xa_is_node() */
export function xa_is_node(entry: XaEntry): entry is XaNode {
  return entry instanceof XaNode;
}

/** Is this a sibling entry? Kernel: include/linux/xarray.h xa_is_sibling() */
export function xa_is_sibling(entry: XaEntry): entry is XaSibling {
  return entry instanceof XaSibling;
}

/** Make the sibling entry that points at slot `offset`. Kernel: include/linux/xarray.h xa_mk_sibling() */
export function xa_mk_sibling(offset: number): XaSibling {
  return SIBLINGS[offset];
}

/** Slot number a sibling entry points at. Kernel: include/linux/xarray.h xa_to_sibling() */
export function xa_to_sibling(entry: XaSibling): number {
  return entry.offset;
}

/** Is this an error entry? Kernel: include/linux/xarray.h xa_is_err() */
export function xa_is_err(entry: unknown): entry is KErr {
  return entry instanceof KErr;
}

/** The negative errno inside an error entry, or 0. Kernel: include/linux/xarray.h xa_err() */
export function xa_err(entry: unknown): number {
  return entry instanceof KErr ? entry.code : 0;
}

/** Internal entries: nodes, siblings, retry, zero and errors. Kernel: include/linux/xarray.h xa_is_internal() */
export function xa_is_internal(entry: XaEntry): boolean {
  return (
    entry instanceof XaNode || entry instanceof XaSibling || entry instanceof XaInternal || entry instanceof KErr
  );
}

/** Kernel: include/linux/xarray.h xa_is_retry() */
export function xa_is_retry(entry: XaEntry): boolean {
  return entry === XA_RETRY_ENTRY;
}

/** Kernel: include/linux/xarray.h xa_is_zero() */
export function xa_is_zero(entry: XaEntry): boolean {
  return entry === XA_ZERO_ENTRY;
}

/** A pointer entry: anything the user stores that is neither a value nor internal. (Model helper.) */
export function isPointerEntry(entry: XaEntry): entry is object {
  return entry !== null && typeof entry === 'object' && !xa_is_internal(entry);
}

function isIndex(n: unknown): n is number {
  if (typeof n !== 'number') return false;
  if (n >>> 0 === n) return true; // fast path: an integer in 0..2^32-1
  return Number.isInteger(n) && n >= 0 && n <= XA_MAX_INDEX;
}

function isMark(m: unknown): m is XaMark {
  return m === 0 || m === 1 || m === 2;
}

// ---------------------------------------------------------------------------------------------
// Index arithmetic (no 32-bit operators on big numbers)
// ---------------------------------------------------------------------------------------------

/** (index >> shift) & 63 */
function getOffset(index: number, shift: number): number {
  if (index <= 0x7fffffff) return shift > 30 ? 0 : (index >> shift) & XA_CHUNK_MASK;
  return Math.floor(index / POW2[shift]) % XA_CHUNK_SIZE;
}

/** index & 63, also right for -1 (gives 63). */
function mod64(index: number): number {
  if (index >= 0 && index <= 0x7fffffff) return index & XA_CHUNK_MASK;
  return index - Math.floor(index / XA_CHUNK_SIZE) * XA_CHUNK_SIZE;
}

/** index | (2^k - 1) for mask = 2^k - 1 */
function orMask(index: number, mask: number): number {
  if (index <= 0x7fffffff && mask <= 0x7fffffff) return (index | mask) >>> 0;
  const size = mask + 1;
  return index - (index % size) + mask;
}

/** The maximum index the array can hold without growing. Kernel: lib/xarray.c max_index() */
function max_index(entry: XaEntry): number {
  if (!(entry instanceof XaNode)) return 0;
  return XA_CHUNK_SIZE * POW2[entry.shift] - 1;
}

// ---------------------------------------------------------------------------------------------
// The array
// ---------------------------------------------------------------------------------------------

/** Array-level mark flag bit. (Bits 0..2 here; the kernel uses higher bits of xa_flags.) */
export function XA_FLAGS_MARK(mark: XaMark): number {
  return 1 << mark;
}

/** struct xarray: the head pointer and the array-level mark flags. */
export class XArray {
  head: XaEntry = null;
  /** XA_FLAGS_MARK(m) is set iff some entry carries mark m */
  xa_flags = 0;
  readonly name: string;
  tracer: Tracer | null;
  /** next node id */
  private nextId = 1;
  /** stable names for pointer entries that have neither `pfn` nor `id` */
  private pointerNames: WeakMap<object, string> | null = null;
  private nextPointer = 1;

  constructor(name: string, tracer: Tracer | null = null) {
    this.name = name;
    this.tracer = tracer;
  }

  /** @internal allocate a node id */
  allocId(): number {
    return this.nextId++;
  }

  /** @internal a deterministic name for a pointer entry */
  pointerName(obj: object): string {
    const o = obj as { id?: unknown };
    if (typeof o.id === 'number' || typeof o.id === 'string') return String(o.id);
    if (this.pointerNames === null) this.pointerNames = new WeakMap();
    let n = this.pointerNames.get(obj);
    if (n === undefined) {
      n = `p${this.nextPointer++}`;
      this.pointerNames.set(obj, n);
    }
    return n;
  }
}

/** Is mark `mark` set anywhere in the array? Kernel: include/linux/xarray.h xa_marked() */
export function xa_marked(xa: XArray, mark: XaMark): boolean {
  return (xa.xa_flags & XA_FLAGS_MARK(mark)) !== 0;
}

/** Is the array empty? Kernel: include/linux/xarray.h xa_empty() */
export function xa_empty(xa: XArray): boolean {
  return xa.head === null;
}

// ---------------------------------------------------------------------------------------------
// Step helpers (called only when tracing is on)
// ---------------------------------------------------------------------------------------------

/** How a step names an entry. */
export function entryRef(xa: XArray, entry: XaEntry): EntryRef {
  if (entry === null) return null;
  if (typeof entry === 'number') return { value: entry };
  if (entry instanceof XaNode) return { node: entry.id };
  if (entry instanceof XaSibling) return { sibling: entry.offset };
  if (entry instanceof XaInternal) return { internal: entry.kind };
  if (entry instanceof KErr) return { pointer: `error ${entry.code}` };
  const p = (entry as { pfn?: unknown }).pfn;
  if (typeof p === 'number') return { page: p };
  return { pointer: xa.pointerName(entry) };
}

/** A few words naming an entry, for step texts. */
export function describeEntry(xa: XArray, entry: XaEntry): string {
  if (entry === null) return 'nothing';
  // As xa_dump prints values: decimal, and hex when it helps (DAX entries are pfn << 4 | flags).
  if (typeof entry === 'number') return entry < 256 ? `value ${entry}` : `value ${entry} (0x${entry.toString(16)})`;
  if (entry instanceof XaNode) return `node #${entry.id} (shift ${entry.shift})`;
  if (entry instanceof XaSibling) return `sibling(${entry.offset})`;
  if (entry instanceof XaInternal) return entry.kind === 'retry' ? 'XA_RETRY_ENTRY' : 'XA_ZERO_ENTRY';
  if (entry instanceof KErr) return `error ${entry.code}`;
  const p = (entry as { pfn?: unknown }).pfn;
  if (typeof p === 'number') return `page pfn 0x${p.toString(16)}`;
  return `pointer ${xa.pointerName(entry)}`;
}

function where(node: XaNode | null, offset: number): string {
  return node === null ? 'the head' : `slot ${offset} of node #${node.id}`;
}

function emitSlot(xa: XArray, node: XaNode | null, offset: number, old: XaEntry, entry: XaEntry, text: string): void {
  xa.tracer!.emit(
    { t: 'xa_slot', xa: xa.name, node: node === null ? null : node.id, offset: node === null ? 0 : offset, old: entryRef(xa, old), new: entryRef(xa, entry) },
    text,
  );
}

function emitMark(xa: XArray, node: XaNode | null, offset: number, mark: XaMark, set: boolean, text: string): void {
  xa.tracer!.emit({ t: 'xa_mark', xa: xa.name, node: node === null ? null : node.id, offset, mark, set }, text);
}

function emitNode(xa: XArray, action: 'alloc' | 'free', node: XaNode, text: string): void {
  xa.tracer!.emit(
    { t: 'xa_node', xa: xa.name, action, node: node.id, shift: node.shift, parent: node.parent === null ? null : node.parent.id, offset: node.parent === null ? 0 : node.offset },
    text,
  );
}

function tracing(xa: XArray): boolean {
  const t = xa.tracer;
  return t !== null && t.on;
}

function refJson(xa: XArray, e: XaEntry): Json {
  return entryRef(xa, e) as Json;
}

// ---------------------------------------------------------------------------------------------
// Node marks
// ---------------------------------------------------------------------------------------------

function node_get_mark(node: XaNode, offset: number, mark: XaMark): boolean {
  return ((node.marks[2 * mark + (offset >>> 5)] >>> (offset & 31)) & 1) !== 0;
}

/** Set the bit; returns whether it was already set. */
function node_set_mark(node: XaNode, offset: number, mark: XaMark): boolean {
  const w = 2 * mark + (offset >>> 5);
  const bit = 1 << (offset & 31);
  const was = (node.marks[w] & bit) !== 0;
  node.marks[w] |= bit;
  return was;
}

/** Clear the bit; returns whether it was set. */
function node_clear_mark(node: XaNode, offset: number, mark: XaMark): boolean {
  const w = 2 * mark + (offset >>> 5);
  const bit = 1 << (offset & 31);
  const was = (node.marks[w] & bit) !== 0;
  node.marks[w] &= ~bit;
  return was;
}

function node_any_mark(node: XaNode, mark: XaMark): boolean {
  return (node.marks[2 * mark] | node.marks[2 * mark + 1]) !== 0;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** First set bit of mark `mark` at or after `offset`, or 64. */
function findNextBit(node: XaNode, mark: XaMark, offset: number): number {
  if (offset < 32) {
    const lo = node.marks[2 * mark] & (0xffffffff << offset);
    if (lo !== 0) return ctz32(lo);
    offset = 32;
  }
  if (offset < 64) {
    const hi = node.marks[2 * mark + 1] & (0xffffffff << (offset - 32));
    if (hi !== 0) return 32 + ctz32(hi);
  }
  return XA_CHUNK_SIZE;
}

/** Marked slot numbers of a node, for dumps and checks. */
export function nodeMarkedSlots(node: XaNode, mark: XaMark): number[] {
  const out: number[] = [];
  for (let o = findNextBit(node, mark, 0); o < XA_CHUNK_SIZE; o = findNextBit(node, mark, o + 1)) out.push(o);
  return out;
}

/** @internal also used by the checker */
export { node_get_mark, node_any_mark };

// ---------------------------------------------------------------------------------------------
// The operation state
// ---------------------------------------------------------------------------------------------

class XasSpecial {
  constructor(readonly name: 'XAS_BOUNDS' | 'XAS_RESTART') {}
}
/** The walk ran off the populated part of the array. */
export const XAS_BOUNDS = new XasSpecial('XAS_BOUNDS');
/** The walk has not started (or must start again from the head). */
export const XAS_RESTART = new XasSpecial('XAS_RESTART');

/** What xas.xa_node can hold: a node, null (the head), XAS_BOUNDS, XAS_RESTART or an error. */
export type XasNode = XaNode | null | XasSpecial | KErr;

/** struct xa_state: a cursor into one array. */
export class XaState {
  xa: XArray;
  xa_index: number;
  xa_shift: number;
  xa_sibs: number;
  xa_offset = 0;
  xa_node: XasNode = XAS_RESTART;

  constructor(xa: XArray, index: number, shift = 0, sibs = 0) {
    this.xa = xa;
    this.xa_index = index;
    this.xa_shift = shift;
    this.xa_sibs = sibs;
  }
}

/**
 * Declare an operation state at `index`. A bad index (not an integer 0..2^53-1) puts the state
 * into an -EINVAL error, so every later operation on it does nothing.
 * Kernel: include/linux/xarray.h XA_STATE()
 */
export function XA_STATE(xa: XArray, index: number): XaState {
  if (isIndex(index)) return new XaState(xa, index);
  const xas = new XaState(xa, 0);
  xas.xa_node = kerr('EINVAL', `XArray index ${String(index)} is not an integer in 0..2^53-1`);
  return xas;
}

/**
 * Declare an operation state for a 2^order-index entry: the index is aligned down,
 * xa_shift = order - order % 6 and xa_sibs = 2^(order % 6) - 1.
 * Kernel: include/linux/xarray.h XA_STATE_ORDER()
 */
export function XA_STATE_ORDER(xa: XArray, index: number, order: number): XaState {
  const xas = new XaState(xa, 0);
  xas_set_order(xas, index, order);
  return xas;
}

/** Kernel: include/linux/xarray.h xas_error() — 0 or a negative errno. */
export function xas_error(xas: XaState): number {
  return xas.xa_node instanceof KErr ? xas.xa_node.code : 0;
}

/** The error of the state as a KErr, or null. (Model helper.) */
export function xasErr(xas: XaState): KErr | null {
  return xas.xa_node instanceof KErr ? xas.xa_node : null;
}

/** Put the state into an error. Kernel: include/linux/xarray.h xas_set_err() */
export function xas_set_err(xas: XaState, err: KErr): void {
  xas.xa_node = err;
}

/** Is the state in a restart, bounds or error state? Kernel: include/linux/xarray.h xas_invalid() */
export function xas_invalid(xas: XaState): boolean {
  const n = xas.xa_node;
  return n !== null && !(n instanceof XaNode);
}

/** Kernel: include/linux/xarray.h xas_valid() */
export function xas_valid(xas: XaState): boolean {
  return !xas_invalid(xas);
}

/** Kernel: include/linux/xarray.h xas_is_node() */
export function xas_is_node(xas: XaState): boolean {
  return xas.xa_node instanceof XaNode;
}

/** node is something other than a node. Kernel: include/linux/xarray.h xas_not_node() */
function xas_not_node(node: XasNode): boolean {
  return !(node instanceof XaNode);
}

/** head, RESTART or BOUNDS. Kernel: include/linux/xarray.h xas_top() */
function xas_top(node: XasNode): boolean {
  return node === null || node === XAS_RESTART || node === XAS_BOUNDS;
}

/** Start the next walk from the head. Kernel: include/linux/xarray.h xas_reset() */
export function xas_reset(xas: XaState): void {
  xas.xa_node = XAS_RESTART;
}

/** Kernel: include/linux/xarray.h xas_retry() */
export function xas_retry(xas: XaState, entry: XaEntry): boolean {
  if (entry === XA_ZERO_ENTRY) return true;
  if (entry !== XA_RETRY_ENTRY) return false;
  xas_reset(xas);
  return true;
}

/** Move the state to another index (walk restarts from the head). Kernel: include/linux/xarray.h xas_set() */
export function xas_set(xas: XaState, index: number): void {
  if (!isIndex(index)) {
    xas.xa_node = kerr('EINVAL', `XArray index ${String(index)} is not an integer in 0..2^53-1`);
    return;
  }
  xas.xa_index = index;
  xas.xa_node = XAS_RESTART;
}

/**
 * Set the state up for a 2^order-index entry containing `index` (aligned down).
 * Kernel: include/linux/xarray.h xas_set_order()
 */
export function xas_set_order(xas: XaState, index: number, order: number): void {
  if (!isIndex(index)) {
    xas.xa_node = kerr('EINVAL', `XArray index ${String(index)} is not an integer in 0..2^53-1`);
    return;
  }
  if (!Number.isInteger(order) || order < 0 || order > 53) {
    xas.xa_node = kerr('EINVAL', `XArray order ${String(order)} is not an integer in 0..53`);
    return;
  }
  const size = POW2[order];
  xas.xa_index = index - (index % size);
  xas.xa_shift = order - (order % XA_CHUNK_SHIFT);
  xas.xa_sibs = (1 << (order % XA_CHUNK_SHIFT)) - 1;
  xas.xa_node = XAS_RESTART;
}

/** Number of indices the state covers. Kernel: lib/xarray.c xas_size() */
function xas_size(xas: XaState): number {
  return (xas.xa_sibs + 1) * POW2[xas.xa_shift];
}

/** Highest index that must exist to store the state's entry. Kernel: lib/xarray.c xas_max() */
function xas_max(xas: XaState): number {
  let max = xas.xa_index;
  if (xas.xa_shift || xas.xa_sibs) {
    const mask = xas_size(xas) - 1;
    max = orMask(max, mask);
    // A multi-index entry can not live in the head: force a real node.
    if (mask === max) max++;
  }
  return max;
}

function set_bounds(xas: XaState): null {
  xas.xa_node = XAS_BOUNDS;
  return null;
}

/** xa_index &= ~63 << shift (clears every bit below shift + 6); xa_index += offset << shift */
function xas_move_index(xas: XaState, offset: number): void {
  const shift = (xas.xa_node as XaNode).shift;
  const index = xas.xa_index;
  xas.xa_index = index - (index % POW2[shift + XA_CHUNK_SHIFT]) + offset * POW2[shift];
}

function xas_advance(xas: XaState): void {
  xas.xa_offset++;
  xas_move_index(xas, xas.xa_offset);
}

/**
 * Re-read the entry the state points at, without walking.
 * Kernel: include/linux/xarray.h xas_reload()
 */
export function xas_reload(xas: XaState): XaEntry {
  const node = xas.xa_node;
  if (node === null) return xas.xa.head;
  if (!(node instanceof XaNode)) return null;
  const offset = getOffset(xas.xa_index, node.shift);
  const entry = node.slots[offset];
  if (!(entry instanceof XaSibling)) return entry;
  return node.slots[entry.offset];
}

/** Begin a walk. Kernel: lib/xarray.c xas_start() */
function xas_start(xas: XaState): XaEntry {
  if (xas_valid(xas)) return xas_reload(xas);
  if (xas.xa_node instanceof KErr) return null;
  const entry = xas.xa.head;
  if (!(entry instanceof XaNode)) {
    if (xas.xa_index !== 0) return set_bounds(xas);
  } else if (xas.xa_index > max_index(entry)) {
    return set_bounds(xas);
  }
  xas.xa_node = null;
  return entry;
}

/** Step one level down; a sibling is followed to its canonical slot. Kernel: lib/xarray.c xas_descend() */
function xas_descend(xas: XaState, node: XaNode): XaEntry {
  let offset = getOffset(xas.xa_index, node.shift);
  let entry = node.slots[offset];
  xas.xa_node = node;
  if (entry instanceof XaSibling) {
    offset = entry.offset;
    entry = node.slots[offset];
  }
  xas.xa_offset = offset;
  return entry;
}

/**
 * Walk to the entry at xa_index. A multi-order state stops at the node whose shift is its
 * xa_shift and returns whatever that slot holds (possibly a lower-level node).
 * Kernel: lib/xarray.c xas_load()
 */
export function xas_load(xas: XaState): XaEntry {
  let entry = xas_start(xas);
  while (entry instanceof XaNode) {
    if (xas.xa_shift > entry.shift) break;
    entry = xas_descend(xas, entry);
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Growing, shrinking, deleting
// ---------------------------------------------------------------------------------------------

/** Allocate a node under xas.xa_node (or a root). Kernel: lib/xarray.c xas_alloc() */
function xas_alloc(xas: XaState, shift: number): XaNode | null {
  if (xas_invalid(xas)) return null;
  const xa = xas.xa;
  const parent = xas.xa_node as XaNode | null;
  const node = new XaNode(xa.allocId(), shift, 0, parent);
  if (parent !== null) {
    node.offset = xas.xa_offset;
    parent.count++;
  }
  if (tracing(xa)) {
    emitNode(
      xa,
      'alloc',
      node,
      parent === null
        ? `xas_alloc: a new node #${node.id} of shift ${shift} is allocated to become the root.`
        : `xas_alloc: a new node #${node.id} of shift ${shift} is allocated for slot ${node.offset} of node #${parent.id}.`,
    );
  }
  return node;
}

/**
 * Add root nodes on top until the array can hold xas_max(). For an empty array only the
 * needed shift is computed (xas_create allocates the root). Returns the shift one level
 * above the root.
 * Kernel: lib/xarray.c xas_expand()
 */
function xas_expand(xas: XaState, head: XaEntry): number {
  const xa = xas.xa;
  let node: XaNode | null = null;
  let shift = 0;
  const max = xas_max(xas);

  if (head === null) {
    if (max === 0) return 0;
    while (Math.floor(max / POW2[shift]) >= XA_CHUNK_SIZE) shift += XA_CHUNK_SHIFT;
    return shift + XA_CHUNK_SHIFT;
  } else if (head instanceof XaNode) {
    node = head;
    shift = node.shift + XA_CHUNK_SHIFT;
  }
  xas.xa_node = null;
  if (max <= max_index(head)) {
    xas.xa_node = node;
    return shift;
  }

  const tr = tracing(xa);
  if (tr) {
    xa.tracer!.enter(
      'xas_expand',
      { xa: xa.name, index: xas.xa_index, max },
      `xas_expand: the array must reach index ${max} but holds only up to ${max_index(head)}, so it grows a new root.`,
    );
  }
  while (max > max_index(head)) {
    node = xas_alloc(xas, shift)!;
    node.count = 1;
    if (typeof head === 'number') node.nr_values = 1;
    node.slots[0] = head;
    if (tr) {
      emitSlot(
        xa,
        node,
        0,
        null,
        head,
        `xas_expand: the array needs index ${max}, so the new root #${node.id} of shift ${shift} takes the old head (${describeEntry(xa, head)}) in slot 0.`,
      );
    }
    // The new root inherits the array-level marks on slot 0.
    for (let m = 0; m <= XA_MARK_MAX; m++) {
      const mark = m as XaMark;
      if (xa_marked(xa, mark)) {
        node_set_mark(node, 0, mark);
        if (tr) emitMark(xa, node, 0, mark, true, `xas_expand: mark ${mark} is set in the array, so it is set on slot 0 of the new root #${node.id}.`);
      }
    }
    if (head instanceof XaNode) {
      head.offset = 0;
      head.parent = node;
    }
    const old = xa.head;
    head = node;
    xa.head = node;
    if (tr) emitSlot(xa, null, 0, old, node, `xas_expand: the head now points at the new root #${node.id}.`);
    shift += XA_CHUNK_SHIFT;
  }
  xas.xa_node = node;
  if (tr) xa.tracer!.leave('xas_expand', shift, `xas_expand: the root is now of shift ${shift - XA_CHUNK_SHIFT}.`);
  return shift;
}

/**
 * Make sure a slot exists for the state's index at its xa_shift, allocating nodes on the way
 * down; returns what that slot holds (stops early at a non-node entry higher up).
 * Kernel: lib/xarray.c xas_create()
 */
export function xas_create(xas: XaState): XaEntry {
  const xa = xas.xa;
  let node = xas.xa_node;
  let shift: number;
  let entry: XaEntry;
  let slotNode: XaNode | null;
  let slotOffset = 0;
  const order = xas.xa_shift;
  const tr = tracing(xa);
  if (tr) {
    xa.tracer!.enter(
      'xas_create',
      { xa: xa.name, index: xas.xa_index, shift: xas.xa_shift, sibs: xas.xa_sibs },
      `xas_create: find or build the slot for index ${xas.xa_index}${order ? ` at shift ${order}` : ''}.`,
    );
  }

  if (xas_top(node)) {
    entry = xa.head;
    xas.xa_node = null;
    shift = xas_expand(xas, entry);
    entry = xa.head;
    slotNode = null;
  } else if (node instanceof KErr) {
    if (tr) xa.tracer!.leave('xas_create', null, 'xas_create: the state holds an error, nothing is done.');
    return null;
  } else {
    const n = node as XaNode;
    shift = n.shift;
    entry = n.slots[xas.xa_offset];
    slotNode = n;
    slotOffset = xas.xa_offset;
  }

  while (shift > order) {
    shift -= XA_CHUNK_SHIFT;
    if (entry === null) {
      node = xas_alloc(xas, shift);
      if (node === null) break;
      if (slotNode === null) {
        const old = xa.head;
        xa.head = node;
        if (tr) emitSlot(xa, null, 0, old, node, `xas_create: the head now points at the new root #${node.id}.`);
      } else {
        slotNode.slots[slotOffset] = node;
        if (tr) emitSlot(xa, slotNode, slotOffset, null, node, `xas_create: slot ${slotOffset} of node #${slotNode.id} now points at the new node #${node.id}.`);
      }
    } else if (entry instanceof XaNode) {
      node = entry;
    } else {
      break;
    }
    entry = xas_descend(xas, node);
    slotNode = node;
    slotOffset = xas.xa_offset;
  }
  if (tr) {
    xa.tracer!.leave(
      'xas_create',
      refJson(xa, entry),
      `xas_create: the slot is ${where(xas.xa_node as XaNode | null, xas.xa_offset)}, which holds ${describeEntry(xa, entry)}.`,
    );
  }
  return entry;
}

/**
 * The root has a single entry in slot 0 that can live one level up: move it into the head
 * and free the root; repeat.
 * Kernel: lib/xarray.c xas_shrink()
 */
function xas_shrink(xas: XaState): void {
  const xa = xas.xa;
  let node = xas.xa_node as XaNode;
  const tr = tracing(xa);
  let entered = false;
  for (;;) {
    if (node.count !== 1) break;
    const entry = node.slots[0];
    if (entry === null) break;
    if (!(entry instanceof XaNode) && node.shift) break;
    xas.xa_node = XAS_BOUNDS;
    if (tr && !entered) {
      entered = true;
      xa.tracer!.enter('xas_shrink', { xa: xa.name, node: node.id }, `xas_shrink: the root #${node.id} has a single entry, in slot 0, so the tree can lose a level.`);
    }
    const old = xa.head;
    xa.head = entry;
    if (tr) emitSlot(xa, null, 0, old, entry, `xas_shrink: the head takes ${describeEntry(xa, entry)} from slot 0 of the root #${node.id}.`);
    node.count = 0;
    node.nr_values = 0;
    // (The kernel leaves XA_RETRY_ENTRY in slot 0 for RCU readers; nothing can see it here.)
    node.freed = true;
    if (tr) emitNode(xa, 'free', node, `xas_shrink: the old root #${node.id} is freed.`);
    if (!(entry instanceof XaNode)) break;
    node = entry;
    node.parent = null;
  }
  if (entered) xa.tracer!.leave('xas_shrink', null, 'xas_shrink: the tree is as short as it can be.');
}

/**
 * Free xas.xa_node if it became empty, then its parent if that became empty, and so on;
 * when the walk ends at the root, try xas_shrink.
 * Kernel: lib/xarray.c xas_delete_node()
 */
function xas_delete_node(xas: XaState): void {
  const xa = xas.xa;
  let node = xas.xa_node as XaNode;
  const tr = tracing(xa) && node.count === 0;
  if (tr) {
    xa.tracer!.enter('xas_delete_node', { xa: xa.name, node: node.id }, `xas_delete_node: node #${node.id} has no entries left, so it is deleted.`);
  }
  for (;;) {
    if (node.count) break;
    const parent = node.parent;
    xas.xa_node = parent;
    xas.xa_offset = node.offset;
    if (parent === null) {
      const old = xa.head;
      xa.head = null;
      if (tr) emitSlot(xa, null, 0, old, null, `xas_delete_node: the root #${node.id} is empty, so the array becomes empty.`);
      node.freed = true;
      if (tr) {
        emitNode(xa, 'free', node, `xas_delete_node: node #${node.id} is freed.`);
        xa.tracer!.leave('xas_delete_node', null, 'xas_delete_node: the array is empty.');
      }
      xas.xa_node = XAS_BOUNDS;
      return;
    }
    parent.slots[xas.xa_offset] = null;
    if (tr) emitSlot(xa, parent, xas.xa_offset, node, null, `xas_delete_node: node #${node.id} is empty, so slot ${xas.xa_offset} of its parent #${parent.id} is cleared.`);
    node.freed = true;
    if (tr) emitNode(xa, 'free', node, `xas_delete_node: node #${node.id} is freed.`);
    parent.count--;
    node = parent;
  }
  if (node.parent === null) xas_shrink(xas);
  if (tr) xa.tracer!.leave('xas_delete_node', null, 'xas_delete_node: done.');
}

/** Free a subtree that a multi-index store has replaced. Kernel: lib/xarray.c xas_free_nodes() */
function xas_free_nodes(xas: XaState, top: XaNode): void {
  const xa = xas.xa;
  const tr = tracing(xa);
  let offset = 0;
  let node = top;
  for (;;) {
    const entry = node.slots[offset];
    if (entry instanceof XaNode) {
      node = entry;
      offset = 0;
      continue;
    }
    // (The kernel writes XA_RETRY_ENTRY into each used slot here, for RCU readers only.)
    offset++;
    while (offset === XA_CHUNK_SIZE) {
      const parent = node.parent;
      offset = node.offset + 1;
      node.count = 0;
      node.nr_values = 0;
      node.freed = true;
      if (tr) emitNode(xa, 'free', node, `xas_free_nodes: node #${node.id} belonged to the replaced subtree and is freed.`);
      if (node === top) return;
      node = parent!;
    }
  }
}

/** Add to a node's counters; a node that lost entries may be deleted. Kernel: lib/xarray.c update_node() */
function update_node(xas: XaState, node: XaNode | null, count: number, values: number): void {
  if (node === null || (!count && !values)) return;
  node.count += count;
  node.nr_values += values;
  // (The kernel always calls xas_delete_node here; it returns at once unless the node is
  // empty or is the root, so only those cases are passed on.)
  if (count < 0 && (node.count === 0 || node.parent === null)) xas_delete_node(xas);
}

/**
 * Merge the marks of a multi-index range onto its first slot and clear them on the others.
 * Kernel: lib/xarray.c xas_squash_marks()
 */
function xas_squash_marks(xas: XaState): void {
  if (!xas.xa_sibs) return;
  const node = xas.xa_node as XaNode;
  const xa = xas.xa;
  const tr = tracing(xa);
  const first = xas.xa_offset;
  const limit = first + xas.xa_sibs + 1;
  for (let m = 0; m <= XA_MARK_MAX; m++) {
    const mark = m as XaMark;
    if (findNextBit(node, mark, first + 1) >= limit) continue;
    if (!node_set_mark(node, first, mark) && tr) {
      emitMark(xa, node, first, mark, true, `xas_squash_marks: a slot in the new entry's range had mark ${mark}, so the entry's first slot ${first} of node #${node.id} gets it.`);
    }
    for (let o = first + 1; o < limit; o++) {
      if (node_clear_mark(node, o, mark) && tr) {
        emitMark(xa, node, o, mark, false, `xas_squash_marks: mark ${mark} moves off slot ${o} of node #${node.id}, which becomes a sibling slot.`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

/**
 * Store `entry` at the state's index (and, for a multi-order state, over its whole range),
 * creating nodes as needed; storing null erases (all of a multi-index entry) and may free
 * nodes. Returns the old entry; for a multi-order store, the last distinct entry met in the
 * range (possibly a node whose subtree was replaced).
 * Kernel: lib/xarray.c xas_store()
 */
export function xas_store(xas: XaState, entry: XaEntry): XaEntry {
  const xa = xas.xa;
  const tr = tracing(xa);
  if (tr) {
    xa.tracer!.enter(
      'xas_store',
      { xa: xa.name, index: xas.xa_index, shift: xas.xa_shift, sibs: xas.xa_sibs, entry: refJson(xa, entry) },
      entry === null
        ? `xas_store: erase the entry at index ${xas.xa_index}.`
        : `xas_store: store ${describeEntry(xa, entry)} at index ${xas.xa_index}${xas.xa_shift || xas.xa_sibs ? ` covering ${xas_size(xas)} indices` : ''}.`,
    );
  }
  const value = typeof entry === 'number';
  let count = 0;
  let values = 0;
  let first = entry !== null ? xas_create(xas) : xas_load(xas);

  if (xas_invalid(xas)) {
    if (tr) xa.tracer!.leave('xas_store', refJson(xa, first), `xas_store: nothing to do (${xas.xa_node instanceof KErr ? 'error' : 'the index is beyond the array'}).`);
    return first;
  }
  const node = xas.xa_node as XaNode | null;
  if (node !== null && xas.xa_shift < node.shift) xas.xa_sibs = 0;
  if (first === entry && !xas.xa_sibs) {
    if (tr) xa.tracer!.leave('xas_store', refJson(xa, first), 'xas_store: the slot already holds this entry.');
    return first;
  }

  let next = first;
  let offset = xas.xa_offset;
  const max = xas.xa_offset + xas.xa_sibs;
  if (node !== null && xas.xa_sibs) xas_squash_marks(xas);
  if (entry === null) xas_init_marks(xas);

  for (;;) {
    if (node === null) {
      const old = xa.head;
      xa.head = entry;
      if (tr) emitSlot(xa, null, 0, old, entry, `xas_store: the head changes from ${describeEntry(xa, old)} to ${describeEntry(xa, entry)}.`);
    } else {
      const old = node.slots[offset];
      node.slots[offset] = entry;
      if (tr) {
        emitSlot(
          xa,
          node,
          offset,
          old,
          entry,
          old === entry
            ? `xas_store: slot ${offset} of node #${node.id} is written with ${describeEntry(xa, entry)} again (it is part of the stored range).`
            : `xas_store: slot ${offset} of node #${node.id} changes from ${describeEntry(xa, old)} to ${describeEntry(xa, entry)}.`,
        );
      }
    }
    if (next instanceof XaNode) xas_free_nodes(xas, next);
    if (node === null) break;
    count += (next === null ? 1 : 0) - (entry === null ? 1 : 0);
    values += (typeof first === 'number' ? 0 : 1) - (value ? 0 : 1);
    if (entry !== null) {
      if (offset === max) break;
      if (!(entry instanceof XaSibling)) entry = SIBLINGS[xas.xa_offset];
    } else if (offset === XA_CHUNK_MASK) {
      break;
    }
    next = node.slots[++offset];
    if (!(next instanceof XaSibling)) {
      if (entry === null && offset > max) break;
      first = next;
    }
  }

  update_node(xas, node, count, values);
  if (tr) xa.tracer!.leave('xas_store', refJson(xa, first), `xas_store returns ${describeEntry(xa, first)}.`);
  return first;
}

// ---------------------------------------------------------------------------------------------
// Marks
// ---------------------------------------------------------------------------------------------

/** Is the mark set on the entry the state points at? Kernel: lib/xarray.c xas_get_mark() */
export function xas_get_mark(xas: XaState, mark: XaMark): boolean {
  if (xas_invalid(xas)) return false;
  const node = xas.xa_node as XaNode | null;
  if (node === null) return xa_marked(xas.xa, mark);
  return node_get_mark(node, xas.xa_offset, mark);
}

/**
 * Set the mark on the entry and on every ancestor, stopping at the first that already had it;
 * at the top, set the array-level flag.
 * Kernel: lib/xarray.c xas_set_mark()
 */
export function xas_set_mark(xas: XaState, mark: XaMark): void {
  if (xas_invalid(xas)) return;
  const xa = xas.xa;
  const tr = tracing(xa);
  let node = xas.xa_node as XaNode | null;
  let offset = xas.xa_offset;
  while (node !== null) {
    if (node_set_mark(node, offset, mark)) return;
    if (tr) emitMark(xa, node, offset, mark, true, `xas_set_mark: mark ${mark} is set on slot ${offset} of node #${node.id}${node.shift ? ' (some entry below it is now marked)' : ''}.`);
    offset = node.offset;
    node = node.parent;
  }
  if (!xa_marked(xa, mark)) {
    xa.xa_flags |= XA_FLAGS_MARK(mark);
    if (tr) emitMark(xa, null, 0, mark, true, `xas_set_mark: the array-level flag for mark ${mark} is set.`);
  }
}

/**
 * Clear the mark on the entry, then on each ancestor whose node has no other entry with it;
 * at the top, clear the array-level flag.
 * Kernel: lib/xarray.c xas_clear_mark()
 */
export function xas_clear_mark(xas: XaState, mark: XaMark): void {
  if (xas_invalid(xas)) return;
  const xa = xas.xa;
  const tr = tracing(xa);
  let node = xas.xa_node as XaNode | null;
  let offset = xas.xa_offset;
  while (node !== null) {
    if (!node_clear_mark(node, offset, mark)) return;
    if (tr) emitMark(xa, node, offset, mark, false, `xas_clear_mark: mark ${mark} is cleared on slot ${offset} of node #${node.id}.`);
    if (node_any_mark(node, mark)) return;
    offset = node.offset;
    node = node.parent;
  }
  if (xa_marked(xa, mark)) {
    xa.xa_flags &= ~XA_FLAGS_MARK(mark);
    if (tr) emitMark(xa, null, 0, mark, false, `xas_clear_mark: no entry has mark ${mark} any more, so the array-level flag is cleared.`);
  }
}

/** Clear all three marks of the entry. Kernel: lib/xarray.c xas_init_marks() */
export function xas_init_marks(xas: XaState): void {
  for (let m = 0; m <= XA_MARK_MAX; m++) xas_clear_mark(xas, m as XaMark);
}

// ---------------------------------------------------------------------------------------------
// Searching and iterating
// ---------------------------------------------------------------------------------------------

/**
 * The next present entry at or after the state's index (after it, if the state was already
 * walked), up to `max`; siblings are skipped so a multi-index entry is seen once.
 * Kernel: lib/xarray.c xas_find()
 */
export function xas_find(xas: XaState, max: number): XaEntry {
  if (xas.xa_node instanceof KErr || xas.xa_node === XAS_BOUNDS) return null;
  if (xas.xa_index > max) return set_bounds(xas);

  if (xas.xa_node === null) {
    xas.xa_index = 1;
    return set_bounds(xas);
  } else if (xas.xa_node === XAS_RESTART) {
    const entry = xas_load(xas);
    if (entry !== null || xas_not_node(xas.xa_node)) return entry;
  } else if (!(xas.xa_node as XaNode).shift && xas.xa_offset !== mod64(xas.xa_index)) {
    xas.xa_offset = mod64(xas.xa_index - 1) + 1;
  }

  xas_advance(xas);

  while (xas.xa_node instanceof XaNode && xas.xa_index <= max) {
    const node: XaNode = xas.xa_node;
    if (xas.xa_offset === XA_CHUNK_SIZE) {
      xas.xa_offset = node.offset + 1;
      xas.xa_node = node.parent;
      continue;
    }
    const entry = node.slots[xas.xa_offset];
    if (entry instanceof XaNode) {
      xas.xa_node = entry;
      xas.xa_offset = 0;
      continue;
    }
    if (entry !== null && !(entry instanceof XaSibling)) return entry;
    xas_advance(xas);
  }
  if (xas.xa_node === null) xas.xa_node = XAS_BOUNDS;
  return null;
}

/** First marked slot at or after the state's offset (+1 if advancing), or 64. Kernel: include/linux/xarray.h xas_find_chunk() */
function xas_find_chunk(xas: XaState, advance: boolean, mark: XaMark): number {
  let offset = xas.xa_offset;
  if (advance) offset++;
  if (offset >= XA_CHUNK_SIZE) return XA_CHUNK_SIZE;
  return findNextBit(xas.xa_node as XaNode, mark, offset);
}

/**
 * The next entry with `mark`, skipping subtrees whose summary bit is clear.
 * Kernel: lib/xarray.c xas_find_marked()
 */
export function xas_find_marked(xas: XaState, max: number, mark: XaMark): XaEntry {
  let advance = true;
  if (xas.xa_node instanceof KErr) return null;
  if (xas.xa_index > max) {
    xas.xa_node = XAS_RESTART;
    return null;
  }

  let toOut = false;
  if (xas.xa_node === null) {
    xas.xa_index = 1;
    toOut = true;
  } else if (xas_top(xas.xa_node)) {
    advance = false;
    const entry = xas.xa.head;
    xas.xa_node = null;
    if (xas.xa_index > max_index(entry)) {
      toOut = true;
    } else if (!(entry instanceof XaNode)) {
      if (xa_marked(xas.xa, mark)) return entry;
      xas.xa_index = 1;
      toOut = true;
    } else {
      xas.xa_node = entry;
      xas.xa_offset = Math.floor(xas.xa_index / POW2[entry.shift]);
    }
  }

  if (!toOut) {
    while (xas.xa_index <= max) {
      const node = xas.xa_node as XaNode;
      if (xas.xa_offset === XA_CHUNK_SIZE) {
        xas.xa_offset = node.offset + 1;
        xas.xa_node = node.parent;
        if (xas.xa_node === null) break;
        advance = false;
        continue;
      }
      if (!advance) {
        const e = node.slots[xas.xa_offset];
        if (e instanceof XaSibling) {
          xas.xa_offset = e.offset;
          xas_move_index(xas, xas.xa_offset);
        }
      }
      const offset = xas_find_chunk(xas, advance, mark);
      if (offset > xas.xa_offset) {
        advance = false;
        xas_move_index(xas, offset);
        // Mind the wrap (cannot happen with 53-bit indices, kept for fidelity).
        if (xas.xa_index === 0 || xas.xa_index - 1 >= max) {
          xas.xa_node = XAS_RESTART;
          return null;
        }
        xas.xa_offset = offset;
        if (offset === XA_CHUNK_SIZE) continue;
      }
      const entry = node.slots[xas.xa_offset];
      if (!(entry instanceof XaNode)) return entry;
      xas.xa_node = entry;
      xas.xa_offset = getOffset(xas.xa_index, entry.shift);
    }
  }
  // out:
  if (xas.xa_index > max) {
    xas.xa_node = XAS_RESTART;
    return null;
  }
  return set_bounds(xas);
}

/**
 * The next present entry inside the range of a multi-order state, including entries in
 * lower-level nodes; null when the range is empty.
 * Kernel: lib/xarray.c xas_find_conflict()
 */
export function xas_find_conflict(xas: XaState): XaEntry {
  if (xas.xa_node instanceof KErr) return null;
  if (xas.xa_node === null) return null;

  if (xas_top(xas.xa_node)) {
    let curr = xas_start(xas);
    if (curr === null) return null;
    while (curr instanceof XaNode) curr = xas_descend(xas, curr);
    if (curr !== null) return curr;
  }
  if (!(xas.xa_node instanceof XaNode)) return null;
  if (xas.xa_node.shift > xas.xa_shift) return null;

  for (;;) {
    const node: XaNode = xas.xa_node;
    if (node.shift === xas.xa_shift) {
      if ((xas.xa_offset & xas.xa_sibs) === xas.xa_sibs) break;
    } else if (xas.xa_offset === XA_CHUNK_MASK) {
      xas.xa_offset = node.offset;
      xas.xa_node = node.parent;
      if (xas.xa_node === null) break;
      continue;
    }
    let curr = node.slots[++xas.xa_offset];
    if (curr instanceof XaSibling) continue;
    while (curr instanceof XaNode) {
      xas.xa_node = curr;
      xas.xa_offset = 0;
      curr = curr.slots[0];
    }
    if (curr !== null) return curr;
  }
  xas.xa_offset -= xas.xa_sibs;
  return null;
}

/**
 * The next present entry after the current one, fast within a leaf.
 * Kernel: include/linux/xarray.h xas_next_entry()
 */
export function xas_next_entry(xas: XaState, max: number): XaEntry {
  const node = xas.xa_node;
  if (!(node instanceof XaNode) || node.shift || xas.xa_offset !== mod64(xas.xa_index)) return xas_find(xas, max);
  let entry: XaEntry;
  do {
    if (xas.xa_index >= max) return xas_find(xas, max);
    if (xas.xa_offset === XA_CHUNK_MASK) return xas_find(xas, max);
    entry = node.slots[xas.xa_offset + 1];
    if (entry !== null && xa_is_internal(entry)) return xas_find(xas, max);
    xas.xa_offset++;
    xas.xa_index++;
  } while (entry === null);
  return entry;
}

/** The next marked entry, fast within a leaf. Kernel: include/linux/xarray.h xas_next_marked() */
export function xas_next_marked(xas: XaState, max: number, mark: XaMark): XaEntry {
  const node = xas.xa_node;
  if (!(node instanceof XaNode) || node.shift) return xas_find_marked(xas, max, mark);
  const offset = xas_find_chunk(xas, true, mark);
  xas.xa_offset = offset;
  xas.xa_index = xas.xa_index - mod64(xas.xa_index) + offset;
  if (xas.xa_index > max) return null;
  if (offset === XA_CHUNK_SIZE) return xas_find_marked(xas, max, mark);
  const entry = node.slots[offset];
  if (entry === null) return xas_find_marked(xas, max, mark);
  return entry;
}

/**
 * Every present entry from the state's index to `max` (each multi-index entry once); the
 * index of the current entry is xas.xa_index. Entries may be erased inside the loop.
 * Kernel: include/linux/xarray.h xas_for_each()
 */
export function* xas_for_each(xas: XaState, max: number): Generator<XaEntry & {}, void, void> {
  for (let e = xas_find(xas, max); e !== null; e = xas_next_entry(xas, max)) yield e;
}

/** Every entry with `mark` from the state's index to `max`. Kernel: include/linux/xarray.h xas_for_each_marked() */
export function* xas_for_each_marked(xas: XaState, max: number, mark: XaMark): Generator<XaEntry & {}, void, void> {
  for (let e = xas_find_marked(xas, max, mark); e !== null; e = xas_next_marked(xas, max, mark)) yield e;
}

/** Every entry inside the range of a multi-order state. Kernel: include/linux/xarray.h xas_for_each_conflict() */
export function* xas_for_each_conflict(xas: XaState): Generator<XaEntry & {}, void, void> {
  for (let e = xas_find_conflict(xas); e !== null; e = xas_find_conflict(xas)) yield e;
}

/**
 * Prepare a walk to continue after the lock is dropped: move past the current entry
 * (and its siblings) and restart from the head next time.
 * Kernel: lib/xarray.c xas_pause()
 */
export function xas_pause(xas: XaState): void {
  const node = xas.xa_node;
  if (xas_invalid(xas)) return;
  if (node instanceof XaNode) {
    let offset = xas.xa_offset;
    while (++offset < XA_CHUNK_SIZE) {
      if (!(node.slots[offset] instanceof XaSibling)) break;
    }
    const unit = POW2[node.shift];
    xas.xa_index = xas.xa_index - (xas.xa_index % unit) + (offset - xas.xa_offset) * unit;
  } else {
    xas.xa_index++;
  }
  xas.xa_node = XAS_RESTART;
}

/**
 * Order of the entry the state points at (from the sibling slots that follow it).
 * Kernel: lib/xarray.c xas_get_order()
 */
export function xas_get_order(xas: XaState): number {
  const node = xas.xa_node;
  if (!(node instanceof XaNode)) return 0;
  let order = 0;
  for (;;) {
    const slot = xas.xa_offset + (1 << order);
    if (slot >= XA_CHUNK_SIZE) break;
    if (!(node.slots[slot] instanceof XaSibling)) break;
    order++;
  }
  return order + node.shift;
}

// ---------------------------------------------------------------------------------------------
// The normal API
// ---------------------------------------------------------------------------------------------

function badIndex(index: unknown): KErr {
  return kerr('EINVAL', `XArray index ${String(index)} is not an integer in 0..2^53-1`);
}

function badMark(mark: unknown): KErr {
  return kerr('EINVAL', `XArray mark ${String(mark)} is not 0, 1 or 2`);
}

/** Reject what can not be stored: internal entries and numbers that are not 0..2^53-1. */
function badEntry(xa: XArray, fn: string, entry: XaEntry): KErr | null {
  if (typeof entry === 'number') {
    if (isIndex(entry)) return null;
    return kerr('EINVAL', `${fn}: value ${String(entry)} is not an integer in 0..2^53-1`);
  }
  if (entry !== null && xa_is_internal(entry)) {
    if (tracing(xa)) xa.tracer!.emit({ t: 'warn', fn, cond: 'xa_is_internal(entry)' }, `${fn}: an internal entry can not be stored (WARN_ON_ONCE), -EINVAL.`);
    return kerr('EINVAL', `${fn}: internal entries (nodes, siblings, retry, zero, errors) can not be stored`);
  }
  if (entry !== null && typeof entry !== 'object') {
    return kerr('EINVAL', `${fn}: an XArray entry must be null, a value or an object`);
  }
  return null;
}

/** Turn an internal result into what the normal API returns. Kernel: lib/xarray.c xas_result() */
function xas_result(xas: XaState, curr: XaEntry): XaEntry {
  if (curr === XA_ZERO_ENTRY) return null;
  if (xas.xa_node instanceof KErr) return xas.xa_node;
  return curr;
}

/** xa_load without tracing: xas_load from a fresh state, inlined. */
function loadFast(xa: XArray, index: number): XaEntry {
  let entry = xa.head;
  if (!(entry instanceof XaNode)) {
    if (index !== 0) return null;
  } else {
    if (index > max_index(entry)) return null;
    if (index <= 0x7fffffff) {
      do {
        const node: XaNode = entry;
        const sh = node.shift;
        entry = node.slots[sh > 30 ? 0 : (index >> sh) & XA_CHUNK_MASK];
        if (entry instanceof XaSibling) entry = node.slots[entry.offset];
      } while (entry instanceof XaNode);
    } else {
      do {
        const node: XaNode = entry;
        entry = node.slots[getOffset(index, node.shift)];
        if (entry instanceof XaSibling) entry = node.slots[entry.offset];
      } while (entry instanceof XaNode);
    }
  }
  return entry === XA_ZERO_ENTRY ? null : entry;
}

/**
 * The entry at `index` (null if none; a reserved slot reads as null).
 * Kernel: lib/xarray.c xa_load()
 */
export function xa_load(xa: XArray, index: number): XaEntry {
  if (!isIndex(index)) return badIndex(index);
  if (!tracing(xa)) return loadFast(xa, index);
  const t = xa.tracer!;
  t.enter('xa_load', { xa: xa.name, index }, `xa_load: look up index ${index} in ${xa.name}.`);
  const xas = XA_STATE(xa, index);
  let entry: XaEntry;
  do {
    entry = xas_load(xas);
    if (entry === XA_ZERO_ENTRY) entry = null;
  } while (xas_retry(xas, entry));
  t.leave('xa_load', refJson(xa, entry), `xa_load: index ${index} holds ${describeEntry(xa, entry)}.`);
  return entry;
}

/**
 * Store `entry` at `index`; returns the old entry (or a KErr for bad input). Storing inside a
 * multi-index entry replaces the whole entry's value; marks are kept unless entry is null.
 * Kernel: lib/xarray.c xa_store()
 */
export function xa_store(xa: XArray, index: number, entry: XaEntry): XaEntry {
  if (!isIndex(index)) return badIndex(index);
  const bad = badEntry(xa, 'xa_store', entry);
  if (bad) return bad;
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_store', { xa: xa.name, index, entry: refJson(xa, entry) }, `xa_store: store ${describeEntry(xa, entry)} at index ${index} of ${xa.name}.`);
  const xas = new XaState(xa, index);
  const curr = xas_result(xas, xas_store(xas, entry));
  if (tr) xa.tracer!.leave('xa_store', refJson(xa, curr), `xa_store returns the old entry, ${describeEntry(xa, curr)}.`);
  return curr;
}

/**
 * Erase the entry at `index` (all of it, if it is a multi-index entry); returns it.
 * Kernel: lib/xarray.c xa_erase()
 */
export function xa_erase(xa: XArray, index: number): XaEntry {
  if (!isIndex(index)) return badIndex(index);
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_erase', { xa: xa.name, index }, `xa_erase: erase index ${index} of ${xa.name}.`);
  const xas = new XaState(xa, index);
  const curr = xas_result(xas, xas_store(xas, null));
  if (tr) xa.tracer!.leave('xa_erase', refJson(xa, curr), `xa_erase returns the old entry, ${describeEntry(xa, curr)}.`);
  return curr;
}

/**
 * Store a 2^order-index entry at `index` (XA_STATE_ORDER + xas_store, as the kernel's test
 * suite does). `index` must be aligned to 2^order and the range must end by 2^53-1, else
 * -EINVAL. Returns the raw xas_store() result.
 * Kernel: lib/test_xarray.c xa_store_order()
 */
export function xa_store_order(xa: XArray, index: number, order: number, entry: XaEntry): XaEntry {
  if (!isIndex(index)) return badIndex(index);
  if (!Number.isInteger(order) || order < 0 || order > 53) return kerr('EINVAL', `xa_store_order: order ${String(order)} is not an integer in 0..53`);
  const size = POW2[order];
  if (index % size !== 0) return kerr('EINVAL', `xa_store_order: index ${index} is not aligned to 2^${order} = ${size}`);
  if (index + (size - 1) > XA_MAX_INDEX) return kerr('EINVAL', `xa_store_order: the range ${index}..${index + size - 1} ends beyond 2^53-1`);
  const bad = badEntry(xa, 'xa_store_order', entry);
  if (bad) return bad;
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_store_order', { xa: xa.name, index, order, entry: refJson(xa, entry) }, `xa_store_order: store ${describeEntry(xa, entry)} over indices ${index}..${index + size - 1} (order ${order}).`);
  const xas = XA_STATE_ORDER(xa, index, order);
  const curr = xas_store(xas, entry);
  if (tr) xa.tracer!.leave('xa_store_order', refJson(xa, curr), `xa_store_order returns ${describeEntry(xa, curr)}.`);
  return curr;
}

/**
 * Store `entry` only if `index` holds `old`; returns what was there.
 * Kernel: lib/xarray.c xa_cmpxchg()
 */
export function xa_cmpxchg(xa: XArray, index: number, old: XaEntry, entry: XaEntry): XaEntry {
  if (!isIndex(index)) return badIndex(index);
  const bad = badEntry(xa, 'xa_cmpxchg', entry);
  if (bad) return bad;
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_cmpxchg', { xa: xa.name, index, old: refJson(xa, old), entry: refJson(xa, entry) }, `xa_cmpxchg: replace ${describeEntry(xa, old)} at index ${index} with ${describeEntry(xa, entry)} if it is still there.`);
  const xas = new XaState(xa, index);
  let curr = xas_load(xas);
  if (curr === XA_ZERO_ENTRY) curr = null;
  if (curr === old) xas_store(xas, entry);
  const r = xas_result(xas, curr);
  if (tr) xa.tracer!.leave('xa_cmpxchg', refJson(xa, r), `xa_cmpxchg returns ${describeEntry(xa, r)}.`);
  return r;
}

/**
 * Set a mark on the entry at `index` (nothing happens if there is no entry).
 * Kernel: lib/xarray.c xa_set_mark()
 */
export function xa_set_mark(xa: XArray, index: number, mark: XaMark): KErr | undefined {
  if (!isIndex(index)) return badIndex(index);
  if (!isMark(mark)) return badMark(mark);
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_set_mark', { xa: xa.name, index, mark }, `xa_set_mark: set mark ${mark} on index ${index} of ${xa.name}.`);
  const xas = new XaState(xa, index);
  const entry = xas_load(xas);
  if (entry !== null) xas_set_mark(xas, mark);
  if (tr) xa.tracer!.leave('xa_set_mark', null, entry !== null ? 'xa_set_mark: done.' : `xa_set_mark: index ${index} is empty, so no mark is set.`);
  return undefined;
}

/** Clear a mark on the entry at `index`. Kernel: lib/xarray.c xa_clear_mark() */
export function xa_clear_mark(xa: XArray, index: number, mark: XaMark): KErr | undefined {
  if (!isIndex(index)) return badIndex(index);
  if (!isMark(mark)) return badMark(mark);
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_clear_mark', { xa: xa.name, index, mark }, `xa_clear_mark: clear mark ${mark} on index ${index} of ${xa.name}.`);
  const xas = new XaState(xa, index);
  const entry = xas_load(xas);
  if (entry !== null) xas_clear_mark(xas, mark);
  if (tr) xa.tracer!.leave('xa_clear_mark', null, 'xa_clear_mark: done.');
  return undefined;
}

/**
 * Is the mark set on the entry at `index`? Walks down only while the summary bits say yes.
 * Kernel: lib/xarray.c xa_get_mark()
 */
export function xa_get_mark(xa: XArray, index: number, mark: XaMark): boolean | KErr {
  if (!isIndex(index)) return badIndex(index);
  if (!isMark(mark)) return badMark(mark);
  const xas = new XaState(xa, index);
  let entry = xas_start(xas);
  while (xas_get_mark(xas, mark)) {
    if (!(entry instanceof XaNode)) return true;
    entry = xas_descend(xas, entry);
  }
  return false;
}

/**
 * The first entry at index >= indexp.index and <= max that matches `filter` (a mark, or
 * XA_PRESENT for any entry); on success indexp.index is set to its index.
 * Kernel: lib/xarray.c xa_find()
 */
export function xa_find(xa: XArray, indexp: { index: number }, max: number, filter: XaMark | typeof XA_PRESENT): XaEntry {
  if (!isIndex(indexp.index)) return badIndex(indexp.index);
  if (typeof max !== 'number' || Number.isNaN(max) || max < 0) return kerr('EINVAL', `xa_find: max ${String(max)} is not a valid index`);
  if (!isMark(filter) && filter !== XA_PRESENT) return badMark(filter);
  const xas = new XaState(xa, indexp.index);
  let entry: XaEntry;
  do {
    entry = filter !== XA_PRESENT ? xas_find_marked(xas, max, filter) : xas_find(xas, max);
  } while (xas_retry(xas, entry));
  if (entry !== null) indexp.index = xas.xa_index;
  return entry;
}

/** Every present entry from `start` to `max`, as [index, entry] (each multi-index entry once). (Model helper around xas_for_each.) */
export function* xa_for_each(xa: XArray, start = 0, max = XA_MAX_INDEX): Generator<[number, XaEntry & {}], void, void> {
  if (!isIndex(start)) return;
  const xas = new XaState(xa, start);
  for (const e of xas_for_each(xas, max)) {
    if (xas_retry(xas, e)) continue;
    yield [xas.xa_index, e];
  }
}

/** Every entry with `mark` from `start` to `max`, as [index, entry]. (Model helper around xas_for_each_marked.) */
export function* xa_for_each_marked(xa: XArray, mark: XaMark, start = 0, max = XA_MAX_INDEX): Generator<[number, XaEntry & {}], void, void> {
  if (!isIndex(start) || !isMark(mark)) return;
  const xas = new XaState(xa, start);
  for (const e of xas_for_each_marked(xas, max, mark)) {
    if (xas_retry(xas, e)) continue;
    yield [xas.xa_index, e];
  }
}

/** Order of the entry at `index` (0 if none). Kernel: lib/xarray.c xa_get_order() */
export function xa_get_order(xa: XArray, index: number): number | KErr {
  if (!isIndex(index)) return badIndex(index);
  const xas = new XaState(xa, index);
  const entry = xas_load(xas);
  if (entry === null) return 0;
  return xas_get_order(xas);
}

/**
 * Empty the array and free every node.
 * Kernel: lib/xarray.c xa_destroy()
 */
export function xa_destroy(xa: XArray): void {
  const tr = tracing(xa);
  if (tr) xa.tracer!.enter('xa_destroy', { xa: xa.name }, `xa_destroy: ${xa.name} is emptied and all its nodes are freed.`);
  const xas = new XaState(xa, 0);
  xas.xa_node = null;
  const entry = xa.head;
  xa.head = null;
  if (tr && entry !== null) emitSlot(xa, null, 0, entry, null, 'xa_destroy: the head is cleared.');
  xas_init_marks(xas);
  if (entry instanceof XaNode) xas_free_nodes(xas, entry);
  if (tr) xa.tracer!.leave('xa_destroy', null, 'xa_destroy: done.');
}
