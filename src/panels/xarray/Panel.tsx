/**
 * The XArray panel: the array at the cursor, drawn from the trace (keyframes + xa_* steps), never
 * read from the engine. React owns the <svg>; the D3 controller owns the <g> inside it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Step } from '../../engine/trace/steps';
import { useSim, useSimShallow } from '../../store';
import type { PanelProps } from '../types';
import { createXaController, type XaController, type XaFocus } from './controller';
import { daxDecoder } from './dax-decode';
import { plainDecoder, type EntryDecoder } from './decode';
import { layoutXArray } from './layout';
import { XaTimeline } from './replay';
import { useHighlight, useWorld } from '../highlight/hooks';
import { litSlots, slotTarget } from '../highlight/xa';
import '../highlight/highlight.css';
import './xarray.css';

const MARGIN = 12;

/** What the step at the cursor touched in array `xa`, to outline it. */
function focusOf(step: Step | undefined, xa: string): XaFocus | null {
  if (!step) return null;
  if (step.t === 'xa_slot' && step.xa === xa) return { node: step.node, offset: step.node === null ? null : step.offset };
  if (step.t === 'xa_mark' && step.xa === xa) return { node: step.node, offset: step.node === null ? null : step.offset };
  if (step.t === 'xa_node' && step.xa === xa && step.action === 'alloc') return { node: step.node, offset: null };
  return null;
}

export interface XArrayPanelProps extends PanelProps {
  /**
   * How entries are labelled. Default: the DAX decoder for a file's i_pages (pfn and flags), the
   * plain decoder (v<N>) for any other array.
   */
  decoder?: EntryDecoder;
}

/** "i_pages of f (ino 131)" for `i_pages:131`, from the machine keyframe's file list. */
function arrayLabel(xa: string, files: Map<number, string>): string {
  const m = /^i_pages:(\d+)$/.exec(xa);
  if (!m) return xa;
  const name = files.get(Number(m[1]));
  return name ? `i_pages of ${name} (ino ${m[1]})` : `i_pages of ino ${m[1]}`;
}

