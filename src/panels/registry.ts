/**
 * The panels the shell can show, in display order within each of the grid's two rows (`row`). To add a panel: write src/panels/<name>/Panel.tsx
 * (a component taking PanelProps), add its id to PanelId and DEFAULT_PANELS in src/store, and list it
 * here. See docs/app.md.
 */
import { CallPathPanel } from './callpath/Panel';
import { FilesPanel } from './files/Panel';
import { DevicePanel } from './device/Panel';
import { NarrationPanel } from './narration/Panel';
import { StructPagePanel } from './structpage/Panel';
import { PageTablesPanel } from './pagetables/Panel';
import type { PanelDef } from './types';
import { XArrayPanel } from './xarray/Panel';

export const PANELS: readonly PanelDef[] = [
  { id: 'xarray', title: 'XArray', Component: XArrayPanel },
  { id: 'narration', title: 'Narration', Component: NarrationPanel, minWidth: 260 },
  { id: 'device', title: 'Memory: pmem and DRAM pages', Component: DevicePanel },
  { id: 'files', title: 'Files and extents', Component: FilesPanel, row: 1 },
  { id: 'pagetables', title: 'Page tables', Component: PageTablesPanel, row: 1 },
  { id: 'structpage', title: 'struct page', Component: StructPagePanel, row: 1 },
  { id: 'callpath', title: 'Call path', Component: CallPathPanel, row: 1 },
];
