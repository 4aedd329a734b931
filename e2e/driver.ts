/**
 * A small fluent driver for the app, so specs read as what a user does: open, step, expect the tree.
 * It also knows how to read the XArray panel back out of the DOM in the same shape as a dump.
 */
import { expect, type Page } from '@playwright/test';
import type { Json } from '../src/engine/trace/steps';

/** One xa_node as the panel shows it, or as a dump describes it. */
export interface NodeView {
  id: number;
  shift: number;
  offset: number;
  count: number;
  nrValues: number;
  /** one character per slot: . empty, v value, s sibling, n node */
  slots: string;
  /** marks[m]: slots with mark m */
  marks: number[][];
}

export interface TreeView {
  head: 'empty' | 'entry' | 'node';
  nodes: NodeView[];
}


/** The view a correct panel shows for a dump made by xaDump(xa, { ids: true }). */
export function viewOfDump(d: Json): TreeView {
  if (d === null) return { head: 'empty', nodes: [] };
  const root = d as { [k: string]: Json };
  if ('entry' in root) return { head: 'entry', nodes: [] };
  const nodes: NodeView[] = [];
  const walk = (n: { [k: string]: Json }) => {
    const slots = n.slots as { [k: string]: { [k: string]: Json } };
    let s = '';
    for (let i = 0; i < 64; i++) {
      const c = slots[String(i)];
      s += c === undefined ? '.' : 'shift' in c ? 'n' : 'sibling' in c ? 's' : 'v';
    }
    nodes.push({
      id: n.id as number,
      shift: n.shift as number,
      offset: n.offset as number,
      count: n.count as number,
      nrValues: n.nr_values as number,
      slots: s,
      marks: n.marks as number[][],
    });
    for (const c of Object.values(slots)) if ('shift' in c) walk(c);
  };
  walk(root);
  nodes.sort((a, b) => a.id - b.id);
  return { head: 'node', nodes };
}

export class AppDriver {
  constructor(readonly page: Page) {}

  /** Open the app and wait until the worker has delivered the demo's trace. */
  async open(query = ''): Promise<this> {
    await this.page.goto('/' + query);
    await expect(this.page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d* · op 0 \/ \d+$/, { timeout: 20_000 });
    return this;
  }

  async position(): Promise<{ cursor: number; n: number; op: number; ops: number }> {
    const t = (await this.page.getByTestId('position').textContent()) ?? '';
    const m = /step (\d+) \/ (\d+) · op (\d+) \/ (\d+)/.exec(t);
    if (!m) throw new Error(`unreadable position: ${t}`);
    return { cursor: +m[1], n: +m[2], op: +m[3], ops: +m[4] };
  }

  async expectCursor(c: number): Promise<this> {
    await expect(this.page.getByTestId('position')).toHaveText(new RegExp(`^step ${c} /`));
    return this;
  }

  /** Press a key `times` times, with the app (not a control) focused. */
  async press(key: string, times = 1): Promise<this> {
    for (let i = 0; i < times; i++) await this.page.keyboard.press(key);
    return this;
  }

  /** What the XArray panel shows right now (boxes on their way out are not counted). */
  async tree(): Promise<TreeView> {
    return this.page.getByTestId('xarray-svg').evaluate((svg) => {
      const head = (svg.querySelector('[data-testid="xa-head"]')?.getAttribute('data-kind') ?? 'empty') as TreeView['head'];
      const nodes = [...svg.querySelectorAll('g.xa-node:not([data-exiting])')].map((g) => {
        const slots = Array(64).fill('.');
        for (const c of g.querySelectorAll('rect.xa-cell')) {
          const k = c.getAttribute('data-kind') ?? 'empty';
          slots[Number(c.getAttribute('data-slot'))] = ({ empty: '.', value: 'v', sibling: 's', node: 'n' } as Record<string, string>)[k];
        }
        const marks: number[][] = [[], [], []];
        for (const m of g.querySelectorAll('circle.xa-mark')) marks[Number(m.getAttribute('data-mark'))].push(Number(m.getAttribute('data-slot')));
        marks.forEach((l) => l.sort((a, b) => a - b));
        return {
          id: Number(g.getAttribute('data-node-id')),
          shift: Number(g.getAttribute('data-shift')),
          offset: Number(g.getAttribute('data-offset')),
          count: Number(g.getAttribute('data-count')),
          nrValues: Number(g.getAttribute('data-nr-values')),
          slots: slots.join(''),
          marks,
        };
      });
      nodes.sort((a, b) => a.id - b.id);
      return { head, nodes };
    });
  }

  /** Wait until the panel shows `expected` (it redraws a frame or so after the cursor moves). */
  async expectTree(expected: TreeView, message?: string): Promise<this> {
    await expect.poll(() => this.tree(), { message, timeout: 5_000 }).toEqual(expected);
    return this;
  }
}

