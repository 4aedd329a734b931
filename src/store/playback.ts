import type { StateCreator } from 'zustand';
import type { PlaybackSlice, SimState } from './types';

/** The operation boundaries of a trace, ascending: each op's first step, then the end. */
export function boundaries(opStarts: readonly number[], nSteps: number): number[] {
  const b = opStarts.filter((s) => s > 0);
  b.unshift(0);
  if (b[b.length - 1] !== nSteps) b.push(nSteps);
  return b;
}

export const createPlaybackSlice: StateCreator<SimState, [], [], PlaybackSlice> = (set, get) => ({
  cursor: 0,
  playing: false,
  speed: 1,
  seek(cursor) {
    const n = get().steps.length;
    set({ cursor: Math.max(0, Math.min(n, Math.round(cursor))) });
  },
  stepBy(delta) {
    get().seek(get().cursor + delta);
  },
  stepOp(direction) {
    const { cursor, opStarts, steps } = get();
    const b = boundaries(opStarts, steps.length);
    const next = direction > 0 ? b.find((x) => x > cursor) : [...b].reverse().find((x) => x < cursor);
    if (next !== undefined) get().seek(next);
  },
  home() {
    get().seek(0);
  },
  end() {
    get().seek(get().steps.length);
  },
  setPlaying(on) {
    const { cursor, steps } = get();
    // Playing from the end starts over, as a media player does.
    if (on && cursor >= steps.length) set({ cursor: 0 });
    set({ playing: on && steps.length > 0 });
  },
  togglePlay() {
    get().setPlaying(!get().playing);
  },
  setSpeed(s) {
    set({ speed: s });
  },
});