export function XArrayPanel({ reducedMotion, decoder: decoderProp }: XArrayPanelProps) {
  const { steps, opStarts, keyframes, defaultXa, xas, machine, selectedNode, selectNode } = useSimShallow((s) => ({
    steps: s.steps,
    opStarts: s.opStarts,
    keyframes: s.keyframes,
    defaultXa: s.xa,
    xas: s.xas,
    machine: s.machine,
    selectedNode: s.selectedNode,
    selectNode: s.selectNode,
  }));
  const cursor = useSim((s) => s.cursor);
  const [fit, setFit] = useState(true);
  const [chosen, setChosen] = useState<string | null>(null);
  const xa = chosen !== null && xas.includes(chosen) ? chosen : defaultXa;
  const decoder = decoderProp ?? (xa.startsWith('i_pages:') ? daxDecoder : plainDecoder);
  const fileNames = useMemo(() => {
    const out = new Map<number, string>();
    const last = machine?.keyframes.at(-1) as { files?: { ino: number; name: string }[] } | undefined;
    for (const f of last?.files ?? []) out.set(f.ino, f.name);
    return out;
  }, [machine]);

  const timeline = useMemo(() => {
    const kf = keyframes[xa];
    return kf && kf.length === opStarts.length + 1 ? new XaTimeline(xa, steps, opStarts, kf) : null;
  }, [steps, opStarts, keyframes, xa]);
  const tree = useMemo(() => (timeline ? timeline.treeAt(cursor) : null), [timeline, cursor]);
  const layout = useMemo(() => layoutXArray(tree, decoder, xa || 'xa'), [tree, decoder, xa]);
  // Cross-panel highlight: the slots that hold the selected page (src/panels/highlight).
  const world = useWorld();
  const hl = useHighlight(world);
  const lit = useMemo(() => litSlots(tree, xa, hl), [tree, xa, hl]);
  const select = useSim((s) => s.select);
  const focus = focusOf(cursor > 0 ? steps[cursor - 1] : undefined, xa);
  const selectedKey = selectedNode !== null ? `n${selectedNode}` : null;

  const gRef = useRef<SVGGElement>(null);
  const ctl = useRef<XaController | null>(null);
  useEffect(() => {
    const c = createXaController(gRef.current!, (_key, id) => selectNode(id));
    ctl.current = c;
    return () => {
      c.destroy();
      ctl.current = null;
    };
  }, [selectNode]);
  useEffect(() => {
    ctl.current?.update(layout, { animate: !reducedMotion, selectedKey, focus, lit });
  });

  const w = layout.width + 2 * MARGIN;
  const h = layout.height + 2 * MARGIN;
  return (
    <div className="dv-xa">
      <div className="dv-xa-bar">
        {xas.length > 1 && (
          <select value={xa} onChange={(e) => setChosen(e.target.value)} data-testid="xa-picker" aria-label="Which XArray to show">
            {xas.map((x) => (
              <option key={x} value={x}>
                {arrayLabel(x, fileNames)}
              </option>
            ))}
          </select>
        )}
        {xas.length === 1 && xa.startsWith('i_pages:') && <span className="dv-xa-name">{arrayLabel(xa, fileNames)}</span>}
        <span className="dv-key">
          <svg width="12" height="12" aria-hidden="true">
            <rect width="11" height="11" x="0.5" y="0.5" fill="var(--xa-value)" />
          </svg>
          {decoder === daxDecoder ? 'DAX entry (pfn + flags)' : 'value entry'}
        </span>
        <span className="dv-key">
          <svg width="12" height="12" aria-hidden="true">
            <rect width="11" height="11" x="0.5" y="0.5" fill="var(--xa-sibling)" stroke="var(--xa-cell-border)" />
          </svg>
          sibling slot (links to its first slot)
        </span>
        <span className="dv-key">
          <svg width="12" height="12" aria-hidden="true">
            <rect width="11" height="11" x="0.5" y="0.5" fill="var(--xa-node)" />
          </svg>
          pointer to a child node
        </span>
        <span className="dv-key">
          <svg width="14" height="8" aria-hidden="true">
            <circle cx="3" cy="4" r="2" fill="var(--xa-mark0)" />
            <circle cx="7" cy="4" r="2" fill="var(--xa-mark1)" />
            <circle cx="11" cy="4" r="2" fill="var(--xa-mark2)" />
          </svg>
          marks 0, 1, 2 (left to right)
        </span>
        <button type="button" onClick={() => setFit(!fit)} aria-pressed={fit} style={{ marginLeft: 'auto' }}>
          {fit ? 'Actual size' : 'Fit to panel'}
        </button>
      </div>
      <div
        className="dv-xa-canvas"
        onClick={() => selectNode(null)}
        onClickCapture={(e) => {
          // A click on a slot of a file's i_pages also picks that file page in every panel.
          // (A large tree's boxes answer through their hit rectangle, which names the cell under the pointer.)
          const cell = (e.target as Element).closest?.('rect.xa-cell, rect.xa-hit[data-slot]');
          const box = cell?.closest('[data-node-id]');
          const t = cell && box ? slotTarget(tree, xa, Number(box.getAttribute('data-node-id')), Number(cell.getAttribute('data-slot'))) : null;
          if (t) select(t);
        }}
      >
        <svg
          viewBox={`${-MARGIN} ${-MARGIN} ${w} ${h}`}
          style={fit ? { width: '100%', maxWidth: w, height: 'auto' } : { width: w, height: h }}
          role="img"
          aria-label={`XArray ${xa}: ${layout.head.text}, ${layout.nodes.length} node${layout.nodes.length === 1 ? '' : 's'}`}
          data-testid="xarray-svg"
        >
          <g ref={gRef} />
        </svg>
      </div>
    </div>
  );
}
