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
  /**
   * The narrowest the panel may get (px) while expanded, however the row's fractions fall: text
   * panels become unreadable below it (for example beside the open editor at 1280 px).
   */
  minWidth?: number;
}
