/**
 * Layout of the XArray panel: pure geometry from a tree dump, no DOM. d3-hierarchy's tidy tree
 * (Reingold-Tilford, as refined by Buchheim et al.) places the nodes; everything inside a node box is
 * laid out here on a fixed grid.
 *
 * Conventions in this file:
 *   box     - the rectangle drawn for one xa_node: a header line, its 64 slots as two rows of 32
 *             cells, then one "chip" per occupied run of slots with a readable label.
 *   cell    - one slot's square. Above each cell is a lane for its mark dots (mark m at position m),
 *             below it a lane for sibling links.
 *   key     - a node's identity for animation: the engine's node id when the dump has ids, else
 *             the path of slots from the root ("r.0.3"), which golden fixtures can use.
 *   (x, y)  - the top-left corner of a box, in SVG user units; the whole layout starts at (0, 0).
 */
import { hierarchy, tree, type HierarchyPointNode } from 'd3';
import type { EntryDecoder } from './decode';
import { isHeadEntry, isNodeDump, isSiblingDump, type XaChildDump, type XaNodeDump, type XaTreeDump } from './tree-types';

export const XA_CHUNK_SIZE = 64;
export const COLS = 32;
export const ROWS = XA_CHUNK_SIZE / COLS;
export const CELL_W = 12;
export const CELL_H = 14;
export const MARK_LANE = 6;
export const LINK_LANE = 8;
export const ROW_PITCH = MARK_LANE + CELL_H + LINK_LANE;
export const PAD = 8;
export const HEADER_H = 20;
export const CHIP_H = 15;
export const CHIP_GAP = 4;
export const CHIP_LINE = CHIP_H + 3;
/**
 * Advance width of one monospace character per pixel of font size, kept on the safe side: the
 * fonts --mono may pick measure 0.55 (Consolas) to 0.602 (DejaVu Sans Mono, Menlo) and 0.618
 * (SF Mono, macOS's ui-monospace), so a text sized with 0.62 never runs past its box.
 */
export const MONO_EM = 0.62;
/** Width of one character of the chip font (11px monospace, .xa-chip text in app.css). */
export const CHAR_W = 11 * MONO_EM;
/** Width of one character of the head box's font (12px monospace, .xa-head text in app.css). */
export const HEAD_CHAR_W = 12 * MONO_EM;
export const NODE_W = PAD * 2 + COLS * CELL_W;
export const H_GAP = 28;
export const V_GAP = 34;
export const HEAD_W = 230;
export const HEAD_H = 26;
const CHIPS_TOP = HEADER_H + ROWS * ROW_PITCH + 4;
/** Longest chip label before it is cut with an ellipsis (the tooltip keeps the whole text). */
export const MAX_CHIP_CHARS = 26;

export type CellKind = 'empty' | 'value' | 'node' | 'sibling';

export interface CellLayout {
  slot: number;
  /** relative to the box */
  x: number;
  y: number;
  kind: CellKind;
  /** the marks set on this slot (0..2) */
  marks: number[];
  title: string;
}

export interface ChipLayout {
  /** first slot of the run the chip describes */
  slot: number;
  x: number;
  y: number;
  width: number;
  text: string;
  title: string;
  kind: Exclude<CellKind, 'empty'>;
}

export interface SiblingLinkLayout {
  /** the sibling slot */
  from: number;
  /** its canonical slot */
  to: number;
  /** SVG path, relative to the box */
  d: string;
}

export interface NodeLayout {
  key: string;
  id: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
  depth: number;
  shift: number;
  offset: number;
  count: number;
  nrValues: number;
  /** key of the parent box, null for the root */
  parentKey: string | null;
  cells: CellLayout[];
  chips: ChipLayout[];
  siblingLinks: SiblingLinkLayout[];
  /** the header line */
  header: string;
}

export interface EdgeLayout {
  /** the child's key */
  key: string;
  parentKey: string | null;
  d: string;
}

export interface HeadLayout {
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
  title: string;
  /** what xa_head holds */
  kind: 'empty' | 'entry' | 'node';
}

