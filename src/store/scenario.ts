import type { StateCreator } from 'zustand';
import type { ScenarioSpec } from '../worker/protocol';
import type { Chapter } from '../engine/lang';
import type { ScenarioSlice, SimState } from './types';

/** The chapters of a scenario without any: one shared empty list, so store selectors stay stable. */
const NO_CHAPTERS: readonly Chapter[] = [];

/**
 * The chapters of the trace on screen: the scenario's, once its run is ready (while another run
 * is in progress the steps on screen are the previous scenario's).
 */
export function chaptersOf(s: Pick<SimState, 'engineState' | 'scenario'>): readonly Chapter[] {
  return (s.engineState === 'ready' && s.scenario.kind === 'machine' ? s.scenario.chapters : undefined) ?? NO_CHAPTERS;
}

export const createScenarioSlice =
  (initial: ScenarioSpec): StateCreator<SimState, [], [], ScenarioSlice> =>
  (set, get) => ({
    scenario: initial,
    async setScenario(spec) {
      set({ scenario: spec, selectedNode: null, selected: null, hovered: null });
      await get().runScenario();
    },
  });
