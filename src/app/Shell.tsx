/**
 * The app shell: theme, keyboard, header, notices, transport, panels and the shortcut legend. Key
 * handling and theming are scoped to this element, not the document, so two shells can share a page.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { EditorPane } from '../editor/EditorPane';
import { isEditorToggleKey } from '../editor/shortcut';
import { useSim, useSimStore } from '../store';
import { EmbedHeader } from './EmbedHeader';
import { Header } from './Header';
import { actionForKey, type TransportAction } from './keyboard';
import { Notices } from './Notices';
import { PanelGrid } from './PanelGrid';
import { ShortcutLegend } from './ShortcutLegend';
import { usePrefersDark, usePrefersReducedMotion } from './theme';
import { Transport } from './Transport';

/** Elements that keep their own keys (typing, choosing, sliding). */
function ownsKeys(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
}

/** What the key handler reads of a key event (React's, or the document's). */
type KeyEvent = Pick<globalThis.KeyboardEvent, 'key' | 'shiftKey' | 'altKey' | 'ctrlKey' | 'metaKey' | 'target' | 'defaultPrevented' | 'preventDefault'>;

/** Elements that Space presses (buttons, links, summaries): Space is theirs, not play/pause. */
function pressedBySpace(el: EventTarget | null): boolean {
  return el instanceof HTMLElement && (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) || el.getAttribute('role') === 'button');
}

export function Shell({ debug, notices }: { debug: boolean; notices?: ReactNode }) {
  const store = useSimStore();
  const chosen = useSim((s) => s.theme);
  const editorOpen = useSim((s) => s.editorOpen);
  const prefersDark = usePrefersDark();
  const reducedMotion = usePrefersReducedMotion();
  const theme = chosen ?? (prefersDark ? 'dark' : 'light');
  const embed = useSim((s) => s.embed);
  const rootRef = useRef<HTMLDivElement>(null);

  // Keys go to the shell when nothing inside it has focus yet.
  useEffect(() => {
    rootRef.current?.focus({ preventScroll: true });
  }, []);


  const onKeyDown = (e: KeyEvent) => {
    if (e.defaultPrevented || ownsKeys(e.target)) return;
    if (e.key === ' ' && pressedBySpace(e.target)) return;
    if (e.key === 'Escape') {
      // Escape forgets the cross-panel selection (src/store/selection.ts).
      store.getState().clearSelection();
      return;
    }
    // A read-only embed has no editor.
    if (isEditorToggleKey(e) && !embed?.readOnly) {
      // E opens or closes the scenario editor (src/editor/shortcut.ts).
      e.preventDefault();
      store.getState().toggleEditor();
      return;
    }
    const action = actionForKey(e);
    // An embed without controls is a still picture: its keys do nothing.
    if (!action || embed?.controls === 'none') return;
    e.preventDefault();
    const s = store.getState();
    if (s.engineState !== 'ready') return;
    const run: Record<TransportAction, () => void> = {
      stepBack: () => s.stepBy(-1),
      stepForward: () => s.stepBy(1),
      opBack: () => s.stepOp(-1),
      opForward: () => s.stepOp(1),
      togglePlay: () => s.togglePlay(),
      home: () => s.home(),
      end: () => s.end(),
    };
    run[action]();
  };

  // When focus is on nothing (the element that had it went away), the page's keys still reach the
  // shell, if it is the only one on the page (two visualizers on one page each keep their own).
  const keyHandler = useRef(onKeyDown);
  useEffect(() => {
    keyHandler.current = onKeyDown;
  });
  useEffect(() => {
    const onDocKey = (e: globalThis.KeyboardEvent) => {
      if (document.activeElement !== document.body && document.activeElement !== null) return;
      if (document.querySelectorAll('.dv-app').length !== 1) return;
      keyHandler.current(e);
    };
    document.addEventListener('keydown', onDocKey);
    return () => document.removeEventListener('keydown', onDocKey);
  }, []);

  return (
    <div
      className="dv-app"
      data-theme={theme}
      data-motion={reducedMotion ? 'reduce' : 'full'}
      data-editor={editorOpen ? 'open' : undefined}
      ref={rootRef}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      // Space on a focused button fires its click on key-up; the keydown above already acted.
      onKeyUp={(e) => {
        if (e.key === ' ' && !ownsKeys(e.target) && !pressedBySpace(e.target)) e.preventDefault();
      }}
      data-testid="app"
    >
      {embed ? <EmbedHeader /> : <Header theme={theme} />}
      <Notices debug={debug}>{notices}</Notices>
      {embed?.controls !== 'none' && <Transport variant={embed && embed.controls !== 'full' ? 'minimal' : 'full'} />}
      <EditorPane />
      <PanelGrid reducedMotion={reducedMotion} />
      {!embed && <ShortcutLegend />}
    </div>
  );
}
