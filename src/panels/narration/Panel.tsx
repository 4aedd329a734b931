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
import { chaptersOf, useSim, useSimShallow, useSimStore } from '../../store';
import type { PanelProps } from '../types';
import './narration.css';

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

/** What starts at a boundary: the operation whose op step comes next, and the chapter it opens. */
export interface UpNext {
  /** the op's index (from 0) */
  op: number;
  /** the op step: its text is the operation's narration */
  step: Step;
  /** the chapter that starts with this op, if any: its number (from 1) and title */
  chapter: { n: number; of: number; title: string } | null;
}

/**
 * The operation about to start when the cursor sits exactly on a boundary (cursor === opStarts[k]):
 * there the current step is the end of the previous operation, so the panel also says what comes
 * next. Null anywhere else, and at the end of the trace.
 */
export function upNextAt(cursor: number, steps: readonly Step[], opStarts: readonly number[], chapters: readonly { index: number; title: string }[]): UpNext | null {
  const k = opStarts.indexOf(cursor);
  if (k < 0 || cursor >= steps.length) return null;
  const step = steps[cursor];
  const c = chapters.findIndex((ch) => ch.index === k);
  return { op: k, step, chapter: c >= 0 ? { n: c + 1, of: chapters.length, title: chapters[c].title } : null };
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
  const { steps, seek, opStarts, chapters } = useSimShallow((s) => ({
    steps: s.steps,
    seek: s.seek,
    opStarts: s.opStarts,
    chapters: chaptersOf(s),
  }));
  const cursor = useSim((s) => s.cursor);
  const listRef = useRef<HTMLOListElement>(null);
  const current = cursor > 0 ? steps[cursor - 1] : undefined;
  const stack = useMemo(() => callStackAt(steps, cursor - 1), [steps, cursor]);
  const next = upNextAt(cursor, steps, opStarts, chapters);
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
      const rows = list.children;
      const topOf = (i: number) => (rows[i] as HTMLElement).offsetTop;
      const top = row.offsetTop;
      const bottom = top + row.offsetHeight;
      const view = list.clientHeight;
      let target: number | null = null;
      // The list scrolls so that its first visible row is a whole one (a row cut in half at the
      // top reads as if it ran under the banner above the list), with a little context around
      // the current row: one row above it when going back, as many rows as fit when going on.
      if (top < list.scrollTop) target = prev > 0 ? topOf(prev - 1) : 0;
      else if (bottom > list.scrollTop + view) {
        const end = Math.min(bottom + 8, list.scrollHeight);
        let first = prev;
        while (first > 0 && end - topOf(first - 1) <= view) first--;
        target = first > 0 ? topOf(first) : 0;
      }
      if (target === null) return;
      // Glide over a short distance; a jump of more than a screenful (End, Home, the timeline)
      // lands at once, instead of scrolling past hundreds of rows for a long time.
      const far = Math.abs(target - list.scrollTop) > list.clientHeight;
      list.scrollTo({ top: target, behavior: reducedMotion || far ? 'instant' : 'smooth' });
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
      <div className="dv-now" data-testid="narration-current" aria-live="polite" data-boundary={next ? 'true' : undefined}>
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
        {next && (
          <div className="dv-next" data-testid="narration-next">
            {next.chapter && (
              <div className="dv-next-chapter" data-testid="narration-next-chapter">
                Chapter {next.chapter.n}/{next.chapter.of}: {next.chapter.title}
              </div>
            )}
            <div className="dv-now-meta">
              Next: op {next.op + 1}
              {next.step.t === 'op' ? ` · ${next.step.name}` : ''}
            </div>
            <div className="dv-next-text">{next.step.text}</div>
          </div>
        )}
      </div>
      {lo > 0 && (
        <div className="dv-log-more" title="Step back, or use the timeline, to see them">
          {lo} earlier steps above
        </div>
      )}
      <ol className="dv-log" ref={listRef} data-testid="narration-log" aria-label="Steps around the current one" start={lo + 1}>
        <Log steps={steps} lo={lo} hi={hi} onPick={seek} />
      </ol>
      {hi < steps.length && <div className="dv-log-more">{steps.length - hi} later steps</div>}
    </div>
  );
}