export interface XaLayout {
  width: number;
  height: number;
  head: HeadLayout;
  nodes: NodeLayout[];
  edges: EdgeLayout[];
}

/** Cell position (relative to its box) of a slot. */
export function cellPosition(slot: number): { x: number; y: number } {
  const row = Math.floor(slot / COLS);
  const col = slot % COLS;
  return { x: PAD + col * CELL_W, y: HEADER_H + row * ROW_PITCH + MARK_LANE };
}

function cut(text: string): string {
  return text.length > MAX_CHIP_CHARS ? text.slice(0, MAX_CHIP_CHARS - 1) + '…' : text;
}

function nodeName(n: XaNodeDump): string {
  return n.id !== undefined ? `#${n.id}` : 'node';
}

interface Run {
  slot: number;
  last: number;
  kind: Exclude<CellKind, 'empty'>;
  text: string;
  title: string;
}

/** The occupied slots of a node as runs: a canonical slot with its siblings is one run. */
function runsOf(node: XaNodeDump, decoder: EntryDecoder): Run[] {
  const runs: Run[] = [];
  const slots = Object.keys(node.slots)
    .map(Number)
    .sort((a, b) => a - b);
  for (const s of slots) {
    const c = node.slots[String(s)];
    if (isSiblingDump(c)) {
      const r = runs.find((x) => x.slot === c.sibling);
      if (r && r.last < s) r.last = s;
      continue;
    }
    if (isNodeDump(c)) {
      runs.push({ slot: s, last: s, kind: 'node', text: `${s}→${nodeName(c)}`, title: `slot ${s}: pointer to xa_node ${nodeName(c)} (shift ${c.shift})` });
    } else {
      runs.push({ slot: s, last: s, kind: 'value', text: `${s}: ${decoder.label(c)}`, title: `slot ${s}: ${decoder.title(c)}` });
    }
  }
  for (const r of runs) {
    if (r.last > r.slot) {
      const span = r.last - r.slot + 1;
      r.text = `${r.slot}–${r.last}: ` + r.text.slice(r.text.indexOf(':') + 2);
      r.title += `; slots ${r.slot + 1}–${r.last} are its siblings (one entry covering ${span} slots)`;
    }
  }
  return runs;
}

function layoutChips(runs: Run[]): { chips: ChipLayout[]; lines: number } {
  const chips: ChipLayout[] = [];
  const inner = COLS * CELL_W;
  let x = 0;
  let line = 0;
  for (const r of runs) {
    const text = cut(r.text);
    const width = Math.ceil(text.length * CHAR_W + 8);
    if (x > 0 && x + width > inner) {
      x = 0;
      line++;
    }
    chips.push({ slot: r.slot, x: PAD + x, y: CHIPS_TOP + line * CHIP_LINE, width, text, title: r.title, kind: r.kind });
    x += width + CHIP_GAP;
  }
  return { chips, lines: runs.length ? line + 1 : 0 };
}

/** A sibling link: a curve from the sibling cell's bottom, down into the link lane, to the canonical cell. */
function siblingPath(from: number, to: number): string {
  const a = cellPosition(from);
  const b = cellPosition(to);
  const y = a.y + CELL_H;
  const dist = Math.abs(from - to);
  const depth = Math.min(LINK_LANE - 1, 2 + dist);
  const x1 = a.x + CELL_W / 2;
  const x2 = b.x + CELL_W / 2;
  return `M${x1},${y} C${x1},${y + depth} ${x2},${y + depth} ${x2},${y}`;
}

interface BoxDraft {
  key: string;
  node: XaNodeDump;
  parentKey: string | null;
  /** slot of the parent that points here */
  parentSlot: number | null;
  children: BoxDraft[];
}

function draft(node: XaNodeDump, path: string, parentKey: string | null, parentSlot: number | null): BoxDraft {
  const key = node.id !== undefined ? `n${node.id}` : `p${path}`;
  const children: BoxDraft[] = [];
  const slots = Object.keys(node.slots)
    .map(Number)
    .sort((a, b) => a - b);
  for (const s of slots) {
    const c: XaChildDump = node.slots[String(s)];
    if (isNodeDump(c)) children.push(draft(c, `${path}.${s}`, key, s));
  }
  return { key, node, parentKey, parentSlot, children };
}

