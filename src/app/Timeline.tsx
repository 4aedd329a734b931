import { useMemo } from 'react';
import { boundaries, CATEGORIES, CATEGORY_LABEL, chaptersOf, useSimShallow } from '../store';
import { chapterStarts } from './Chapters';
import { CategoryGlyph } from './glyphs';

/** Inset so that marker positions line up with the range input's thumb travel. */
const THUMB_INSET = 8;

/**
 * The scrubber: a range input (keyboard- and screen-reader-friendly) under a strip of markers, one
 * per operation and step category, plus a faint tick at each operation boundary.
 */
export function Timeline() {
  const { cursor, n, markers, opStarts, seek, chapters } = useSimShallow((s) => ({
    cursor: s.cursor,
    n: s.steps.length,
    markers: s.markers,
    opStarts: s.opStarts,
    seek: s.seek,
    chapters: chaptersOf(s),
  }));
  const chapterAt = useMemo(() => chapterStarts(chapters, opStarts, n), [chapters, opStarts, n]);
  const ticks = useMemo(() => boundaries(opStarts, n), [opStarts, n]);
  const pct = (at: number) => `${n ? (at / n) * 100 : 0}%`;
  const present = useMemo(() => CATEGORIES.filter((c) => markers.some((m) => m.category === c)), [markers]);
  return (
    <>
      <div className="dv-timeline">
        <svg style={{ left: THUMB_INSET, width: `calc(100% - ${2 * THUMB_INSET}px)` }} aria-hidden="true">
          {ticks.map((t) => (
            <line key={`t${t}`} className="dv-op-tick" x1={pct(t)} x2={pct(t)} y1={2} y2={18} />
          ))}
          {chapterAt.map((at, i) => (
            <line key={`c${i}`} className="dv-chapter-tick" x1={pct(at)} x2={pct(at)} y1={0} y2={20}>
              <title>{`Chapter ${i + 1}: ${chapters[i].title}`}</title>
            </line>
          ))}
          {markers.map((m) => (
            <svg key={`${m.category}:${m.at}`} x={pct(m.at)} y={9} overflow="visible">
              <g className="dv-marker" data-cat={m.category} onClick={() => seek(m.at)}>
                <title>{`${CATEGORY_LABEL[m.category]} at step ${m.at}: ${m.text}`}</title>
                <CategoryGlyph cat={m.category} />
              </g>
            </svg>
          ))}
        </svg>
        <input
          type="range"
          min={0}
          max={n}
          step={1}
          value={cursor}
          onChange={(e) => seek(Number(e.target.value))}
          aria-label="Step"
          aria-valuetext={`step ${cursor} of ${n}`}
          data-testid="scrubber"
        />
      </div>
      {present.length > 0 && (
        <div className="dv-marker-legend" data-testid="marker-legend">
          {present.map((c) => (
            <span key={c}>
              <svg width="10" height="10" viewBox="-5 -5 10 10" className="dv-timeline" aria-hidden="true">
                <g className="dv-marker" data-cat={c}>
                  <CategoryGlyph cat={c} />
                </g>
              </svg>
              {CATEGORY_LABEL[c]}
            </span>
          ))}
        </div>
      )}
    </>
  );
}
