import { useId, useState } from 'react';
import { SCENARIO_CHOICES } from '../scenarios';
import { topicIndex } from '../scenarios/library';
import { useSim } from '../store';
import { rememberChoice } from './choose';
import { usePopover } from './usePopover';

/**
 * "Library": the guided tours by topic. Each topic of the seeds and the kernel model lists the
 * tours that teach it (a tour can teach several); choosing one runs it from the start.
 */
export function Library() {
  const setScenario = useSim((s) => s.setScenario);
  const current = useSim((s) => s.scenario.name);
  const { open, toggle, close, triggerRef, panelRef } = usePopover();
  const headingId = useId();
  const [filter, setFilter] = useState('');
  // Every word typed must appear in the topic's title, or in the tour's name, title or summary.
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (...texts: string[]) => {
    const hay = texts.join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  };
  const index = topicIndex()
    .map(({ topic, tours }) => ({ topic, tours: matches(topic.title) ? tours : tours.filter((t) => matches(t.name, t.title, t.summary)) }))
    .filter((e) => e.tours.length > 0);
  const choose = (name: string) => {
    const spec = SCENARIO_CHOICES.find((c) => c.name === name);
    if (!spec) return;
    rememberChoice(spec, true);
    close();
    void setScenario(spec);
  };
  return (
    <span className="dv-pop-anchor">
      <button type="button" ref={triggerRef} onClick={toggle} aria-expanded={open} data-testid="library-button" title="Guided tours, by topic">
        Library
      </button>
      {open && (
        <div className="dv-popover dv-library" role="dialog" aria-labelledby={headingId} data-testid="library" ref={panelRef}>
          <div className="dv-pop-row dv-pop-head">
            <strong id={headingId}>Guided tours by topic</strong>
            <span className="dv-muted">each tour runs in chapters; read the narration and step with → and Shift+→</span>
            <button type="button" onClick={() => close()} aria-label="Close the library" data-testid="library-close">
              ✕
            </button>
            <input
              type="search"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              placeholder="Filter: pmd, fsync, reflink, poison…"
              aria-label="Filter the tours"
              data-testid="library-filter"
              data-autofocus
            />
          </div>
          {index.length === 0 && <p className="dv-muted">No tour matches “{filter}”.</p>}
          <ol className="dv-topics">
            {index.map(({ topic, tours }) => (
              <li key={topic.id} data-testid={`topic-${topic.id}`}>
                <div className="dv-topic-title" title={`From ${topic.sources.join('; ')}`}>
                  {topic.title}
                </div>
                <ul>
                  {tours.map((t) => (
                    <li key={t.name}>
                      <button
                        type="button"
                        className="dv-tour"
                        aria-current={t.name === current ? 'true' : undefined}
                        onClick={() => choose(t.name)}
                        data-testid={`tour-${topic.id}-${t.name}`}
                      >
                        <span className="dv-tour-title">
                          {t.title}
                          {t.name === current && <span className="dv-tour-now"> · showing now</span>}
                        </span>
                        <span className="dv-muted">
                          {t.summary} ({t.chapters.length} chapters, {t.scenario.ops.length} operations)
                        </span>
                      </button>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        </div>
      )}
    </span>
  );
}
