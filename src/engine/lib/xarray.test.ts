// Kernel-style checks of the XArray, one describe per function (after lib/test_xarray.c),
// plus the pure-XArray facts of kernel-model §12 and bad-input handling.
import { describe, expect, it } from 'vitest';
import { KErr } from '../errno.ts';
import { Tracer, type Step } from '../trace/steps.ts';
import { checkXArray } from '../debug/check-xarray.ts';
import { XArrayMirror } from '../trace/xarray-mirror.ts';
import { xaDump, xaDumpText } from './xarray-dump.ts';
import {
  XA_MARK_0,
  XA_MARK_1,
  XA_MARK_2,
  XA_MAX_INDEX,
  XA_PRESENT,
  XA_STATE,
  XA_STATE_ORDER,
  XArray,
  XaNode,
  XAS_BOUNDS,
  xa_clear_mark,
  xa_cmpxchg,
  xa_destroy,
  xa_empty,
  xa_erase,
  xa_err,
  xa_find,
  xa_for_each,
  xa_for_each_marked,
  xa_get_mark,
  xa_get_order,
  xa_is_err,
  xa_is_node,
  xa_is_sibling,
  xa_is_value,
  xa_load,
  xa_marked,
  xa_mk_value,
  xa_set_mark,
  xa_store,
  xa_store_order,
  xa_to_value,
  xas_clear_mark,
  xas_error,
  xas_find,
  xas_find_conflict,
  xas_find_marked,
  xas_for_each,
  xas_for_each_conflict,
  xas_for_each_marked,
  xas_get_mark,
  xas_get_order,
  xas_init_marks,
  xas_invalid,
  xas_load,
  xas_pause,
  xas_reset,
  xas_set,
  xas_set_mark,
  xas_set_order,
  xas_store,
} from './xarray.ts';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE } from './pagecache-tags.ts';

function clean(xa: XArray): void {
  const v = checkXArray(xa);
  if (v.length) throw new Error(`${JSON.stringify(v, null, 1)}\n${xaDumpText(xa)}`);
}

function root(xa: XArray): XaNode {
  if (!(xa.head instanceof XaNode)) throw new Error('head is not a node');
  return xa.head;
}

function child(n: XaNode, slot: number): XaNode {
  const c = n.slots[slot];
  if (!(c instanceof XaNode)) throw new Error(`slot ${slot} is not a node`);
  return c;
}

describe('xa_load / xa_store (check_xa_load)', () => {
  it('stores indices 0..1023 one by one and every load sees exactly the stored ones', () => {
    const xa = new XArray('t');
    for (let i = 0; i < 1024; i++) {
      expect(xa_store(xa, i, xa_mk_value(i))).toBe(null);
      for (let j = 0; j < 1024; j += 37) expect(xa_load(xa, j)).toBe(j <= i ? j : null);
    }
    clean(xa);
    for (let i = 0; i < 1024; i++) {
      expect(xa_erase(xa, i)).toBe(i);
      expect(xa_load(xa, i)).toBe(null);
      clean(xa);
    }
    expect(xa_empty(xa)).toBe(true);
  });

  it('returns the old entry and keeps value 0 as a real entry', () => {
    const xa = new XArray('t');
    expect(xa_store(xa, 7, xa_mk_value(0))).toBe(null);
    expect(xa_load(xa, 7)).toBe(0);
    expect(xa_store(xa, 7, xa_mk_value(5))).toBe(0);
    expect(xa_is_value(xa_load(xa, 7))).toBe(true);
    expect(xa_to_value(xa_load(xa, 7))).toBe(5);
  });

  it('stores pointers (folio-like objects) as well as values', () => {
    const xa = new XArray('t');
    const folio = { pfn: 0x1234 };
    xa_store(xa, 3, folio);
    expect(xa_load(xa, 3)).toBe(folio);
    expect(root(xa).nr_values).toBe(0);
    expect(xaDump(xa)).toMatchObject({ slots: { 3: { page: 0x1234 } } });
    clean(xa);
  });

  it('works at the largest index 2^53-1 and at indices above 2^32', () => {
    const xa = new XArray('t');
    const big = [XA_MAX_INDEX, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 63, 2 ** 52, 5];
    for (const i of big) xa_store(xa, i, xa_mk_value(i % 1000));
    for (const i of big) expect(xa_load(xa, i)).toBe(i % 1000);
    expect(xa_load(xa, 2 ** 32 + 2)).toBe(null);
    expect(xa_load(xa, XA_MAX_INDEX - 1)).toBe(null);
    expect(root(xa).shift).toBe(48);
    clean(xa);
    for (const i of big) xa_erase(xa, i);
    expect(xa.head).toBe(null);
  });
});

