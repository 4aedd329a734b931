import type { StateCreator } from 'zustand';
import type { SelectionSlice, SimState } from './types';

export const createSelectionSlice: StateCreator<SimState, [], [], SelectionSlice> = (set) => ({
  selectedNode: null,
  selectNode(id) {
    set({ selectedNode: id });
  },
});
