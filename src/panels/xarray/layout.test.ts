// Layout of the XArray panel, checked on trees the kernel itself produced: the literals below are
// copied from /work/shared/xarray-golden (hm03 after "store 64", hm17 after "store 2", hm21's last
// step), plus a synthetic full node for chip wrapping.
import { describe, expect, it } from 'vitest';
import { cellAt } from './controller';
import { daxDecoder } from './dax-decode';
import { plainDecoder } from './decode';
import {
  CELL_H,
  CELL_W,
  cellPosition,
  HEAD_H,
  layoutXArray,
  NODE_W,
  XA_CHUNK_SIZE,
  type NodeLayout,
  type XaLayout,
} from './layout';
import type { XaNodeDump, XaTreeDump } from './tree-types';

const noMarks = (): number[][] => [[], [], []];

/** hm03-grow-to-shift6, after store(64, 102): a shift-6 root over two shift-0 leaves. */
const hm03Grown: XaTreeDump = {
  shift: 6, offset: 0, count: 2, nr_values: 0, marks: noMarks(),
  slots: {
    '0': { shift: 0, offset: 0, count: 2, nr_values: 2, marks: noMarks(), slots: { '0': { value: 100 }, '1': { value: 101 } } },
    '1': { shift: 0, offset: 1, count: 1, nr_values: 1, marks: noMarks(), slots: { '0': { value: 102 } } },
  },
};

/** hm17-marks-order9, after store(2, 1): an order-9 entry at 512 (slot 8 + siblings 9..15) with marks 1 and 2. */
const hm17: XaTreeDump = {
  shift: 6, offset: 0, count: 9, nr_values: 8, marks: [[], [8], [8]],
  slots: {
    '0': { shift: 0, offset: 0, count: 1, nr_values: 1, marks: noMarks(), slots: { '2': { value: 1 } } },
    '8': { value: 900 },
    '9': { sibling: 8 }, '10': { sibling: 8 }, '11': { sibling: 8 }, '12': { sibling: 8 },
    '13': { sibling: 8 }, '14': { sibling: 8 }, '15': { sibling: 8 },
  },
};

/** hm21-small-folios-in-leaf, last step: small multi-index entries inside one shift-0 leaf. */
const hm21: XaTreeDump = {
  shift: 0, offset: 0, count: 7, nr_values: 7, marks: noMarks(),
  slots: {
    '2': { value: 402 }, '3': { sibling: 2 },
    '4': { value: 400 }, '5': { sibling: 4 }, '6': { sibling: 4 }, '7': { sibling: 4 },
    '9': { value: 404 },
  },
};

function node(l: XaLayout, key: string): NodeLayout {
  const n = l.nodes.find((x) => x.key === key);
  if (!n) throw new Error(`no node ${key} in ${l.nodes.map((x) => x.key).join(',')}`);
  return n;
}

function overlaps(a: NodeLayout, b: NodeLayout): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('layoutXArray: empty array and head entry', () => {
  it('an empty array is a head box saying so, with no nodes', () => {
    const l = layoutXArray(null, plainDecoder, 'mapping');
    expect(l.nodes).toEqual([]);
    expect(l.edges).toEqual([]);
    expect(l.head.kind).toBe('empty');
    expect(l.head.text).toBe('mapping: empty');
    expect(l.height).toBe(HEAD_H);
  });

  it('an entry held in the head is shown in the head box (hm03 after store 0)', () => {
    const l = layoutXArray({ entry: { value: 100 } }, plainDecoder);
    expect(l.nodes).toEqual([]);
    expect(l.head.kind).toBe('entry');
    expect(l.head.text).toContain('v100');
  });

  it('a locked DAX entry in the head says "locked", and the box holds its text in the widest common monospace font', () => {
    // 0x402001: pfn 0x40200 with DAX_LOCKED (src/engine/fs/dax-entry.ts).
    const l = layoutXArray({ entry: { value: 0x402001 } }, daxDecoder, 'i_pages:131');
    expect(l.head.text).toBe('i_pages:131: head holds 0x40200 locked');
    // The text starts 8px in; SF Mono, the widest --mono candidate, advances 0.618 em at 12px.
    expect(8 + l.head.text.length * 12 * 0.618).toBeLessThanOrEqual(l.head.width - 4);
    expect(l.head.width).toBe(l.width);
  });
});