describe('XA_STATE_ORDER / xas_set_order', () => {
  it('fact 6: order 9 gives xa_shift 6, xa_sibs 7; order 6 gives 6/0; order 12 gives 12/0', () => {
    const xa = new XArray('t');
    const s9 = XA_STATE_ORDER(xa, 1000, 9);
    expect([s9.xa_index, s9.xa_shift, s9.xa_sibs]).toEqual([512, 6, 7]);
    const s6 = XA_STATE_ORDER(xa, 100, 6);
    expect([s6.xa_index, s6.xa_shift, s6.xa_sibs]).toEqual([64, 6, 0]);
    const s12 = XA_STATE_ORDER(xa, 5000, 12);
    expect([s12.xa_index, s12.xa_shift, s12.xa_sibs]).toEqual([4096, 12, 0]);
    const s = XA_STATE(xa, 3);
    xas_set_order(s, 2 ** 40 + 777, 3);
    expect([s.xa_index, s.xa_shift, s.xa_sibs]).toEqual([2 ** 40 + 776, 0, 7]);
  });
});

describe('xas_store into an empty array / xas_create / xas_expand', () => {
  it('fact 1: a lone entry at index 0 sits in the head, with no node and no marks', () => {
    const xa = new XArray('t');
    xa_store(xa, 0, xa_mk_value(9));
    expect(xa.head).toBe(9);
    expect(xaDump(xa)).toEqual({ entry: { value: 9 } });
    expect([0, 1, 2].map((m) => xa_marked(xa, m as 0))).toEqual([false, false, false]);
    clean(xa);
  });

  it('fact 2: entries at 0 and 5 make one root leaf with count 2 and nr_values 2', () => {
    const xa = new XArray('t');
    xa_store(xa, 0, xa_mk_value(1));
    xa_store(xa, 5, xa_mk_value(2));
    const r = root(xa);
    expect([r.shift, r.count, r.nr_values]).toEqual([0, 2, 2]);
    expect(r.slots[0]).toBe(1);
    expect(r.slots[5]).toBe(2);
    clean(xa);
  });

  it('fact 3: a lone entry at 64 makes a shift-6 root (count 1) whose slot 1 holds a leaf (count 1)', () => {
    const xa = new XArray('t');
    xa_store(xa, 64, xa_mk_value(1));
    const r = root(xa);
    expect([r.shift, r.count]).toEqual([6, 1]);
    const leaf = child(r, 1);
    expect([leaf.shift, leaf.count, leaf.offset, leaf.slots[0]]).toEqual([0, 1, 1, 1]);
    clean(xa);
  });

  it('fact 4: a PMD (order-9) entry at 0 is in a shift-6 root: slot 0 canonical, 1-7 sibling(0), count 8, nr_values 8', () => {
    const xa = new XArray('t');
    expect(xa_store_order(xa, 0, 9, xa_mk_value(42))).toBe(null);
    const r = root(xa);
    expect([r.shift, r.count, r.nr_values]).toEqual([6, 8, 8]);
    expect(r.slots[0]).toBe(42);
    for (let i = 1; i < 8; i++) {
      expect(xa_is_sibling(r.slots[i])).toBe(true);
      expect((r.slots[i] as { offset: number }).offset).toBe(0);
    }
    expect(r.slots[8]).toBe(null);
    expect(xa.head).not.toBe(42);
    clean(xa);
  });

  it('an entry at 1 000 000 needs four levels: shifts 18, 12, 6, 0', () => {
    const xa = new XArray('t');
    xa_store(xa, 1_000_000, xa_mk_value(1));
    const shifts: number[] = [];
    let e: unknown = xa.head;
    while (e instanceof XaNode) {
      shifts.push(e.shift);
      e = e.slots.find((s) => s !== null);
    }
    expect(shifts).toEqual([18, 12, 6, 0]);
    clean(xa);
  });

  it('growing keeps the old root in slot 0 of the new root and copies array marks onto it', () => {
    const xa = new XArray('t');
    xa_store(xa, 0, xa_mk_value(1));
    xa_set_mark(xa, 0, XA_MARK_1);
    xa_store(xa, 5000, xa_mk_value(2));
    const r = root(xa);
    expect(r.shift).toBe(12);
    expect(xas_node_bits(r, 1)).toEqual([0]);
    expect(xa_get_mark(xa, 0, XA_MARK_1)).toBe(true);
    expect(xa_get_mark(xa, 5000, XA_MARK_1)).toBe(false);
    clean(xa);
  });
});

