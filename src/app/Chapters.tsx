import { chaptersOf, useSimShallow } from '../store';


/** Where each chapter starts, as a cursor: before its first operation (the end of the trace for a trailing marker). */
export function chapterStarts(chapters: readonly { index: number }[], opStarts: readonly number[], nSteps: number): number[] {
  return chapters.map((c) => opStarts[c.index] ?? nSteps);
}

/**
 * The chapters of a tour: which one the cursor is in, and a picker that jumps to the start of
 * another. Shown only for scenarios that have chapter markers (`## Title` lines).
 */
export function ChapterPicker() {
  const { chapters, opStarts, n, cursor, seek, ready } = useSimShallow((s) => ({
    chapters: chaptersOf(s),
    opStarts: s.opStarts,
    n: s.steps.length,
    cursor: s.cursor,
    seek: s.seek,
    ready: s.engineState === 'ready',
  }));
  if (chapters.length === 0) return null;
  const starts = chapterStarts(chapters, opStarts, n);
  // The chapter the cursor is in: the last one starting at or before it (the first before any starts).
  let current = 0;
  starts.forEach((at, i) => {
    if (at <= cursor) current = i;
  });
  return (
    <label className="dv-chapter" title="Chapters of this tour: choose one to jump to its start">
      <span className="dv-sr-only">Chapter</span>
      <select value={current} disabled={!ready} onChange={(e) => seek(starts[Number(e.target.value)])} data-testid="chapter-picker" aria-label="Chapter">
        {chapters.map((c, i) => (
          <option key={i} value={i}>
            {i + 1}/{chapters.length}: {c.title}
          </option>
        ))}
      </select>
    </label>
  );
}
