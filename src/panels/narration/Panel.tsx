/**
 * Narration: the current step in words (with the kernel call stack it happened in), and the log of
 * every step with the current one highlighted. Clicking a line moves the cursor to that step.
 *
 * The log shows a window of at most 3 × LOG_CHUNK steps around the cursor (a trace can hold
 * hundreds of thousands of steps); moving the cursor inside the window only moves the highlight (a
 * transient subscription touching two rows), and the window is re-rendered only when the cursor
 * leaves its middle chunk.
 */
import { memo, useEffect, useMemo, useRef } from 'react';
import type { Step } from '../../engine/trace/steps';
import { useSim, useSimShallow, useSimStore } from '../../store';
import type { PanelProps } from '../types';

/** The kernel functions open at the moment right after step `i` (outermost first). */
export function callStackAt(steps: readonly Step[], i: number): string[] {
  if (i < 0) return [];
  let start = i;
  while (start > 0 && steps[start].t !== 'op') start--;
  const stack: string[] = [];
  for (let k = start; k <= i; k++) {
    const s = steps[k];
    if (s.t === 'call') stack.push(s.fn);
    else if (s.t === 'ret') {
      const at = stack.lastIndexOf(s.fn);
      if (at >= 0) stack.length = at;
    }
  }
  return stack;
}

function kindLabel(s: Step): string {
  switch (s.t) {
    case 'op':
      return `op ${s.name}`;
    case 'call':
      return `→ ${s.fn}`;
    case 'ret':
      return `← ${s.fn}`;
    case 'tp':
      return `tracepoint ${s.name}`;
    case 'warn':
      return `WARN in ${s.fn}`;
    default:
      return s.t;
  }
}

/** Steps per chunk of the log window. */
export const LOG_CHUNK = 100;

/** The window [lo, hi) of the log shown for a cursor. */
export function logWindow(cursor: number, total: number): { lo: number; hi: number } {
  const lo = Math.max(0, Math.floor(Math.max(0, cursor - 1) / LOG_CHUNK) * LOG_CHUNK - LOG_CHUNK);
  return { lo, hi: Math.min(total, lo + 3 * LOG_CHUNK) };
}

const Log = memo(function Log({ steps, lo, hi, onPick }: { steps: readonly Step[]; lo: number; hi: number; onPick: (cursor: number) => void }) {
  return (
    <>
      {steps.slice(lo, hi).map((s) => (
        <li key={s.seq} data-kind={s.t} data-seq={s.seq} style={{ ['--depth' as string]: Math.min(s.depth, 8) }} onClick={() => onPick(s.seq + 1)}>
          <span className="dv-seq">{s.seq + 1}</span>
          <span>{s.text}</span>
        </li>
      ))}
    </>
  );
});

export function NarrationPanel({ reducedMotion }: PanelProps) {
  const store = useSimStore();
  const { steps, seek } = useSimShallow((s) => ({ steps: s.steps, seek: s.seek }));
  const cursor = useSim((s) => s.cursor);
  const listRef = useRef<HTMLOListElement>(null);
  const current = cursor > 0 ? steps[cursor - 1] : undefined;
  const stack = useMemo(() => callStackAt(steps, cursor - 1), [steps, cursor]);
  const { lo, hi } = logWindow(cursor, steps.length);

  // Highlight by touching only the rows that change (scoped to this panel's list).
  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    let prev: number | null = null;
    let frame: number | null = null;
    // Scroll the list only (scrollIntoView would also scroll every ancestor, the whole app included).
    // Row geometry is read once per animation frame, after every change of that frame: reading it
    // on each cursor move would force a synchronous layout of the whole page every time.
    const scrollToCurrent = () => {
      frame = null;
      if (prev === null) return;
      const row = list.children[prev] as HTMLElement | undefined;
      if (!row) return;
      const top = row.offsetTop;
      const bottom = top + row.offsetHeight;
      const behavior: ScrollBehavior = reducedMotion ? 'auto' : 'smooth';
      if (top < list.scrollTop) list.scrollTo({ top: Math.max(0, top - 24), behavior });
      else if (bottom > list.scrollTop + list.clientHeight) list.scrollTo({ top: bottom - list.clientHeight + 24, behavior });
    };
    const paint = (c: number) => {
      const rows = list.children;
      if (prev !== null && rows[prev]) rows[prev].removeAttribute('aria-current');
      const idx = c - 1 - lo;
      if (idx >= 0 && rows[idx]) {
        rows[idx].setAttribute('aria-current', 'step');
        prev = idx;
        if (frame === null) frame = requestAnimationFrame(scrollToCurrent);
      } else prev = null;
    };
    paint(store.getState().cursor);
    const unsub = store.subscribe((s, p) => {
      if (s.cursor !== p.cursor || s.steps !== p.steps) paint(s.cursor);
    });
    return () => {
      unsub();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [store, steps, reducedMotion, lo]);

  return (
    <div className="dv-narration">
      <div className="dv-now" data-testid="narration-current" aria-live="polite">
        {current ? (
          <>
            <div className="dv-now-meta">
              step {cursor} · op {current.op + 1} · {kindLabel(current)}
            </div>
            <div className="dv-now-text">{current.text}</div>
            {stack.length > 0 && <div className="dv-stack">in {stack.join(' › ')}</div>}
          </>
        ) : (
          <div className="dv-now-text">
            {steps.length ? 'The start: nothing has happened yet. Step forward (→) or press Space to play.' : 'Waiting for the engine…'}
          </div>
        )}
      </div>
      {lo > 0 && <div className="dv-log-more">{lo} earlier steps (step back, or use the timeline, to see them)</div>}
      <ol className="dv-log" ref={listRef} data-testid="narration-log" aria-label="Steps around the current one" start={lo + 1}>
        <Log steps={steps} lo={lo} hi={hi} onPick={seek} />
      </ol>
      {hi < steps.length && <div className="dv-log-more">{steps.length - hi} later steps</div>}
    </div>
  );
}
