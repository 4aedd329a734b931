import type { StateCreator } from 'zustand';
import type { ScenarioSpec } from '../worker/protocol';
import type { ScenarioSlice, SimState } from './types';

export const createScenarioSlice =
  (initial: ScenarioSpec): StateCreator<SimState, [], [], ScenarioSlice> =>
  (set, get) => ({
    scenario: initial,
    async setScenario(spec) {
      set({ scenario: spec, selectedNode: null, selected: null, hovered: null });
      await get().runScenario();
    },
  });