function xas_node_bits(n: XaNode, mark: 0 | 1 | 2): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if ((n.marks[2 * mark + (i >> 5)] >>> (i & 31)) & 1) out.push(i);
  return out;
}

describe('xas_descend / xas_load', () => {
  it('fact 5: with a PMD entry at 512 every index 512..1023 loads it (1000 -> slot 15 -> sibling -> slot 8)', () => {
    const xa = new XArray('t');
    xa_store_order(xa, 512, 9, xa_mk_value(7));
    for (let i = 512; i < 1024; i++) expect(xa_load(xa, i)).toBe(7);
    expect(xa_load(xa, 511)).toBe(null);
    expect(xa_load(xa, 1024)).toBe(null);
    const xas = XA_STATE(xa, 1000);
    expect(xas_load(xas)).toBe(7);
    expect(xas.xa_offset).toBe(8);
    clean(xa);
  });

  it('a multi-order state stops at its own level and returns the lower node there', () => {
    const xa = new XArray('t');
    xa_store(xa, 515, xa_mk_value(1));
    const xas = XA_STATE_ORDER(xa, 512, 9);
    const e = xas_load(xas);
    expect(xa_is_node(e)).toBe(true);
    expect((e as XaNode).shift).toBe(0);
  });

  it('an index beyond the tree puts the state in XAS_BOUNDS', () => {
    const xa = new XArray('t');
    xa_store(xa, 3, xa_mk_value(1));
    const xas = XA_STATE(xa, 64);
    expect(xas_load(xas)).toBe(null);
    expect(xas.xa_node).toBe(XAS_BOUNDS);
    expect(xas_invalid(xas)).toBe(true);
  });
});

describe('xas_store of null (xa_erase)', () => {
  it('fact 27: deleting a multi-index entry through any one of its indices removes all 8 slots', () => {
    for (const at of [512, 700, 1023]) {
      const xa = new XArray('t');
      xa_store(xa, 5, xa_mk_value(1));
      xa_store_order(xa, 512, 9, xa_mk_value(2));
      expect(root(xa).count).toBe(9);
      expect(xa_erase(xa, at)).toBe(2);
      const r = root(xa);
      for (let i = 8; i < 16; i++) expect(r.slots[i]).toBe(null);
      expect(r.count).toBe(1);
      for (let i = 512; i < 1024; i += 50) expect(xa_load(xa, i)).toBe(null);
      clean(xa);
    }
  });

  it('an order-0 store inside a multi-index entry replaces the whole entry (no split)', () => {
    const xa = new XArray('t');
    xa_store_order(xa, 512, 9, xa_mk_value(900));
    expect(xa_store(xa, 700, xa_mk_value(901))).toBe(900);
    for (let i = 512; i < 1024; i += 31) expect(xa_load(xa, i)).toBe(901);
    expect(root(xa).count).toBe(8);
    clean(xa);
  });
});

describe('xas_delete_node / xas_shrink', () => {
  it('fact 28: entries at 0 and 64, erase 64: both nodes are freed and the head holds the index-0 entry', () => {
    const t = new Tracer(true);
    const xa = new XArray('t', t);
    xa_store(xa, 0, xa_mk_value(1));
    xa_store(xa, 64, xa_mk_value(2));
    const r = root(xa);
    const leaf0 = child(r, 0);
    const leaf1 = child(r, 1);
    const before = t.steps.length;
    xa_erase(xa, 64);
    expect(xa.head).toBe(1);
    expect([r.freed, leaf0.freed, leaf1.freed]).toEqual([true, true, true]);
    const frees = t.steps.slice(before).filter((s) => s.t === 'xa_node' && s.action === 'free');
    expect(frees.map((s) => (s as { node: number }).node).sort()).toEqual([r.id, leaf0.id, leaf1.id].sort());
    expect(t.steps.slice(before).some((s) => s.t === 'call' && s.fn === 'xas_shrink')).toBe(true);
    clean(xa);
  });

  it('a non-root node with a single survivor is kept', () => {
    const xa = new XArray('t');
    xa_store(xa, 64, xa_mk_value(1));
    xa_store(xa, 65, xa_mk_value(2));
    xa_store(xa, 0, xa_mk_value(3));
    xa_erase(xa, 65);
    const r = root(xa);
    expect(r.count).toBe(2);
    expect(child(r, 1).count).toBe(1);
    clean(xa);
  });

  it('a root whose only entry is not in slot 0 is not shrunk', () => {
    const xa = new XArray('t');
    xa_store(xa, 3, xa_mk_value(1));
    xa_store(xa, 4, xa_mk_value(2));
    xa_erase(xa, 4);
    expect(root(xa).shift).toBe(0);
    expect(root(xa).count).toBe(1);
    clean(xa);
  });
});