/**
 * boxContents() per node dump and decoder. A replay hands back the same dump object for an
 * unchanged node (first map); a node rebuilt after a jump is found by its contents (second map,
 * keyed by contentKey()), so its cells keep their identity and the drawing skips it.
 */
const contentsCache = new WeakMap<XaNodeDump, Map<EntryDecoder, BoxContents>>();
const contentsByKey = new WeakMap<EntryDecoder, Map<string, BoxContents>>();
/** Entries kept per decoder in contentsByKey before it starts over. */
const MAX_KEYED = 4096;

type BoxContents = ReturnType<typeof computeBoxContents>;

/** Everything boxContents() reads from a node: its slots (child nodes by id and shift) and marks. */
function contentKey(node: XaNodeDump): string {
  let k = JSON.stringify(node.marks) + (node.id ?? '');
  for (const [slot, c] of Object.entries(node.slots)) k += `|${slot}=` + (isNodeDump(c) ? `n${c.id ?? '?'}/${c.shift}` : JSON.stringify(c));
  return k;
}

function boxContents(node: XaNodeDump, decoder: EntryDecoder): BoxContents {
  let byDecoder = contentsCache.get(node);
  if (!byDecoder) contentsCache.set(node, (byDecoder = new Map()));
  let c = byDecoder.get(decoder);
  if (c) return c;
  let keyed = contentsByKey.get(decoder);
  if (!keyed) contentsByKey.set(decoder, (keyed = new Map()));
  const key = contentKey(node);
  c = keyed.get(key);
  if (!c) {
    c = computeBoxContents(node, decoder);
    if (keyed.size >= MAX_KEYED) keyed.clear();
    keyed.set(key, c);
  }
  byDecoder.set(decoder, c);
  return c;
}

function computeBoxContents(node: XaNodeDump, decoder: EntryDecoder) {
  const markOf = new Map<number, number[]>();
  node.marks.forEach((slots, m) => {
    for (const s of slots) markOf.set(s, [...(markOf.get(s) ?? []), m]);
  });
  const cells: CellLayout[] = [];
  const siblingLinks: SiblingLinkLayout[] = [];
  for (let s = 0; s < XA_CHUNK_SIZE; s++) {
    const c = node.slots[String(s)];
    const { x, y } = cellPosition(s);
    let kind: CellKind = 'empty';
    let title = `slot ${s}: empty`;
    if (c !== undefined && c !== null) {
      if (isSiblingDump(c)) {
        kind = 'sibling';
        title = `slot ${s}: sibling of slot ${c.sibling}`;
        siblingLinks.push({ from: s, to: c.sibling, d: siblingPath(s, c.sibling) });
      } else if (isNodeDump(c)) {
        kind = 'node';
        title = `slot ${s}: xa_node ${nodeName(c)}`;
      } else {
        kind = 'value';
        title = `slot ${s}: ${decoder.title(c)}`;
      }
    }
    const marks = markOf.get(s) ?? [];
    if (marks.length) title += ` (marks: ${marks.join(', ')})`;
    cells.push({ slot: s, x, y, kind, marks, title });
  }
  const { chips, lines } = layoutChips(runsOf(node, decoder));
  const height = CHIPS_TOP + Math.max(1, lines) * CHIP_LINE + 4;
  return { cells, chips, siblingLinks, height };
}

