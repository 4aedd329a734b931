import { useSimShallow } from '../store';
import { EDITOR_KEY_LABEL } from './shortcut';

/** The header's "Edit" toggle for the scenario editor pane (`className` places it in a header). */
export function EditorButton({ className }: { className?: string } = {}) {
  const { open, toggle } = useSimShallow((s) => ({ open: s.editorOpen, toggle: s.toggleEditor }));
  return (
    <button
      type="button"
      className={className}
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
