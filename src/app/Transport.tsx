import { SPEEDS, useSimShallow, type Speed } from '../store';
import { ChapterPicker } from './Chapters';
import { Icon } from './icons';
import { Timeline } from './Timeline';

/**
 * Step and play controls, the scrubber, and where the cursor is. `minimal` (embeds) keeps the step
 * and play buttons and the position, without the speed, the start/end buttons and the scrubber.
 */
export function Transport({ variant = 'full' }: { variant?: 'full' | 'minimal' }) {
  const full = variant === 'full';
  const s = useSimShallow((st) => ({
    cursor: st.cursor,
    n: st.steps.length,
    opStarts: st.opStarts,
    playing: st.playing,
    speed: st.speed,
    ready: st.engineState === 'ready',
    stepBy: st.stepBy,
    stepOp: st.stepOp,
    home: st.home,
    end: st.end,
    togglePlay: st.togglePlay,
    setSpeed: st.setSpeed,
  }));
  const atStart = s.cursor <= 0;
  const atEnd = s.cursor >= s.n;
  // The op the current step belongs to (ops are numbered from 1 for people).
  const opIndex = s.opStarts.filter((start) => start < s.cursor).length;
  return (
    <div className="dv-transport" data-testid="transport" data-variant={variant}>
      <div className="dv-buttons">
        {full && (
          <button type="button" onClick={s.home} disabled={!s.ready || atStart} aria-label="Go to start (Home)" title="Start (Home)">
            <Icon name="start" />
          </button>
        )}
        <button type="button" onClick={() => s.stepOp(-1)} disabled={!s.ready || atStart} aria-label="Previous operation (Shift+Left)" title="Previous operation (Shift+←)">
          <Icon name="prevOp" />
        </button>
        <button type="button" onClick={() => s.stepBy(-1)} disabled={!s.ready || atStart} aria-label="Step back (Left)" title="Step back (←)" data-testid="step-back">
          <Icon name="back" />
        </button>
        <button
          type="button"
          onClick={s.togglePlay}
          disabled={!s.ready || s.n === 0}
          aria-label={s.playing ? 'Pause (Space)' : 'Play (Space)'}
          title={s.playing ? 'Pause (Space)' : 'Play (Space)'}
          data-testid="play"
          aria-pressed={s.playing}
        >
          <Icon name={s.playing ? 'pause' : 'play'} />
        </button>
        <button type="button" onClick={() => s.stepBy(1)} disabled={!s.ready || atEnd} aria-label="Step forward (Right)" title="Step forward (→)" data-testid="step-forward">
          <Icon name="forward" />
        </button>
        <button type="button" onClick={() => s.stepOp(1)} disabled={!s.ready || atEnd} aria-label="Next operation (Shift+Right)" title="Next operation (Shift+→)">
          <Icon name="nextOp" />
        </button>
        {full && (
          <button type="button" onClick={s.end} disabled={!s.ready || atEnd} aria-label="Go to end (End)" title="End (End)">
            <Icon name="end" />
          </button>
        )}
        {full && (
          <label className="dv-speed">
            speed
            <select value={s.speed} onChange={(e) => s.setSpeed(Number(e.target.value) as Speed)} aria-label="Playback speed" data-testid="speed">
              {SPEEDS.map((v) => (
                <option key={v} value={v}>
                  {v}×
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {full ? <Timeline /> : <span />}
      <div className="dv-position" data-testid="position" aria-live="off">
        step {s.cursor} / {s.n} · op {opIndex} / {s.opStarts.length}
      </div>
      <ChapterPicker />
    </div>
  );
}
