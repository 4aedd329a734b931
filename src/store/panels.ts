import type { StateCreator } from 'zustand';
import type { PanelId, PanelView, PanelsSlice, SimState } from './types';

export const DEFAULT_PANELS: Record<PanelId, PanelView> = {
  xarray: { visible: true, collapsed: false, size: 2 },
  narration: { visible: true, collapsed: false, size: 1 },
  files: { visible: true, collapsed: false, size: 1 },
  pagetables: { visible: true, collapsed: false, size: 1 },
  callpath: { visible: true, collapsed: false, size: 1 },
  device: { visible: true, collapsed: false, size: 1.6 },
  structpage: { visible: true, collapsed: false, size: 1 },
};

/** Panel sizes are grid fractions, kept within these bounds so no panel vanishes by resizing. */
export const MIN_PANEL_SIZE = 0.5;
export const MAX_PANEL_SIZE = 4;

export const createPanelsSlice: StateCreator<SimState, [], [], PanelsSlice> = (set) => ({
  panels: structuredClone(DEFAULT_PANELS),
  theme: null,
  setPanel(id, patch) {
    set((s) => {
      const next = { ...s.panels[id], ...patch };
      next.size = Math.max(MIN_PANEL_SIZE, Math.min(MAX_PANEL_SIZE, next.size));
      return { panels: { ...s.panels, [id]: next } };
    });
  },
  toggleCollapsed(id) {
    set((s) => ({ panels: { ...s.panels, [id]: { ...s.panels[id], collapsed: !s.panels[id].collapsed } } }));
  },
  setTheme(t) {
    set({ theme: t });
  },
});