describe('xas_set_mark / xas_clear_mark / xa_get_mark', () => {
  it('fact 29: DIRTY on an entry marks its slot in every ancestor and the array flag; clearing the only one clears all', () => {
    const xa = new XArray('t');
    xa_store(xa, 1_000_000, xa_mk_value(1));
    xa_store(xa, 3, xa_mk_value(2));
    xa_set_mark(xa, 1_000_000, PAGECACHE_TAG_DIRTY);
    let n: XaNode = root(xa);
    while (n.shift > 0) {
      const slot = Math.floor(1_000_000 / 2 ** n.shift) % 64;
      expect(xas_node_bits(n, 0)).toEqual([slot]);
      n = child(n, slot);
    }
    expect(xas_node_bits(n, 0)).toEqual([1_000_000 % 64]);
    expect(xa_marked(xa, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(xa_get_mark(xa, 1_000_000, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(xa_get_mark(xa, 3, PAGECACHE_TAG_DIRTY)).toBe(false);
    clean(xa);
    xa_clear_mark(xa, 1_000_000, PAGECACHE_TAG_DIRTY);
    expect(xa_marked(xa, PAGECACHE_TAG_DIRTY)).toBe(false);
    n = root(xa);
    expect(xas_node_bits(n, 0)).toEqual([]);
    clean(xa);
  });

  it('clearing one of two marked entries keeps the ancestors marked', () => {
    const xa = new XArray('t');
    xa_store(xa, 100, xa_mk_value(1));
    xa_store(xa, 101, xa_mk_value(2));
    xa_set_mark(xa, 100, XA_MARK_2);
    xa_set_mark(xa, 101, XA_MARK_2);
    xa_clear_mark(xa, 100, XA_MARK_2);
    expect(xa_marked(xa, XA_MARK_2)).toBe(true);
    expect(xa_get_mark(xa, 101, XA_MARK_2)).toBe(true);
    expect(xa_get_mark(xa, 100, XA_MARK_2)).toBe(false);
    clean(xa);
  });

  it('setting a mark on an empty index does nothing', () => {
    const xa = new XArray('t');
    xa_store(xa, 1, xa_mk_value(1));
    xa_set_mark(xa, 2, XA_MARK_0);
    expect(xa_marked(xa, XA_MARK_0)).toBe(false);
  });

  it('a lone head entry keeps its marks only in the array flags', () => {
    const xa = new XArray('t');
    xa_store(xa, 0, xa_mk_value(1));
    xa_set_mark(xa, 0, XA_MARK_0);
    expect(xa_get_mark(xa, 0, XA_MARK_0)).toBe(true);
    expect(xa.xa_flags & 1).toBe(1);
    xa_erase(xa, 0);
    expect(xa_marked(xa, XA_MARK_0)).toBe(false);
  });

  it('marks of a multi-index entry live on its canonical slot; any index reads them', () => {
    const xa = new XArray('t');
    xa_store_order(xa, 512, 9, xa_mk_value(1));
    xa_set_mark(xa, 1000, XA_MARK_0);
    expect(xas_node_bits(root(xa), 0)).toEqual([8]);
    expect(xa_get_mark(xa, 512, XA_MARK_0)).toBe(true);
    expect(xa_get_mark(xa, 777, XA_MARK_0)).toBe(true);
    clean(xa);
  });

  it('xas_get_mark reads the bit where the state points', () => {
    const xa = new XArray('t');
    xa_store(xa, 9, xa_mk_value(1));
    const xas = XA_STATE(xa, 9);
    xas_load(xas);
    expect(xas_get_mark(xas, XA_MARK_1)).toBe(false);
    xas_set_mark(xas, XA_MARK_1);
    expect(xas_get_mark(xas, XA_MARK_1)).toBe(true);
    xas_clear_mark(xas, XA_MARK_1);
    expect(xas_get_mark(xas, XA_MARK_1)).toBe(false);
  });
});

describe('xas_init_marks / marks across stores', () => {
  it('fact 30: re-storing an entry (lock/unlock) keeps its marks; storing null clears them', () => {
    const xa = new XArray('t');
    xa_store(xa, 10, xa_mk_value(0x100));
    xa_store(xa, 11, xa_mk_value(0x200));
    xa_set_mark(xa, 10, PAGECACHE_TAG_DIRTY);
    xa_set_mark(xa, 10, PAGECACHE_TAG_TOWRITE);
    xa_store(xa, 10, xa_mk_value(0x101)); // lock
    xa_store(xa, 10, xa_mk_value(0x100)); // unlock
    expect(xa_get_mark(xa, 10, PAGECACHE_TAG_DIRTY)).toBe(true);
    expect(xa_get_mark(xa, 10, PAGECACHE_TAG_TOWRITE)).toBe(true);
    xa_erase(xa, 10);
    expect(xa_marked(xa, PAGECACHE_TAG_DIRTY)).toBe(false);
    expect(xa_marked(xa, PAGECACHE_TAG_TOWRITE)).toBe(false);
    xa_store(xa, 10, xa_mk_value(0x100));
    expect(xa_get_mark(xa, 10, PAGECACHE_TAG_DIRTY)).toBe(false);
    clean(xa);
  });

  it('fact 31 (XArray part): a locked PMD entry differs from the unlocked one only in value bit 0; only the canonical slot changes', () => {
    const xa = new XArray('t');
    xa_store_order(xa, 512, 9, xa_mk_value(0x1002));
    xa_set_mark(xa, 512, PAGECACHE_TAG_DIRTY);
    const before = JSON.stringify(xaDump(xa));
    const xas = XA_STATE(xa, 600);
    const old = xas_load(xas) as number;
    xas_store(xas, xa_mk_value(old | 1));
    const locked = xaDump(xa) as { slots: { [k: string]: unknown } };
    expect(locked.slots['8']).toEqual({ value: 0x1003 });
    for (let i = 9; i < 16; i++) expect(locked.slots[String(i)]).toEqual({ sibling: 8 });
    for (let i = 512; i < 1024; i += 64) expect(xa_load(xa, i)).toBe(0x1003);
    xas_store(xas, xa_mk_value(old));
    expect(JSON.stringify(xaDump(xa))).toBe(before);
  });

  it('xas_init_marks clears all three marks of the entry', () => {
    const xa = new XArray('t');
    xa_store(xa, 70, xa_mk_value(1));
    for (const m of [XA_MARK_0, XA_MARK_1, XA_MARK_2]) xa_set_mark(xa, 70, m);
    const xas = XA_STATE(xa, 70);
    xas_load(xas);
    xas_init_marks(xas);
    expect([0, 1, 2].map((m) => xa_marked(xa, m as 0))).toEqual([false, false, false]);
    clean(xa);
  });

  it('a bigger store over marked smaller entries inherits their marks on its canonical slot (xas_squash_marks)', () => {
    const xa = new XArray('t');
    xa_store(xa, 600, xa_mk_value(1));
    xa_store(xa, 700, xa_mk_value(2));
    xa_set_mark(xa, 700, XA_MARK_0);
    xa_store_order(xa, 512, 9, xa_mk_value(3));
    expect(xa_get_mark(xa, 512, XA_MARK_0)).toBe(true);
    expect(xas_node_bits(root(xa), 0)).toEqual([8]);
    clean(xa);
  });
});

describe('xas_find / xas_for_each / xa_find', () => {
  it('visits present entries in order, a multi-index entry once', () => {
    const xa = new XArray('t');
    xa_store(xa, 3, xa_mk_value(3));
    xa_store_order(xa, 512, 9, xa_mk_value(512));
    xa_store(xa, 5000, xa_mk_value(5000));
    const xas = XA_STATE(xa, 0);
    const seen: [number, unknown][] = [];
    for (const e of xas_for_each(xas, XA_MAX_INDEX)) seen.push([xas.xa_index, e]);
    expect(seen).toEqual([
      [3, 3],
      [512, 512],
      [5000, 5000],
    ]);
    expect([...xa_for_each(xa, 4, 4999)]).toEqual([[512, 512]]);
  });

  it('xas_find starts at the state index and stops at max', () => {
    const xa = new XArray('t');
    for (const i of [10, 20, 30]) xa_store(xa, i, xa_mk_value(i));
    const xas = XA_STATE(xa, 11);
    expect(xas_find(xas, 25)).toBe(20);
    expect(xas_find(xas, 25)).toBe(null);
    const p = { index: 21 };
    expect(xa_find(xa, p, 100, XA_PRESENT)).toBe(30);
    expect(p.index).toBe(30);
    const q = { index: 31 };
    expect(xa_find(xa, q, 100, XA_PRESENT)).toBe(null);
    expect(q.index).toBe(31);
  });

  it('finds the lone head entry', () => {
    const xa = new XArray('t');
    xa_store(xa, 0, xa_mk_value(8));
    expect([...xa_for_each(xa)]).toEqual([[0, 8]]);
  });

  it('finds entries above 2^32', () => {
    const xa = new XArray('t');
    const idx = [2 ** 33 + 5, 2 ** 33 + 64 * 7, 2 ** 50];
    for (const i of idx) xa_store(xa, i, xa_mk_value(1));
    expect([...xa_for_each(xa)].map(([i]) => i)).toEqual(idx);
  });

  it('entries may be erased while iterating', () => {
    const xa = new XArray('t');
    for (let i = 0; i < 300; i += 3) xa_store(xa, i, xa_mk_value(i));
    const xas = XA_STATE(xa, 0);
    let n = 0;
    for (const _ of xas_for_each(xas, XA_MAX_INDEX)) {
      xas_store(xas, null);
      n++;
    }
    expect(n).toBe(100);
    expect(xa.head).toBe(null);
  });

  it('xas_pause lets a walk continue after its state is reset', () => {
    const xa = new XArray('t');
    xa_store_order(xa, 64, 6, xa_mk_value(1));
    xa_store(xa, 200, xa_mk_value(2));
    const xas = XA_STATE(xa, 0);
    expect(xas_find(xas, 1000)).toBe(1);
    xas_pause(xas);
    expect(xas.xa_index).toBe(128);
    expect(xas_find(xas, 1000)).toBe(2);
    expect(xas.xa_index).toBe(200);
  });
});

describe('xas_find_marked / xas_for_each_marked', () => {
  it('returns only marked entries, each multi-index entry once, skipping unmarked subtrees', () => {
    const xa = new XArray('t');
    for (let i = 0; i < 5000; i += 7) xa_store(xa, i, xa_mk_value(i));
    xa_store_order(xa, 8192, 9, xa_mk_value(1));
    for (const i of [14, 700, 4998]) xa_set_mark(xa, i, XA_MARK_0);
    xa_set_mark(xa, 8500, XA_MARK_0);
    const xas = XA_STATE(xa, 0);
    const got: number[] = [];
    for (const _ of xas_for_each_marked(xas, XA_MAX_INDEX, XA_MARK_0)) got.push(xas.xa_index);
    expect(got).toEqual([14, 700, 4998, 8192]);
    expect([...xa_for_each_marked(xa, XA_MARK_0, 15, 4998)].map(([i]) => i)).toEqual([700, 4998]);
    const p = { index: 701 };
    expect(xa_find(xa, p, XA_MAX_INDEX, XA_MARK_0)).toBe(4998);
    expect(p.index).toBe(4998);
    const s2 = XA_STATE(xa, 0);
    expect(xas_find_marked(s2, 13, XA_MARK_0)).toBe(null);
  });

  it('finds a marked lone head entry', () => {
    const xa = new XArray('t');
    xa_store(xa, 0, xa_mk_value(3));
    xa_set_mark(xa, 0, XA_MARK_2);
    expect([...xa_for_each_marked(xa, XA_MARK_2)]).toEqual([[0, 3]]);
  });
});

describe('xas_find_conflict', () => {
  it('finds PTE entries below a PMD range and nothing outside it', () => {
    const xa = new XArray('t');
    xa_store(xa, 100, xa_mk_value(1));
    xa_store(xa, 515, xa_mk_value(2));
    xa_store(xa, 1020, xa_mk_value(3));
    xa_store(xa, 1030, xa_mk_value(4));
    const xas = XA_STATE_ORDER(xa, 512, 9);
    expect([...xas_for_each_conflict(xas)]).toEqual([2, 3]);
    const empty = XA_STATE_ORDER(xa, 1536, 9);
    expect(xas_find_conflict(empty)).toBe(null);
  });

  it('finds a multi-index entry covering the range', () => {
    const xa = new XArray('t');
    xa_store_order(xa, 0, 10, xa_mk_value(1));
    const xas = XA_STATE_ORDER(xa, 512, 9);
    expect(xas_find_conflict(xas)).toBe(1);
  });
});

describe('xas_get_order / xa_get_order', () => {
  it('reports each entry order', () => {
    const xa = new XArray('t');
    xa_store(xa, 3, xa_mk_value(1));
    xa_store_order(xa, 512, 9, xa_mk_value(2));
    xa_store_order(xa, 4096, 12, xa_mk_value(3));
    xa_store_order(xa, 64, 2, xa_mk_value(4));
    expect(xa_get_order(xa, 3)).toBe(0);
    expect(xa_get_order(xa, 700)).toBe(9);
    expect(xa_get_order(xa, 5000)).toBe(12);
    expect(xa_get_order(xa, 67)).toBe(2);
    expect(xa_get_order(xa, 2)).toBe(0);
    const xas = XA_STATE(xa, 600);
    xas_load(xas);
    expect(xas_get_order(xas)).toBe(9);
  });
});

describe('xa_cmpxchg / xa_destroy / xas_set / xas_reset', () => {
  it('xa_cmpxchg stores only over the expected entry', () => {
    const xa = new XArray('t');
    expect(xa_cmpxchg(xa, 5, null, xa_mk_value(1))).toBe(null);
    expect(xa_cmpxchg(xa, 5, xa_mk_value(2), xa_mk_value(3))).toBe(1);
    expect(xa_load(xa, 5)).toBe(1);
    expect(xa_cmpxchg(xa, 5, xa_mk_value(1), xa_mk_value(3))).toBe(1);
    expect(xa_load(xa, 5)).toBe(3);
  });

  it('xa_destroy frees every node and clears the flags', () => {
    const t = new Tracer(true);
    const xa = new XArray('t', t);
    for (let i = 0; i < 5000; i += 100) xa_store(xa, i, xa_mk_value(i));
    xa_set_mark(xa, 100, XA_MARK_0);
    const allocs = t.steps.filter((s) => s.t === 'xa_node' && s.action === 'alloc').length;
    const frees0 = t.steps.filter((s) => s.t === 'xa_node' && s.action === 'free').length;
    xa_destroy(xa);
    const frees = t.steps.filter((s) => s.t === 'xa_node' && s.action === 'free').length;
    expect(frees).toBe(allocs);
    expect(frees).toBeGreaterThan(frees0);
    expect(xa.head).toBe(null);
    expect(xa_marked(xa, XA_MARK_0)).toBe(false);
  });

  it('xas_set and xas_reset restart walks', () => {
    const xa = new XArray('t');
    xa_store(xa, 1, xa_mk_value(1));
    xa_store(xa, 2, xa_mk_value(2));
    const xas = XA_STATE(xa, 1);
    expect(xas_load(xas)).toBe(1);
    xas_set(xas, 2);
    expect(xas_load(xas)).toBe(2);
    xas_reset(xas);
    expect(xas_load(xas)).toBe(2);
  });
});

describe('bad input', () => {
  it('an unaligned multi-order store returns -EINVAL and changes nothing', () => {
    const xa = new XArray('t');
    xa_store(xa, 1, xa_mk_value(1));
    const before = JSON.stringify(xaDump(xa));
    const r = xa_store_order(xa, 513, 9, xa_mk_value(1));
    expect(xa_is_err(r)).toBe(true);
    expect(xa_err(r)).toBe(-22);
    expect((r as KErr).why).toMatch(/aligned/);
    expect(JSON.stringify(xaDump(xa))).toBe(before);
  });

  it('indices out of range return -EINVAL errors and leave the tree alone', () => {
    const xa = new XArray('t');
    xa_store(xa, 1, xa_mk_value(1));
    const before = JSON.stringify(xaDump(xa));
    for (const bad of [-1, 1.5, XA_MAX_INDEX + 1, 2 ** 64, Number.NaN, Infinity]) {
      expect(xa_is_err(xa_store(xa, bad, xa_mk_value(1)))).toBe(true);
      expect(xa_is_err(xa_load(xa, bad))).toBe(true);
      expect(xa_is_err(xa_erase(xa, bad))).toBe(true);
      expect(xa_is_err(xa_set_mark(xa, bad, XA_MARK_0))).toBe(true);
      expect(xa_is_err(xa_store_order(xa, bad, 0, xa_mk_value(1)))).toBe(true);
    }
    expect(xa_is_err(xa_store_order(xa, 0, 54, xa_mk_value(1)))).toBe(true);
    expect(xa_is_err(xa_store_order(xa, 2 ** 52, 53, xa_mk_value(1)))).toBe(true);
    expect(xa_is_err(xa_set_mark(xa, 1, 3 as 0))).toBe(true);
    expect(JSON.stringify(xaDump(xa))).toBe(before);
  });

  it('bad values and internal entries can not be stored', () => {
    const xa = new XArray('t');
    const t = new Tracer(true);
    xa.tracer = t;
    for (const v of [-1, 0.5, 2 ** 53]) expect(xa_is_err(xa_store(xa, 0, v))).toBe(true);
    xa_store(xa, 70, xa_mk_value(1));
    const node = xa.head as XaNode;
    expect(xa_is_err(xa_store(xa, 3, node))).toBe(true);
    expect(t.steps.some((s) => s.t === 'warn')).toBe(true);
    clean(xa);
  });

  it('a state with a bad index is in error and does nothing', () => {
    const xa = new XArray('t');
    const xas = XA_STATE(xa, -5);
    expect(xas_error(xas)).toBe(-22);
    expect(xas_store(xas, xa_mk_value(1))).toBe(null);
    expect(xa.head).toBe(null);
  });

  it('the largest order-53 store at 0 covers the whole index space', () => {
    const xa = new XArray('t');
    expect(xa_store_order(xa, 0, 53, xa_mk_value(1))).toBe(null);
    expect(xa_load(xa, XA_MAX_INDEX)).toBe(1);
    expect(xa_load(xa, 0)).toBe(1);
    clean(xa);
    expect(xa_erase(xa, 12345)).toBe(1);
    expect(xa.head).toBe(null);
  });
});

describe('steps', () => {
  function stepsOf(fn: (xa: XArray) => void): Step[] {
    const t = new Tracer(true);
    t.beginOp('test', {}, 'test op');
    const xa = new XArray('m', t);
    fn(xa);
    return t.steps;
  }

  it('xas_expand explains the new root in one sentence', () => {
    const steps = stepsOf((xa) => {
      xa_store(xa, 1, xa_mk_value(1));
      xa_store(xa, 64, xa_mk_value(2));
    });
    const s = steps.find((x) => x.t === 'xa_slot' && x.text.startsWith('xas_expand'));
    expect(s?.text).toBe('xas_expand: the array needs index 64, so the new root #2 of shift 6 takes the old head (node #1 (shift 0)) in slot 0.');
    expect(steps.some((x) => x.t === 'call' && x.fn === 'xas_expand')).toBe(true);
  });

  it('call and ret steps balance and every step has a sentence', () => {
    const steps = stepsOf((xa) => {
      xa_store_order(xa, 0, 9, xa_mk_value(1));
      xa_store(xa, 1_000_000, xa_mk_value(2));
      xa_set_mark(xa, 1_000_000, XA_MARK_0);
      xa_erase(xa, 1_000_000);
      xa_erase(xa, 3);
    });
    let depth = 0;
    for (const s of steps) {
      expect(s.text.length).toBeGreaterThan(5);
      if (s.t === 'call') depth++;
      if (s.t === 'ret') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(new Set(steps.filter((s) => s.t === 'call').map((s) => (s as { fn: string }).fn))).toEqual(
      new Set(['xa_store_order', 'xas_store', 'xas_create', 'xas_expand', 'xa_store', 'xa_set_mark', 'xa_erase', 'xas_delete_node', 'xas_shrink']),
    );
  });

  it('the mirror follows xa_destroy and a multi-order erase, and undoes them', () => {
    const t = new Tracer(true);
    const xa = new XArray('m', t);
    const other = new XArray('other', t);
    const mirror = new XArrayMirror('m');
    const check = (): void => {
      for (const s of t.steps.slice(applied)) mirror.apply(s);
      applied = t.steps.length;
      expect(mirror.toDump({ ids: true })).toEqual(xaDump(xa, { ids: true }));
    };
    let applied = 0;
    for (let i = 0; i < 3000; i += 50) xa_store(xa, i, xa_mk_value(i));
    xa_store(other, 5, xa_mk_value(1));
    xa_set_mark(xa, 100, XA_MARK_1);
    check();
    xa_store_order(xa, 0, 9, null);
    check();
    xa_destroy(xa);
    check();
    expect(mirror.toDump()).toBe(null);
    for (let i = t.steps.length - 1; i >= 0; i--) mirror.undo(t.steps[i]);
    expect(mirror.toDump()).toBe(null);
    expect(mirror.nodeCount).toBe(0);
  });

  it('the mirror rejects a step that does not match what it holds', () => {
    const t = new Tracer(true);
    const xa = new XArray('m', t);
    xa_store(xa, 5, xa_mk_value(1));
    const mirror = new XArrayMirror('m');
    const slot = t.steps.find((s) => s.t === 'xa_slot' && s.node !== null)!;
    expect(() => mirror.apply(slot)).toThrow(/not live/);
  });

  it('tracing off records nothing', () => {
    const t = new Tracer(false);
    const xa = new XArray('m', t);
    xa_store(xa, 100, xa_mk_value(1));
    xa_erase(xa, 100);
    expect(t.steps).toEqual([]);
  });

  it('pointer entries are named by pfn, id or a stable per-array name', () => {
    const steps = stepsOf((xa) => {
      xa_store(xa, 1, { pfn: 77 });
      xa_store(xa, 2, { id: 'folio-a' });
      const anon = {};
      xa_store(xa, 3, anon);
      xa_store(xa, 4, anon);
    });
    const news = steps.filter((s) => s.t === 'xa_slot').map((s) => (s as { new: unknown }).new);
    expect(news).toContainEqual({ page: 77 });
    expect(news).toContainEqual({ pointer: 'folio-a' });
    expect(news.filter((n) => JSON.stringify(n) === '{"pointer":"p1"}').length).toBe(2);
  });
});
