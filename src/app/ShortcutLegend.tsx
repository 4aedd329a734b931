import { SHORTCUTS } from './keyboard';

/** Always-visible list of the keyboard shortcuts (from the same table the key handler uses). */
export function ShortcutLegend() {
  return (
    <footer className="dv-legend" aria-label="Keyboard shortcuts" data-testid="shortcut-legend">
      {SHORTCUTS.map((s) => (
        <span key={s.action}>
          <kbd>{s.keys}</kbd>
          {s.label}
        </span>
      ))}
      <span>Click a line in the narration to jump to that step.</span>
    </footer>
  );
}
