/**
 * Opening a share link in the app: which scenario to start with, the panels to restore, and the
 * step to go to once the first trace has arrived. No DOM: main.tsx hands in the fragment.
 */
import type { PanelId, SimStore } from '../store';
import type { ScenarioSpec } from '../worker/protocol';
import { decodeShare, isShareFragment, type SharedState } from './codec';
import { outsideName } from '../scenarios';

export type ShareOpening = { kind: 'none' } | { kind: 'ok'; state: SharedState; spec: ScenarioSpec } | { kind: 'error'; message: string; newer: boolean };

/** What the address's fragment asks for: nothing, a shared scenario, or a notice to show. */
export function readShareFragment(hash: string): ShareOpening {
  if (!hash || hash === '#' || !isShareFragment(hash)) return { kind: 'none' };
  const r = decodeShare(hash);
  if ('error' in r) return { kind: 'error', message: r.error, newer: r.newer === true };
  const s = r.state;
  return {
    kind: 'ok',
    state: s,
    spec: { v: 1, kind: 'machine', name: outsideName(s.name ?? 'shared', s.scenarioText), title: s.title ?? 'Shared scenario', scenario: s.scenario, chapters: s.chapters, text: s.scenarioText },
  };
}

/**
 * Restore the shared panels now and move to the shared step when the first complete trace is in
 * (the run itself starts the cursor at 0). The step is clamped to the trace's length by seek().
 */
export function applySharedState(store: SimStore, state: SharedState): void {
  store.setState({ panels: structuredClone(state.panels) });
  openAtStep(store, state.step);
}

/** Move to `step` (clamped to the trace) once the first complete trace of the current scenario is in. */
export function openAtStep(store: SimStore, step: number): void {
  const spec = store.getState().scenario;
  const unsub = store.subscribe((s, prev) => {
    // Only the run of the scenario the link opened: another one chosen first, or a failed run,
    // ends the wait without moving.
    if (s.scenario !== spec || s.engineState === 'failed') {
      unsub();
      return;
    }
    if (s.engineState === 'ready' && prev.engineState !== 'ready') {
      unsub();
      s.seek(Math.min(step, s.steps.length));
    }
  });
}

/**
 * An embed shows only the panels it names (expanded), whatever a share link's layout said; the
 * others are hidden, not collapsed, so they take no room.
 */
export function applyEmbedPanels(store: SimStore, only: readonly PanelId[]): void {
  const panels = structuredClone(store.getState().panels);
  for (const id of Object.keys(panels) as PanelId[]) panels[id] = { ...panels[id], visible: only.includes(id), collapsed: false };
  store.setState({ panels });
}
