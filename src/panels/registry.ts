/**
 * The panels the shell can show, in display order. To add a panel: write src/panels/<name>/Panel.tsx
 * (a component taking PanelProps), add its id to PanelId and DEFAULT_PANELS in src/store, and list it
 * here. See docs/app.md.
 */
import { NarrationPanel } from './narration/Panel';
import type { PanelDef } from './types';
import { XArrayPanel } from './xarray/Panel';

export const PANELS: readonly PanelDef[] = [
  { id: 'xarray', title: 'XArray', Component: XArrayPanel },
  { id: 'narration', title: 'Narration', Component: NarrationPanel },
];
