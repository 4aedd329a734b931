/**
 * Keyboard shortcuts: a pure mapping from a key event to a transport action, shared by the key
 * handler and the on-screen legend so the two can never disagree.
 */

export type TransportAction = 'stepBack' | 'stepForward' | 'opBack' | 'opForward' | 'togglePlay' | 'home' | 'end';

export interface Shortcut {
  action: TransportAction;
  /** how the legend writes the keys */
  keys: string;
  label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'stepBack', keys: '←', label: 'step back' },
  { action: 'stepForward', keys: '→', label: 'step forward' },
  { action: 'opBack', keys: 'Shift+←', label: 'previous operation' },
  { action: 'opForward', keys: 'Shift+→', label: 'next operation' },
  { action: 'togglePlay', keys: 'Space', label: 'play / pause' },
  { action: 'home', keys: 'Home', label: 'start' },
  { action: 'end', keys: 'End', label: 'end' },
];

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** The action for a key press, or null (modified keys other than Shift belong to the browser). */
export function actionForKey(e: KeyLike): TransportAction | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  switch (e.key) {
    case 'ArrowLeft':
      return e.shiftKey ? 'opBack' : 'stepBack';
    case 'ArrowRight':
      return e.shiftKey ? 'opForward' : 'stepForward';
    case ' ':
    case 'Spacebar':
      return e.shiftKey ? null : 'togglePlay';
    case 'Home':
      return 'home';
    case 'End':
      return 'end';
    default:
      return null;
  }
}
