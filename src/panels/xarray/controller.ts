/**
 * The D3-owned part of the XArray panel. React renders the <svg> and one <g>, hands the <g> to
 * createXaController(), and never renders children inside it. D3 joins boxes and edges by key (the
 * engine's node id), so a node keeps its identity from one step to the next: entering nodes grow out
 * of their parent's previous position, exiting ones shrink into their parent, and everything else
 * glides to its new place. With `animate` false (reduced motion) every change is immediate.
 *
 * All DOM access goes through the <g> it was given: no document-level queries, so several panels can
 * share a page.
 */
// `interrupt` is used below; importing it also keeps d3-transition's patch of selection.prototype
// (.transition(), .interrupt()), which the bundler would otherwise drop because d3 says it has no
// side effects.
import { interrupt, pointer, select, type EnterElement, type Selection } from 'd3';
import { CELL_H, CELL_W, CHIP_H, HEADER_H, MARK_LANE, type CellLayout, type EdgeLayout, type NodeLayout, type XaLayout } from './layout';

/** What the current step touched, to outline it. */
export interface XaFocus {
  /** node id; null for the head */
  node: number | null;
  /** slot, or null for the whole node (allocation, free) */
  offset: number | null;
}

export interface XaUpdateOptions {
  animate: boolean;
  selectedKey: string | null;
  focus: XaFocus | null;
  /** slots lit by the cross-panel highlight: "nodeId:slot", or "head" (src/panels/highlight/xa.ts) */
  lit?: ReadonlySet<string>;
}

export interface XaController {
  update(layout: XaLayout, o: XaUpdateOptions): void;
  destroy(): void;
}

const DURATION = 320;
/** Trees with more boxes than this change without motion: hundreds of transitions per step cost more than they show. */
export const MAX_ANIMATED_NODES = 40;

/** Trees with more boxes than this label entries (chips) only in the touched and the selected box. */
export const MAX_CHIPPED_NODES = 40;

/**
 * Everything drawInside() writes for box `n`, as one string: a box whose signature did not change
 * since its last draw is left alone (with thousands of slots, rewriting every attribute on every
 * step is most of a frame).
 */
export function nodeSignature(n: NodeLayout, focus: XaFocus | null, lit?: ReadonlySet<string>, chips = true, painted = false): string {
  const focusHere = focus && focus.node !== null && focus.node === n.id;
  const parts: string[] = [chips ? 'C' : '-', painted ? 'P' : '-', String(n.id), String(n.shift), String(n.offset), String(n.count), String(n.nrValues), String(n.width), String(n.height), n.header];
  parts.push(focusHere ? `f${focus.offset === null ? '*' : focus.offset}` : '');
  if (lit && lit.size) {
    const prefix = `${n.id ?? ''}:`;
    const here: string[] = [];
    for (const k of lit) if (k.startsWith(prefix)) here.push(k.slice(prefix.length));
    parts.push(here.sort().join('.'));
  }
  parts.push(contentSignature(n));
  return parts.join('|');
}

/** The signature of a box's cells, chips and sibling links (cached: layouts reuse them for unchanged nodes). */
const contentSigs = new WeakMap<object, string>();
function contentSignature(n: NodeLayout): string {
  const hit = contentSigs.get(n.cells);
  if (hit !== undefined && contentSigs.get(n.chips) === hit && contentSigs.get(n.siblingLinks) === hit) return hit;
  const parts: string[] = [];
  for (const c of n.cells) parts.push(`${c.slot},${c.x},${c.y},${c.kind},${c.marks.join('.')},${c.title}`);
  for (const c of n.chips) parts.push(`${c.slot},${c.x},${c.y},${c.width},${c.kind},${c.text},${c.title}`);
  for (const l of n.siblingLinks) parts.push(`${l.from},${l.d}`);
  const sig = parts.join('|');
  contentSigs.set(n.cells, sig);
  contentSigs.set(n.chips, sig);
  contentSigs.set(n.siblingLinks, sig);
  return sig;
}

/**
 * The cells of a box as one SVG path per kind ("M x,y h w v h h -w Z" per cell), for boxes that
 * paint their cells that way (see PAINT_CELLS_ABOVE). Cached per cells array: layouts reuse it for
 * unchanged nodes.
 */
