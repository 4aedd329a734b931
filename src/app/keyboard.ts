/**
 * Keyboard shortcuts: a pure mapping from a key event to an action, shared by the key handler and
 * the on-screen legend so the two can never disagree.
 */

export type TransportAction = 'stepBack' | 'stepForward' | 'opBack' | 'opForward' | 'togglePlay' | 'home' | 'end';
/**
 * Every shortcut: the transport actions, Escape (clears the cross-panel selection) and E (opens
 * or closes the scenario editor, src/editor/).
 */
export type ShortcutAction = TransportAction | 'clearSelection' | 'toggleEditor';

export interface Shortcut {
  action: ShortcutAction;
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
  { action: 'clearSelection', keys: 'Esc', label: 'clear selection' },
  { action: 'toggleEditor', keys: 'E', label: 'editor' },
];

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** The shortcut for a key press, or null (modified keys other than Shift belong to the browser). */
export function shortcutForKey(e: KeyLike): ShortcutAction | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  switch (e.key) {
    case 'Escape':
    case 'Esc':
      return 'clearSelection';
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
    case 'e':
    case 'E':
      return 'toggleEditor';
    default:
      return null;
  }
}

/** The transport action for a key press, or null (Escape, E and keys that are not shortcuts). */
export function actionForKey(e: KeyLike): TransportAction | null {
  const a = shortcutForKey(e);
  return a === 'clearSelection' || a === 'toggleEditor' ? null : a;
}
