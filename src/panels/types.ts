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
}