const cellPaths = new WeakMap<object, { kind: CellLayout['kind']; d: string }[]>();
export function cellPathsOf(cells: readonly CellLayout[]): { kind: CellLayout['kind']; d: string }[] {
  const hit = cellPaths.get(cells);
  if (hit) return hit;
  const byKind = new Map<CellLayout['kind'], string[]>();
  for (const c of cells) {
    let parts = byKind.get(c.kind);
    if (!parts) byKind.set(c.kind, (parts = []));
    parts.push(`M${c.x + 0.5},${c.y + 0.5}h${CELL_W - 1}v${CELL_H - 1}h${-(CELL_W - 1)}Z`);
  }
  const out = [...byKind].map(([kind, parts]) => ({ kind, d: parts.join('') }));
  cellPaths.set(cells, out);
  return out;
}

/**
 * Trees with more boxes than this paint each box's cells as a few paths (one per kind) under
 * invisible cell rectangles, which keep their data attributes, tooltips and clicks: a browser
 * spends time on every painted shape in every frame (paint, layerizing), and a 10,000-entry array
 * has over ten thousand cells. The cell the step changed and the lit ones stay painted as
 * rectangles, on top.
 */
export const PAINT_CELLS_ABOVE = 40;

/** The cell of box `n` at (x, y) in the box's own coordinates, or null. */
export function cellAt(n: NodeLayout, x: number, y: number): CellLayout | null {
  for (const c of n.cells) if (x >= c.x && x < c.x + CELL_W && y >= c.y && y < c.y + CELL_H) return c;
  return null;
}

/** The signature each box element was last drawn with. */
const drawn = new WeakMap<Element, string>();

/** Sets (or, for null, removes) an attribute only when its value differs. */
function setAttr(el: Element, name: string, value: string | null): void {
  if (value === null) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Sets an element's text only when it differs. */
function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function sameFocus(a: XaFocus | null, b: XaFocus | null): boolean {
  return a === b || (!!a && !!b && a.node === b.node && a.offset === b.offset);
}

function sameLit(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === b) return true;
  const na = a?.size ?? 0;
  if (na !== (b?.size ?? 0)) return false;
  if (na === 0) return true;
  for (const k of a!) if (!b!.has(k)) return false;
  return true;
}

/** Whether two updates' options draw the same picture. */
export function sameOptions(a: XaUpdateOptions, b: XaUpdateOptions): boolean {
  return a.animate === b.animate && a.selectedKey === b.selectedKey && sameFocus(a.focus, b.focus) && sameLit(a.lit, b.lit);
}

type G = Selection<SVGGElement, unknown, null, undefined>;
type d3EnterElement = EnterElement;

