import { useSimShallow } from '../store';
import { EDITOR_KEY_LABEL } from './shortcut';

/** The header's "Edit" toggle for the scenario editor pane. */
export function EditorButton() {
  const { open, toggle } = useSimShallow((s) => ({ open: s.editorOpen, toggle: s.toggleEditor }));
  return (
    <button
      type="button"
      aria-pressed={open}
      aria-keyshortcuts="e"
      onClick={toggle}
      title={`${open ? 'Close' : 'Open'} the scenario editor (${EDITOR_KEY_LABEL})`}
      data-testid="editor-toggle"
    >
      ✎ Edit
    </button>
  );
}