describe('layoutXArray: nodes', () => {
  it('places children one level below the root, side by side, ordered by slot (hm03)', () => {
    const l = layoutXArray(hm03Grown, plainDecoder);
    expect(l.nodes.map((n) => n.key)).toEqual(['pr', 'pr.0', 'pr.1']);
    const root = node(l, 'pr');
    const a = node(l, 'pr.0');
    const b = node(l, 'pr.1');
    expect(a.y).toBe(b.y);
    expect(a.y).toBeGreaterThanOrEqual(root.y + root.height);
    expect(a.x + a.width).toBeLessThanOrEqual(b.x);
    expect(overlaps(a, b)).toBe(false);
    // The root sits centred over its children; everything is inside the layout's bounds.
    expect(root.x + root.width / 2).toBeCloseTo((a.x + b.x + b.width) / 2);
    for (const n of l.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width).toBeLessThanOrEqual(l.width + 1e-9);
      expect(n.y + n.height).toBeLessThanOrEqual(l.height + 1e-9);
    }
    expect(root.header).toBe('node  shift 6  offset 0  count 2  values 0');
    expect(b.header).toBe('node  shift 0  offset 1  count 1  values 1');
  });

  it('draws all 64 slots, with kinds taken from the dump (hm17)', () => {
    const l = layoutXArray(hm17, plainDecoder);
    const root = node(l, 'pr');
    expect(root.cells).toHaveLength(XA_CHUNK_SIZE);
    const kinds = root.cells.map((c) => c.kind);
    expect(kinds[0]).toBe('node');
    expect(kinds[8]).toBe('value');
    expect(kinds.slice(9, 16)).toEqual(Array(7).fill('sibling'));
    expect(kinds.filter((k) => k === 'empty')).toHaveLength(64 - 9);
    // Slots 0..31 on the first row, 32..63 on the second.
    expect(root.cells[31].y).toBe(root.cells[0].y);
    expect(root.cells[32].y).toBeGreaterThan(root.cells[0].y);
    expect(root.cells[32].x).toBe(root.cells[0].x);
  });

  it('links every sibling slot to its canonical slot (hm17)', () => {
    const root = node(layoutXArray(hm17, plainDecoder), 'pr');
    expect(root.siblingLinks.map((s) => [s.from, s.to])).toEqual([9, 10, 11, 12, 13, 14, 15].map((s) => [s, 8]));
    for (const s of root.siblingLinks) {
      const from = cellPosition(s.from);
      const to = cellPosition(s.to);
      expect(s.d.startsWith(`M${from.x + CELL_W / 2},`)).toBe(true);
      expect(s.d.endsWith(`${to.x + CELL_W / 2},${to.y + 14}`)).toBe(true);
    }
  });

  it('puts marks on the canonical slot only (hm17: marks 1 and 2 on slot 8)', () => {
    const root = node(layoutXArray(hm17, plainDecoder), 'pr');
    expect(root.cells[8].marks).toEqual([1, 2]);
    expect(root.cells.filter((c) => c.marks.length > 0).map((c) => c.slot)).toEqual([8]);
    expect(root.cells[8].title).toContain('marks: 1, 2');
  });

  it('labels each occupied run once: a node pointer, and a multi-slot entry as a range', () => {
    const root = node(layoutXArray(hm17, plainDecoder), 'pr');
    expect(root.chips.map((c) => c.text)).toEqual(['0→node', '8–15: v900']);
    expect(root.chips[1].title).toContain('slots 9–15 are its siblings');
    const leaf = node(layoutXArray(hm21, plainDecoder), 'pr');
    expect(leaf.chips.map((c) => c.text)).toEqual(['2–3: v402', '4–7: v400', '9: v404']);
  });

  it('starts each edge below the slot that points to the child (hm03)', () => {
    const l = layoutXArray(hm03Grown, plainDecoder);
    const root = node(l, 'pr');
    for (const [slot, key] of [[0, 'pr.0'], [1, 'pr.1']] as const) {
      const e = l.edges.find((x) => x.key === key)!;
      expect(e.parentKey).toBe('pr');
      const child = node(l, key);
      expect(e.d.startsWith(`M${root.x + cellPosition(slot).x + CELL_W / 2},${root.y + root.height} `)).toBe(true);
      expect(e.d.endsWith(`${child.x + NODE_W / 2},${child.y}`)).toBe(true);
    }
    // The head's edge ends on the root.
    expect(l.edges.find((x) => x.parentKey === null)!.key).toBe('pr');
  });

  it('keys boxes by engine node id when the dump has ids', () => {
    const withIds = structuredClone(hm03Grown) as XaNodeDump;
    withIds.id = 7;
    (withIds.slots['0'] as XaNodeDump).id = 3;
    (withIds.slots['1'] as XaNodeDump).id = 9;
    const l = layoutXArray(withIds, plainDecoder);
    expect(l.nodes.map((n) => [n.key, n.id])).toEqual([['n7', 7], ['n3', 3], ['n9', 9]]);
    expect(node(l, 'n7').chips.map((c) => c.text)).toEqual(['0→#3', '1→#9']);
    expect(l.head.text).toContain('#7');
  });

  it('wraps chips onto more lines inside the box when a node is full', () => {
    const full: XaNodeDump = { shift: 0, offset: 0, count: 64, nr_values: 64, marks: noMarks(), slots: {} };
    for (let s = 0; s < 64; s++) full.slots[String(s)] = { value: 1_000_000 + s };
    const n = layoutXArray(full, plainDecoder).nodes[0];
    expect(n.chips).toHaveLength(64);
    const lines = new Set(n.chips.map((c) => c.y)).size;
    expect(lines).toBeGreaterThan(1);
    for (const c of n.chips) {
      expect(c.x).toBeGreaterThanOrEqual(0);
      expect(c.x + c.width).toBeLessThanOrEqual(n.width);
      expect(c.y + 15).toBeLessThanOrEqual(n.height);
    }
  });
});

describe('cellAt (the hit rectangle of a painted box)', () => {
  it('finds every cell at its centre and nothing between or outside cells', () => {
    const l = layoutXArray(hm03Grown, plainDecoder);
    for (const n of l.nodes) {
      for (const c of n.cells) expect(cellAt(n, c.x + CELL_W / 2, c.y + CELL_H / 2)?.slot).toBe(c.slot);
      expect(cellAt(n, -1, -1)).toBeNull();
      expect(cellAt(n, n.width + 1, n.height + 1)).toBeNull();
      // The header band holds no cell.
      expect(cellAt(n, 4, 2)).toBeNull();
    }
  });
});
