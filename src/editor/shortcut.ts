/**
 * The editor's keys. E (no modifier) opens and closes the pane from anywhere in the app except
 * where typing goes (inputs, the editor itself); the transport's keys (arrows, Space, Home, End,
 * Escape: src/app/keyboard.ts) are untouched. Inside the editor, Ctrl/Cmd+Enter runs the text.
 */
import { shortcutForKey, type KeyLike } from '../app/keyboard';

export const EDITOR_KEY_LABEL = 'E';
export const RUN_KEY_LABEL = 'Ctrl+Enter';

/** Whether a key press (outside text fields) opens or closes the editor. */
export function isEditorToggleKey(e: KeyLike): boolean {
  return shortcutForKey(e) === 'toggleEditor';
}
