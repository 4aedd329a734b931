import type { ComponentType } from 'react';
import type { PanelId } from '../store';

/** What every panel component receives from the shell. */
export interface PanelProps {
  /** prefers-reduced-motion: panels must not animate when true */
  reducedMotion: boolean;
}

export interface PanelDef {
  id: PanelId;
  title: string;
  Component: ComponentType<PanelProps>;
  /** Which row of the panel grid the panel sits in (0, the default, is the top row). */
  row?: 0 | 1;
}