export function createXaController(rootEl: SVGGElement, onSelect: (key: string | null, id: number | null) => void): XaController {
  const root: G = select(rootEl);
  const edgesLayer = root.append('g').attr('class', 'xa-edges');
  const headLayer = root.append('g').attr('class', 'xa-head').attr('data-testid', 'xa-head');
  const nodesLayer = root.append('g').attr('class', 'xa-nodes');
  headLayer.append('rect').attr('rx', 4);
  const headText = headLayer.append('text').attr('dy', '0.35em');
  const headTitle = headLayer.append('title');

  /** Where each box was drawn last time, and its parent then, for enter/exit motion. */
  let prev = new Map<string, { x: number; y: number }>();
  let prevParent = new Map<string, string | null>();
  /** The arguments of the last update: the same layout with the same options draws nothing. */
  let last: { layout: XaLayout; o: XaUpdateOptions } | null = null;

  function drawInside(
    g: Selection<SVGGElement, NodeLayout, SVGGElement, unknown>,
    focus: XaFocus | null,
    lit: ReadonlySet<string> | undefined,
    chipsOf: (n: NodeLayout) => boolean,
    painted: boolean,
  ) {
    g.each(function (n) {
      const withChips = chipsOf(n);
      const sig = nodeSignature(n, focus, lit, withChips, painted);
      if (drawn.get(this) === sig) return;
      drawn.set(this, sig);
      const box = select(this);
      box.attr('data-cellpaint', painted ? 'true' : null);
      box
        .select('g.xa-cellpaint')
        .selectAll<SVGPathElement, { kind: CellLayout['kind']; d: string }>('path.xa-cellpath')
        .data(painted ? cellPathsOf(n.cells) : [], (p) => p.kind)
        .join('path')
        .attr('class', 'xa-cellpath')
        .attr('data-kind', (p) => p.kind)
        .attr('d', (p) => p.d);
      box.attr('data-node-id', n.id ?? '').attr('data-shift', n.shift).attr('data-offset', n.offset).attr('data-count', n.count).attr('data-nr-values', n.nrValues);
      box.select<SVGRectElement>('rect.xa-box').attr('width', n.width).attr('height', n.height);
      box.select('text.xa-header').text(n.header);
      box.select('title.xa-node-title').text(`xa_node${n.id !== null ? ' #' + n.id : ''}: shift ${n.shift} (each slot covers ${2 ** n.shift} indices), offset ${n.offset} in its parent, ${n.count} slots in use, ${n.nrValues} of them value entries or their siblings`);
      const focusHere = focus && focus.node !== null && focus.node === n.id;
      box.attr('data-changed', focusHere && focus.offset === null ? 'true' : null);

      // A painted box keeps rectangles only for the cells that stand out (the step's cell, lit
      // cells); its hit rectangle answers for the others (cellAt).
      const standsOut = (c: CellLayout) => (focusHere && focus.offset === c.slot) || !!lit?.has(`${n.id ?? ''}:${c.slot}`);
      const hit = box.select<SVGRectElement>('rect.xa-hit');
      if (painted) hit.attr('width', n.width).attr('height', n.height).attr('display', null);
      else hit.attr('display', 'none');
      box
        .select('g.xa-cells')
        .selectAll<SVGRectElement, (typeof n.cells)[number]>('rect.xa-cell')
        .data(painted ? n.cells.filter(standsOut) : n.cells, (c) => String(c.slot))
        .join((enter) => {
          const r = enter.append('rect').attr('class', 'xa-cell');
          r.append('title');
          return r;
        })
        .attr('x', (c) => c.x + 0.5)
        .attr('y', (c) => c.y + 0.5)
        .attr('width', CELL_W - 1)
        .attr('height', CELL_H - 1)
        .attr('data-slot', (c) => c.slot)
        .attr('data-kind', (c) => c.kind)
        .attr('data-changed', (c) => (focusHere && focus.offset === c.slot ? 'true' : null))
        .attr('data-lit', (c) => (lit?.has(`${n.id ?? ''}:${c.slot}`) ? 'true' : null))
        .select('title')
        .text((c) => c.title);

      const dots = n.cells.flatMap((c) => c.marks.map((m) => ({ slot: c.slot, m, x: c.x + 2 + m * 4, y: c.y - MARK_LANE / 2 })));
      box
        .select('g.xa-marks')
        .selectAll<SVGCircleElement, (typeof dots)[number]>('circle.xa-mark')
        .data(dots, (d) => `${d.slot}:${d.m}`)
        .join('circle')
        .attr('class', 'xa-mark')
        .attr('data-mark', (d) => d.m)
        .attr('data-slot', (d) => d.slot)
        .attr('cx', (d) => d.x)
        .attr('cy', (d) => d.y)
        .attr('r', 2);

      box
        .select('g.xa-sibs')
        .selectAll<SVGPathElement, (typeof n.siblingLinks)[number]>('path.xa-sib')
        .data(n.siblingLinks, (s) => String(s.from))
        .join('path')
        .attr('class', 'xa-sib')
        .attr('d', (s) => s.d);

      box
        .select('g.xa-chips')
        .selectAll<SVGGElement, (typeof n.chips)[number]>('g.xa-chip')
        .data(withChips ? n.chips : [], (c) => String(c.slot))
        .join((enter) => {
          const c = enter.append('g').attr('class', 'xa-chip');
          c.append('rect').attr('rx', 3);
          c.append('text').attr('dy', '0.35em');
          c.append('title');
          return c;
        })
        .attr('data-kind', (c) => c.kind)
        .attr('data-slot', (c) => c.slot)
        .attr('transform', (c) => `translate(${c.x},${c.y})`)
        .call((c) => c.select('rect').attr('width', (d) => d.width).attr('height', CHIP_H))
        .call((c) =>
          c
            .select('text')
            .attr('x', 4)
            .attr('y', CHIP_H / 2)
            .text((d) => d.text),
        )
        .call((c) => c.select('title').text((d) => d.title));
    });
  }

  return {
    update(layout, o) {
      // Most steps of a trace do not touch this array: its layout object is then the same one
      // (the replay and the layout reuse unchanged work), and nothing needs drawing.
      if (last && last.layout === layout && sameOptions(last.o, o)) return;
      last = { layout, o };
      const animate = o.animate && layout.nodes.length <= MAX_ANIMATED_NODES;
      const dur = animate ? DURATION : 0;
      const pos = new Map(layout.nodes.map((n) => [n.key, { x: n.x, y: n.y }]));
      const parentOf = new Map(layout.nodes.map((n) => [n.key, n.parentKey]));
      const translate = (p: { x: number; y: number }) => `translate(${p.x},${p.y})`;

      // Head box.
      const h = layout.head;
      // (Written only when different: rewriting an SVG attribute or a text node with the same value
      // still makes the browser restyle and repaint the whole drawing.)
      const headG = headLayer.node()!;
      setAttr(headG, 'transform', `translate(${h.x},${h.y})`);
      setAttr(headG, 'data-kind', h.kind);
      const headRect = headLayer.select<SVGRectElement>('rect').node()!;
      setAttr(headRect, 'width', String(h.width));
      setAttr(headRect, 'height', String(h.height));
      setAttr(headRect, 'data-changed', o.focus && o.focus.node === null ? 'true' : null);
      setAttr(headRect, 'data-lit', o.lit?.has('head') ? 'true' : null);
      const headTextEl = headText.node()!;
      setAttr(headTextEl, 'x', '8');
      setAttr(headTextEl, 'y', String(h.height / 2));
      setText(headTextEl, h.text);
      setText(headTitle.node()!, h.title);

      // Edges.
      const edges = edgesLayer.selectAll<SVGPathElement, EdgeLayout>('path.xa-edge').data(layout.edges, (e) => e.key);
      if (animate) {
        edges
          .join(
            (enter) =>
              enter
                .append('path')
                .attr('class', 'xa-edge')
                .attr('d', (e) => e.d)
                .attr('opacity', 0)
                .call((p) => p.transition().duration(dur).attr('opacity', 1)),
            (update) => update.call((p) => p.transition().duration(dur).attr('d', (e) => e.d).attr('opacity', 1)),
            (exit) => exit.call((p) => p.transition().duration(dur).attr('opacity', 0).remove()),
          )
          .attr('data-edge', (e) => e.key);
      } else {
        edges.exit().interrupt().remove();
        edges
          .enter()
          .append('path')
          .attr('class', 'xa-edge')
          .attr('opacity', 1)
          .attr('data-edge', (e) => e.key)
          .merge(edges)
          .each(function (e) {
            // Only touch what changed (an unchanged edge costs a comparison, not a DOM write).
            if (this.getAttribute('d') !== e.d) this.setAttribute('d', e.d);
            if (this.getAttribute('opacity') !== '1') {
              interrupt(this);
              this.setAttribute('opacity', '1');
            }
          });
      }

      // Boxes.
      const startOf = (n: NodeLayout) => {
        const pk = n.parentKey;
        return (pk && (prev.get(pk) ?? pos.get(pk))) || { x: n.x, y: n.y };
      };
      const makeBox = (enter: Selection<d3EnterElement, NodeLayout, SVGGElement, unknown>) => {
        const g = enter
          .append('g')
          .attr('class', 'xa-node')
          .attr('data-key', (n) => n.key)
          .attr('transform', (n) => translate(animate ? startOf(n) : n))
          .attr('opacity', animate ? 0 : 1)
          .on('click', (ev: MouseEvent, n) => {
            ev.stopPropagation();
            onSelect(n.key, n.id);
          });
        g.append('title').attr('class', 'xa-node-title');
        g.append('rect').attr('class', 'xa-box').attr('rx', 5);
        g.append('text').attr('class', 'xa-header').attr('x', 8).attr('y', HEADER_H / 2 + 3);
        g.append('g').attr('class', 'xa-sibs');
        g.append('g').attr('class', 'xa-cellpaint').attr('aria-hidden', 'true');
        // Painted boxes: one transparent rectangle over the box finds the cell under the pointer,
        // names it in data-slot (for clicks) and in its tooltip.
        const hitRect = g.append('rect').attr('class', 'xa-hit').attr('display', 'none');
        hitRect.append('title');
        hitRect.on('pointermove pointerdown', function (ev: PointerEvent) {
          const box = this.parentNode as SVGGElement;
          const n = select<SVGGElement, NodeLayout>(box).datum();
          const [x, y] = pointer(ev, box);
          const c = cellAt(n, x, y);
          const slot = c ? String(c.slot) : null;
          if (this.getAttribute('data-slot') === slot) return;
          setAttr(this, 'data-slot', slot);
          setAttr(this, 'data-kind', c ? c.kind : null);
          setText(this.firstElementChild!, c ? c.title : n.header);
        });
        g.append('g').attr('class', 'xa-cells');
        g.append('g').attr('class', 'xa-marks');
        g.append('g').attr('class', 'xa-chips');
        return g;
      };
      const boxes = nodesLayer.selectAll<SVGGElement, NodeLayout>('g.xa-node').data(layout.nodes, (n) => n.key);
      let all: Selection<SVGGElement, NodeLayout, SVGGElement, unknown>;
      if (animate) {
        all = boxes.join(
          (enter) => {
            const g = makeBox(enter);
            g.transition()
              .duration(dur)
              .attr('transform', (n) => translate(n))
              .attr('opacity', 1);
            return g;
          },
          (update) =>
            update.call((g) =>
              g
                // A box that was on its way out and is back (stepping backwards) stays.
                .attr('data-exiting', null)
                .transition()
                .duration(dur)
                .attr('transform', (n) => translate(n))
                .attr('opacity', 1),
            ),
          (exit) =>
            exit.call((g) =>
              g
                .attr('data-exiting', 'true')
                .transition()
                .duration(dur)
                // Shrink into the parent where it is now (or where it was, if it left too).
                .attr('transform', (n) => {
                  const pk = prevParent.get(n.key) ?? null;
                  return translate((pk && (pos.get(pk) ?? prev.get(pk))) || prev.get(n.key) || { x: n.x, y: n.y });
                })
                .attr('opacity', 0)
                .remove(),
            ),
        );
      } else {
        // Large tree (or reduced motion): every change is immediate, and only what changed is written.
        boxes.exit().interrupt().remove();
        boxes.each(function (n) {
          const t = translate(n);
          if (this.getAttribute('transform') !== t || this.getAttribute('opacity') !== '1' || this.hasAttribute('data-exiting')) {
            interrupt(this);
            this.setAttribute('transform', t);
            this.setAttribute('opacity', '1');
            this.removeAttribute('data-exiting');
          }
        });
        all = makeBox(boxes.enter()).merge(boxes);
      }
      all.each(function (n) {
        const sel = n.key === o.selectedKey;
        if (sel !== (this.getAttribute('data-selected') === 'true')) {
          if (sel) this.setAttribute('data-selected', 'true');
          else this.removeAttribute('data-selected');
        }
      });
      // In a large tree the chips (one label per entry, thousands of them) would be most of the
      // drawing and too small to read when fitted: only the box the step touches and the selected
      // one carry them. Every cell keeps its tooltip.
      const large = layout.nodes.length > MAX_CHIPPED_NODES;
      const focusNode = o.focus?.node ?? null;
      const painted = layout.nodes.length > PAINT_CELLS_ABOVE;
      all.call((g) => drawInside(g, o.focus, o.lit, (n) => !large || n.key === o.selectedKey || (focusNode !== null && n.id === focusNode), painted));

      prev = pos;
      prevParent = parentOf;
    },
    destroy() {
      last = null;
      root.selectAll<Element, unknown>('*').each(function () {
        interrupt(this);
      });
      root.selectAll('*').remove();
    },
  };
}
