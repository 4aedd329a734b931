/**
 * The device panel: every page of the pmem device (or of DRAM) as a cell coloured by its state at
 * the cursor, on a canvas. Large spaces fold 2^k pages into a cell showing the most interesting state
 * among them; clicking a folded cell zooms into its region, clicking a page inspects it (the struct
 * page panel shows it). Hovering shows the page's pfn, struct page fields, who refers to it, and its
 * first bytes, read from the machine's shared memory under the status block's seqlock.
 *
 * Cross-panel highlight: every cell holding a lit pfn (src/panels/highlight) gets a ring, drawn on
 * an overlay canvas that repaints only when the set of lit cells changes; hovering a page at one
 * page per cell hovers that pfn in the store, so the other panels light what refers to it.
 *
 * The state comes from the trace (keyframe + steps, machine-view.ts), never from the engine.
 */
import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { useSim, useSimShallow } from '../../store';
import { useHighlight, useWorld } from '../highlight/hooks';
import type { PanelProps } from '../types';
import { bytesPreview, dramPageHead, pmemPageHead } from './bytes';
import { buildGrid, gridInputs, litCells, pageRefs, runsText, STATE_LABEL, STATE_SHORT, STATE_VAR, STATES, statesOfMask, wholeRegion, zoomIn, zoomOut, type Grid, type Region, type Space } from './layout';
import { machineTimelineOf, structPageOf } from './machine-view';
import './device.css';

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function sizeText(pages: number): string {
  const b = pages * 4096;
  if (b >= 2 ** 30) return `${b / 2 ** 30} GiB`;
  if (b >= 2 ** 20) return `${b / 2 ** 20} MiB`;
  return `${b / 1024} KiB`;
}

const MIN_CELL = 5;
const MAX_CELL = 16;
/** Room around the grid for the highlight rings of edge cells (the canvas wrapper's padding, px). */
const RING = 2;

interface Palette {
  key: string;
  colour: string[];
  outside: string;
  text: string;
  /** the cross-panel highlight ring */
  lit: string;
}

/** The panel's colours from its CSS variables; read once per theme (getComputedStyle forces a style recalculation). */
function paletteFor(cache: { current: Palette | null }, root: HTMLElement, theme: string | null | undefined): Palette {
  const key = theme ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'auto-dark' : 'auto-light');
  if (!cache.current || cache.current.key !== key) {
    const css = getComputedStyle(root);
    cache.current = {
      key,
      colour: STATES.map((s) => css.getPropertyValue(STATE_VAR[s]).trim() || '#888'),
      outside: css.getPropertyValue('--dev-outside').trim() || 'transparent',
      text: css.getPropertyValue('--text').trim() || '#000',
      lit: css.getPropertyValue('--current-border').trim() || '#b39700',
    };
  }
  return cache.current;
}

/** Sizes a canvas for w x h CSS pixels at the device pixel ratio (only when it changed: resizing reallocates). */
function sizeCanvas(cv: HTMLCanvasElement, w: number, h: number, dpr: number): void {
  if (cv.width !== Math.round(w * dpr)) cv.width = Math.round(w * dpr);
  if (cv.height !== Math.round(h * dpr)) cv.height = Math.round(h * dpr);
  if (cv.style.width !== `${w}px`) cv.style.width = `${w}px`;
  if (cv.style.height !== `${h}px`) cv.style.height = `${h}px`;
}

