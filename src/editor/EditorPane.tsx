/**
 * The scenario editor's side pane, left of the panel grid. This part is small and always loaded;
 * the CodeMirror editor inside it (CodeEditorPane.tsx) is fetched with import() the first time the
 * pane opens, so the app's first render does not pay for it. The pane's right edge resizes it (drag,
 * or focus it and use ←/→).
 */
import { trackDrag } from '../app/drag';
import { lazy, Suspense, useEffect, useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { useSimShallow, useSimStore } from '../store';
import { EDITOR_MAX_WIDTH, EDITOR_MIN_WIDTH } from '../store/editor';
import './editor.css';

const CodeEditorPane = lazy(() => import('./CodeEditorPane'));

export function EditorPane() {
  const store = useSimStore();
  const { open, width, setWidth } = useSimShallow((s) => ({ open: s.editorOpen, width: s.editorWidth, setWidth: s.setEditorWidth }));
  // Focus the editor when the user opens it, not when a restored draft opens it at load (keys
  // must then still go to the transport).
  const wasOpen = useRef(open);
  const focusOnMount = open && !wasOpen.current;
  useEffect(() => {
    wasOpen.current = open;
  }, [open]);

  // A draft typed just before the page goes away is written at once.
  useEffect(() => {
    const flush = () => store.getState().flushEditorDraft();
    // (A hidden tab may never come back, on mobile browsers in particular.)
    const hidden = () => {
      if (document.visibilityState === 'hidden') flush();
    };
    addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', hidden);
    return () => {
      removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', hidden);
    };
  }, [store]);

  if (!open) return null;

  const startDrag = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const x0 = e.clientX;
    const w0 = store.getState().editorWidth;
    trackDrag(e.currentTarget, e.pointerId, (ev) => setWidth(w0 + ev.clientX - x0));
  };
  const keyResize = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    // The separator owns the arrows while focused; they must not also step the simulation.
    e.preventDefault();
    e.stopPropagation();
    setWidth(width + (e.key === 'ArrowRight' ? 20 : -20));
  };

  return (
    <aside className="dv-editor-pane" style={{ width }} aria-label="Scenario editor" data-testid="editor-pane">
      <Suspense fallback={<p className="dv-editor-loading">Loading the editor…</p>}>
        <CodeEditorPane focusOnMount={focusOnMount} />
      </Suspense>
      <div
        className="dv-editor-resizer"
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize the editor"
        aria-valuemin={EDITOR_MIN_WIDTH}
        aria-valuemax={EDITOR_MAX_WIDTH}
        aria-valuenow={width}
        tabIndex={0}
        onPointerDown={startDrag}
        onKeyDown={keyResize}
      />
    </aside>
  );
}