function vertical(x1: number, y1: number, x2: number, y2: number): string {
  const my = (y1 + y2) / 2;
  return `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
}

/**
 * Lays out a whole array. `name` labels the head box (the XArray's name in the steps).
 */
export function layoutXArray(treeDump: XaTreeDump, decoder: EntryDecoder, name = 'xa'): XaLayout {
  if (treeDump === null || isHeadEntry(treeDump)) {
    const text = treeDump === null ? `${name}: empty` : `${name}: head holds ${decoder.label(treeDump.entry)}`;
    const title =
      treeDump === null
        ? 'xa_head is NULL: the array holds nothing and has no nodes'
        : `xa_head holds the only entry (index 0) directly, without a node: ${decoder.title(treeDump.entry)}`;
    // The text starts 8px in (controller.ts); as much room again on the right.
    const width = Math.max(HEAD_W, Math.ceil(text.length * HEAD_CHAR_W + 16));
    return {
      width,
      height: HEAD_H,
      head: { x: 0, y: 0, width, height: HEAD_H, text, title, kind: treeDump === null ? 'empty' : 'entry' },
      nodes: [],
      edges: [],
    };
  }

  const rootDraft = draft(treeDump, 'r', null, null);
  const root = hierarchy<BoxDraft>(rootDraft, (d) => d.children);
  const placed: HierarchyPointNode<BoxDraft> = tree<BoxDraft>()
    .nodeSize([NODE_W + H_GAP, 1])
    .separation(() => 1)(root);

  const contents = new Map<string, ReturnType<typeof boxContents>>();
  const depthHeight: number[] = [];
  placed.each((p) => {
    const c = boxContents(p.data.node, decoder);
    contents.set(p.data.key, c);
    depthHeight[p.depth] = Math.max(depthHeight[p.depth] ?? 0, c.height);
  });
  const depthY: number[] = [];
  let y = HEAD_H + V_GAP;
  for (let d = 0; d < depthHeight.length; d++) {
    depthY[d] = y;
    y += depthHeight[d] + V_GAP;
  }
  let minX = Infinity;
  let maxX = -Infinity;
  placed.each((p) => {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
  });
  const treeW = maxX - minX + NODE_W;
  const width = Math.max(treeW, HEAD_W);
  const dx = (width - treeW) / 2 - minX;

  const nodes: NodeLayout[] = [];
  const byKey = new Map<string, NodeLayout>();
  placed.each((p) => {
    const n = p.data.node;
    const c = contents.get(p.data.key)!;
    const box: NodeLayout = {
      key: p.data.key,
      id: n.id ?? null,
      x: p.x + dx,
      y: depthY[p.depth],
      width: NODE_W,
      height: c.height,
      depth: p.depth,
      shift: n.shift,
      offset: n.offset,
      count: n.count,
      nrValues: n.nr_values,
      parentKey: p.data.parentKey,
      cells: c.cells,
      chips: c.chips,
      siblingLinks: c.siblingLinks,
      header: `${n.id !== undefined ? `node #${n.id}` : 'node'}  shift ${n.shift}  offset ${n.offset}  count ${n.count}  values ${n.nr_values}`,
    };
    nodes.push(box);
    byKey.set(box.key, box);
  });

  const rootBox = byKey.get(rootDraft.key)!;
  const head: HeadLayout = {
    x: rootBox.x + NODE_W / 2 - HEAD_W / 2,
    y: 0,
    width: HEAD_W,
    height: HEAD_H,
    text: `${name}: head → ${nodeName(treeDump)}`,
    title: `xa_head points to the root xa_node ${nodeName(treeDump)} (shift ${treeDump.shift})`,
    kind: 'node',
  };
  const edges: EdgeLayout[] = [
    { key: rootBox.key, parentKey: null, d: vertical(head.x + HEAD_W / 2, head.y + HEAD_H, rootBox.x + NODE_W / 2, rootBox.y) },
  ];
  placed.each((p) => {
    if (!p.parent) return;
    const parent = byKey.get(p.data.parentKey!)!;
    const child = byKey.get(p.data.key)!;
    const cp = cellPosition(p.data.parentSlot!);
    edges.push({
      key: child.key,
      parentKey: parent.key,
      // Leaves the parent's bottom edge straight below the slot that points to the child.
      d: vertical(parent.x + cp.x + CELL_W / 2, parent.y + parent.height, child.x + NODE_W / 2, child.y),
    });
  });

  return { width, height: y - V_GAP, head, nodes, edges };
}