export function DevicePanel(_props: PanelProps) {
  const { steps, opStarts, machine, inspectedPfn, select, hoverTarget, readMemory, theme } = useSimShallow((s) => ({
    steps: s.steps,
    opStarts: s.opStarts,
    machine: s.machine,
    inspectedPfn: s.selected?.kind === 'pfn' ? s.selected.pfn : null,
    select: s.select,
    hoverTarget: s.hover,
    readMemory: s.readMemory,
    theme: s.theme,
  }));
  const cursor = useSim((s) => s.cursor);
  const [space, setSpace] = useState<Space>('pmem');
  const [regions, setRegions] = useState<{ pmem: Region | null; dram: Region | null }>({ pmem: null, dram: null });
  const [hover, setHover] = useState<{ cell: number; x: number; y: number } | null>(null);
  const [width, setWidth] = useState(400);
  /** Height the canvas may take without pushing the legend out of the panel (null: unknown). */
  const [availH, setAvailH] = useState<number | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  /** The palette read from CSS, per theme: getComputedStyle on every paint forces a style recalculation. */
  const palette = useRef<Palette | null>(null);
  /** The pfn this panel hovers in the store (null: none), so it is cleared exactly once. */
  const hoveredPfn = useRef<number | null>(null);
  const highlight = useHighlight(useWorld());

  // A new run (another scenario) starts from the whole device again.
  useEffect(() => setRegions({ pmem: null, dram: null }), [machine]);

  const timeline = useMemo(
    () => (machine ? machineTimelineOf(steps, opStarts, machine.keyframes, machine.memory.pmemStartPfn) : null),
    [machine, steps, opStarts],
  );
  const state = useMemo(() => (timeline ? timeline.stateAt(cursor) : null), [timeline, cursor]);
  const info = useMemo(
    () => (machine ? { pmemStartPfn: machine.memory.pmemStartPfn, pmemPages: machine.memory.pmemPages, dramPages: machine.memory.dramPages } : null),
    [machine],
  );
  const whole = info ? wholeRegion(space, info) : null;
  const region = regions[space] ?? whole;
  // States at neighbouring cursors share the parts no step between them changed (machine-view.ts):
  // while the parts the grid reads are the same objects, the grid (and the canvas) stay as they are.
  const gridCache = useRef<{ inputs: unknown[]; grid: Grid } | null>(null);
  const grid = useMemo(() => {
    if (!state || !info || !region) return null;
    const inputs = [space, info, region, machine?.zeroPfn ?? 0, ...gridInputs(state)];
    const hit = gridCache.current;
    if (hit && hit.inputs.length === inputs.length && hit.inputs.every((v, i) => v === inputs[i])) return hit.grid;
    const g = buildGrid(space, state, info, machine?.zeroPfn ?? 0, region);
    gridCache.current = { inputs, grid: g };
    return g;
  }, [state, info, region, space, machine]);
  const lit = useMemo(() => (grid && info ? litCells(grid, info, highlight.pfns) : null), [grid, info, highlight.pfns]);
  /** The lit cells as text: the overlay repaints when this changes, not on every step. */
  const litKey = lit ? lit.cells.join(',') : '';
  const litPfnsText = useMemo(() => (lit ? runsText(lit.pfns) : ''), [lit]);

  // Whatever this panel hovers in the store is let go when the panel goes away.
  useEffect(
    () => () => {
      if (hoveredPfn.current !== null) {
        hoveredPfn.current = null;
        hoverTarget(null);
      }
    },
    [hoverTarget],
  );

  useEffect(() => {
    const el = wrapRef.current;
    const root = rootRef.current;
    const body = root?.parentElement;
    if (!el || !root || !body) return;
    const measure = () => {
      setWidth(el.clientWidth);
      // Everything but the canvas (bars, legend) keeps its height; the canvas gets the rest.
      const chrome = root.offsetHeight - el.offsetHeight;
      setAvailH(body.clientHeight - chrome - 2 - 2 * RING);
    };
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    ro.observe(body);
    measure();
    return () => ro.disconnect();
  }, [machine]);

  const byWidth = grid ? Math.floor((width - 4 - 2 * RING) / grid.cols) : MIN_CELL;
  const byHeight = grid && availH !== null ? Math.floor(availH / grid.rows) : MAX_CELL;
  const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, byWidth, byHeight));
  const per = grid ? 2 ** grid.k : 1;
  const pfnOf = (index: number) => (space === 'pmem' && info ? info.pmemStartPfn + index : index);
  const inspectedIndex = inspectedPfn === null || !info ? null : space === 'pmem' ? inspectedPfn - info.pmemStartPfn : inspectedPfn;

  // Draw the grid. Colours come from the panel's CSS variables, so both themes work.
  useEffect(() => {
    const cv = canvasRef.current;
    const root = rootRef.current;
    if (!cv || !root || !grid) return;
    const dpr = window.devicePixelRatio || 1;
    const w = grid.cols * cell;
    const h = grid.rows * cell;
    sizeCanvas(cv, w, h, dpr);
    const ctx = cv.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const { colour, outside, text } = paletteFor(palette, root, theme);
    const gap = cell >= 5 ? 1 : 0;
    ctx.clearRect(0, 0, w, h);
    for (let c = 0; c < grid.top.length; c++) {
      const x = (c % grid.cols) * cell;
      const y = Math.floor(c / grid.cols) * cell;
      ctx.fillStyle = grid.top[c] < 0 ? outside : colour[grid.top[c]];
      ctx.fillRect(x, y, cell - gap, cell - gap);
    }
    // The inspected page, outlined.
    if (inspectedIndex !== null && inspectedIndex >= grid.region.start && inspectedIndex < grid.region.start + grid.region.size) {
      const c = Math.floor((inspectedIndex - grid.region.start) / per);
      ctx.strokeStyle = text;
      ctx.lineWidth = 2;
      ctx.strokeRect((c % grid.cols) * cell + 1, Math.floor(c / grid.cols) * cell + 1, cell - 2 - gap, cell - 2 - gap);
    }
  }, [grid, cell, theme, inspectedIndex, per]);

  // The highlight overlay: a 2 px ring just outside every lit cell (over the gap and one pixel of
  // the neighbours), so the cell keeps its whole state colour and a folded 5 px cell still reads as
  // lit. The overlay is RING px larger than the grid on every side.
  const cols = grid?.cols ?? 0;
  const rows = grid?.rows ?? 0;
  useEffect(() => {
    const cv = overlayRef.current;
    const root = rootRef.current;
    if (!cv || !root || cols === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const w = cols * cell + 2 * RING;
    const h = rows * cell + 2 * RING;
    sizeCanvas(cv, w, h, dpr);
    const ctx = cv.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (litKey === '') return;
    ctx.translate(RING, RING);
    ctx.strokeStyle = paletteFor(palette, root, theme).lit;
    ctx.lineWidth = 2;
    const gap = cell >= 5 ? 1 : 0;
    for (const t of litKey.split(',')) {
      const c = Number(t);
      ctx.strokeRect((c % cols) * cell - 1, Math.floor(c / cols) * cell - 1, cell - gap + 2, cell - gap + 2);
    }
  }, [litKey, cols, rows, cell, theme]);

  const stateCounts = useMemo(() => {
    const counts = STATES.map(() => 0);
    if (grid) for (let c = 0; c < grid.top.length; c++) if (grid.top[c] >= 0) counts[grid.top[c]]++;
    return counts;
  }, [grid]);
  const cellsText = useMemo(() => (grid ? Array.from(grid.top, (t) => (t < 0 ? '-' : String(t))).join('') : ''), [grid]);

  if (!machine || !state || !info || !grid || !region || !whole) {
    return (
      <div className="dv-device" ref={rootRef}>
        <p className="dv-device-empty" data-testid="device-empty">
          This scenario has no machine: choose a DAX scenario in the header to see the pmem device and DRAM.
        </p>
      </div>
    );
  }

  const cellAt = (e: MouseEvent<HTMLCanvasElement>): number | null => {
    const r = e.currentTarget.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / cell);
    const row = Math.floor((e.clientY - r.top) / cell);
    const c = row * grid.cols + col;
    return col >= 0 && col < grid.cols && c >= 0 && c < grid.top.length && grid.top[c] >= 0 ? c : null;
  };
  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    const c = cellAt(e);
    if (c === null) return;
    const index = region.start + c * per;
    const z = zoomIn(region, index);
    if (z) setRegions({ ...regions, [space]: z });
    else select({ kind: 'pfn', pfn: pfnOf(index) });
  };
  /** Hovers `pfn` in the store (null: lets go), only when it changed. */
  const hoverPfn = (pfn: number | null) => {
    if (pfn === hoveredPfn.current) return;
    hoveredPfn.current = pfn;
    hoverTarget(pfn === null ? null : { kind: 'pfn', pfn });
  };
  const out = zoomOut(region, whole);
  const nPages = space === 'pmem' ? info.pmemPages : info.dramPages;
  const shownEnd = Math.min(region.start + region.size, nPages);

  return (
    <div className="dv-device" ref={rootRef}>
      <div className="dv-device-bar">
        <div role="group" aria-label="Memory" className="dv-seg">
          {(['pmem', 'dram'] as const).map((s) => (
            <button key={s} type="button" aria-pressed={space === s} onClick={() => setSpace(s)} data-testid={`device-space-${s}`}>
              {s === 'pmem' ? `pmem ${sizeText(info.pmemPages)}` : `DRAM ${sizeText(info.dramPages)}`}
            </button>
          ))}
        </div>
        <button type="button" disabled={!out} onClick={() => out && setRegions({ ...regions, [space]: out })} data-testid="device-zoom-out">
          Zoom out
        </button>
        <button type="button" disabled={!out} onClick={() => setRegions({ ...regions, [space]: null })}>
          Whole
        </button>
      </div>
      <div className="dv-device-where" data-testid="device-where">
        pfn {hex(pfnOf(region.start))}–{hex(pfnOf(shownEnd - 1))} · {per === 1 ? '1 page/cell, click: inspect' : `${sizeText(per)}/cell, click: zoom`}
      </div>
      <div className="dv-device-canvas" ref={wrapRef} style={{ padding: RING }}>
        <canvas
          ref={canvasRef}
          role="img"
          aria-label={`${space === 'pmem' ? 'pmem device' : 'DRAM'} pages by state: ${STATES.map((s, i) => (stateCounts[i] ? `${stateCounts[i]} ${s}` : '')).filter(Boolean).join(', ')} cells`}
          data-testid="device-grid"
          data-space={space}
          data-k={grid.k}
          data-region-start={region.start}
          data-region-size={region.size}
          data-cell-px={cell}
          data-cols={grid.cols}
          data-cells={cellsText}
          data-lit-pfns={litPfnsText}
          data-lit-cells={litKey}
          onMouseMove={(e) => {
            const c = cellAt(e);
            setHover(c === null ? null : { cell: c, x: e.clientX, y: e.clientY });
            hoverPfn(c !== null && per === 1 ? pfnOf(region.start + c) : null);
          }}
          onMouseLeave={() => {
            setHover(null);
            hoverPfn(null);
          }}
          onClick={onClick}
        />
        <canvas ref={overlayRef} className="dv-device-overlay" aria-hidden="true" data-testid="device-lit-overlay" />
        {hover && (
          <HoverCard x={hover.x} y={hover.y} lines={describeCell(hover.cell)} />
        )}
      </div>
      <ul className="dv-device-legend" aria-label="Legend">
        {STATES.map((s, i) => (
          <li key={s} title={STATE_LABEL[s]}>
            <span className="dv-swatch" style={{ background: `var(${STATE_VAR[s]})` }} aria-hidden="true" />
            {STATE_SHORT[s]}
            {stateCounts[i] > 0 && <span className="dv-count">{stateCounts[i]}</span>}
          </li>
        ))}
      </ul>
    </div>
  );

  function describeCell(c: number): string[] {
    const index = region!.start + c * per;
    const states = statesOfMask(grid!.masks[c]);
    if (per > 1) {
      return [
        `pfn ${hex(pfnOf(index))}–${hex(pfnOf(Math.min(index + per, nPages) - 1))} (${per} pages)`,
        `holds: ${states.map((s) => STATE_LABEL[s]).join(', ')}`,
        'click to zoom in',
      ];
    }
    const pfn = pfnOf(index);
    const lines = [`pfn ${hex(pfn)}${space === 'pmem' ? ` · device page ${index} (block ${index})` : ''}`, `state: ${states.map((s) => STATE_LABEL[s]).join(', ')}`];
    const rec = structPageOf(state!, pfn);
    if (rec) {
      const f = (k: string) => (rec[k] === undefined ? null : JSON.stringify(rec[k]));
      lines.push(
        `struct page: _refcount ${f('_refcount')}, mapcount ${f('mapcount')}, mapping ${f('mapping')}, ${'share' in rec ? `share ${f('share')}` : `index ${f('index')}`}, order ${f('order')}, flags ${Array.isArray(rec.flags) && rec.flags.length ? rec.flags.join('|') : 'none'}`,
      );
    } else lines.push('struct page: all fields at their defaults');
    const refs = pageRefs(space, index, state!, info!);
    for (const fr of refs.files) lines.push(`file ${fr.name} (ino ${fr.ino}) at offset ${hex(fr.fileOffset)}`);
    for (const l of refs.leaves) lines.push(`${l.proc}: ${l.level.toUpperCase()} at ${hex(l.addr)}${l.write ? ' (writable)' : ' (read-only)'}`);
    for (const p of refs.pins) lines.push(`pinned by ${p.proc} (${p.label})`);
    if (refs.dramUse) lines.push(`DRAM allocation: ${refs.dramUse}`);
    const mem = machine!.memory;
    const head = readMemory(() => (space === 'pmem' ? pmemPageHead(mem, index, 48).bytes : dramPageHead(mem, pfn, 48)));
    const atEnd = cursor >= steps.length;
    if (head === null) lines.push('bytes: the engine is busy, try again');
    else lines.push(`bytes${atEnd ? '' : ' (at the end of the run)'}: ${bytesPreview(head) || '(zeros)'}`);
    return lines;
  }
}

/** The hover card, fixed to the viewport (so no panel scroller clips it), kept on screen. */
function HoverCard({ x, y, lines }: { x: number; y: number; lines: string[] }) {
  const w = Math.min(340, window.innerWidth - 8);
  const left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 4));
  // Below the pointer, or above it when the card would run off the bottom.
  const estH = 16 * lines.length + 12;
  const top = y + 16 + estH <= window.innerHeight ? y + 16 : Math.max(4, y - 10 - estH);
  return (
    <div className="dv-device-hover" style={{ left, top, width: w }} data-testid="device-hover" role="status">
      {lines.map((l, i) => (
        <div key={i} className={i === 0 ? 'dv-hover-head' : undefined}>
          {l}
        </div>
      ))}
    </div>
  );
}
