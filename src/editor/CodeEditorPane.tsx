/**
 * The editor pane's contents (loaded lazily by EditorPane.tsx): the toolbar (Run, Reset, Drafts,
 * Close), notices, the CodeMirror 6 view and the status line. The view and the store's `editorText`
 * mirror each other: typing sets the store's text (which saves the draft), and a text replaced from
 * the store (Reset, a draft brought back, another scenario chosen) is dispatched into the view as
 * one undoable change, so Ctrl+Z brings the previous text back.
 */
import { rememberChoice } from '../app/choose';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { lintGutter, lintKeymap } from '@codemirror/lint';
import { Annotation, Compartment, EditorState, Prec, Transaction } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';
import { useSimShallow, useSimStore } from '../store';
import { isEditorAhead } from '../store/editor';
import { SCENARIO_CHOICES } from '../scenarios';
import { statusText, statusTitle } from './diagnose';
import { DraftsMenu } from './DraftsMenu';
import { scenarioLanguageSupport } from './language';
import { scenarioLinter } from './lint';
import { RUN_KEY_LABEL } from './shortcut';

/** Marks the view changes that came from the store, so they are not sent back to it. */
const fromStore = Annotation.define<boolean>();

/** Colours from the app's CSS variables, so the editor follows the light and dark themes. */
const editorTheme = EditorView.theme({
  '&': { height: '100%', backgroundColor: 'var(--surface)', color: 'var(--text)', fontSize: '13px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.45' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'var(--syn-active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--syn-active-line)', color: 'var(--text)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
    backgroundColor: 'var(--syn-selection)',
  },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '-2px' },
  '.cm-tooltip': { backgroundColor: 'var(--surface)', color: 'var(--text)', border: '1px solid var(--border)' },
  '.cm-diagnostic': { fontFamily: 'var(--sans)', maxWidth: '34em', whiteSpace: 'pre-wrap' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--error-border)' },
  // Underline and gutter marker without the default data: images (the page's CSP may refuse them).
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--error-border)', textUnderlineOffset: '3px' },
  '.cm-lintRange-error:empty::after': { content: '"\u2009"', textDecoration: 'underline wavy var(--error-border)' },
  '.cm-lint-marker-error': { content: 'normal', width: 'auto', height: 'auto' },
  '.cm-lint-marker-error::before': { content: '"✕"', color: 'var(--error-border)', fontWeight: '700' },
  '.cm-panels': { backgroundColor: 'var(--surface-2)', color: 'var(--text)' },
});

/** Below this pane width (CSS pixels) the toolbar drops the "(Ctrl+Z undoes)" hint. */
const NARROW_WIDTH = 420;

/** A built-in scenario's title from its name (drafts without a `# ` line are named by it). */
const builtinTitle = (name: string): string | null => SCENARIO_CHOICES.find((c) => c.name === name)?.title ?? null;

/**
 * Keep the cursor's line in view when the editor's height changes (a notice shown or dismissed, the
 * window resized): when it was in view before the change, or the editor has the focus, it is
 * scrolled back into view. Returns the cleanup.
 */
function keepCursorInView(view: EditorView, host: HTMLElement): () => void {
  let height = host.clientHeight;
  const ro = new ResizeObserver(() => {
    const h = host.clientHeight;
    if (h === height) return;
    const before = height;
    height = h;
    const head = view.state.selection.main.head;
    const block = view.lineBlockAt(head);
    const top = view.scrollDOM.scrollTop;
    const wasVisible = block.top >= top && block.bottom <= top + before;
    if (wasVisible || view.hasFocus) view.dispatch({ effects: EditorView.scrollIntoView(head, { y: 'nearest', yMargin: 8 }) });
  });
  ro.observe(host);
  return () => ro.disconnect();
}

/** Put the cursor on an error and show it. */
function goTo(view: EditorView, line: number, column: number) {
  const l = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
  const pos = Math.min(l.from + Math.max(column, 1) - 1, l.to);
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}

export default function CodeEditorPane({ focusOnMount }: { focusOnMount: boolean }) {
  const store = useSimStore();
  const st = useSimShallow((s) => ({
    text: s.editorText,
    readOnly: s.editorReadOnly,
    status: s.editorStatus,
    notice: s.editorNotice,
    roomNote: s.editorRoomNote,
    storageError: s.editorStorageError,
    drafts: s.editorDrafts,
    ahead: isEditorAhead(s),
    scenarioKind: s.scenario.kind,
    width: s.editorWidth,
  }));
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const readOnlyConf = useRef(new Compartment());
  const hasText = st.text !== null;

  /** Run the text; when it does not parse, go to the first error instead. */
  const run = () => {
    const view = viewRef.current;
    if (view) store.getState().setEditorText(view.state.doc.toString());
    const r = store.getState().runEditor();
    if (!r.ok && r.errors.length && view) goTo(view, r.errors[0].line, r.errors[0].column);
    // The address follows what runs: the text itself is not a named scenario (an embed's own
    // address is left alone).
    if (r.ok && !store.getState().embed) rememberChoice(r.spec, SCENARIO_CHOICES.some((c) => c === r.spec));
  };
  const runRef = useRef(run);
  useEffect(() => {
    runRef.current = run;
  });

  // The CodeMirror view: made once per text-bearing mount, mirrored with the store both ways.
  useEffect(() => {
    const host = hostRef.current;
    if (!host || !hasText) return;
    const s0 = store.getState();
    const view = new EditorView({
      parent: host,
      state: EditorState.create({
        doc: s0.editorText ?? '',
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          EditorView.lineWrapping,
          scenarioLanguageSupport(),
          lintGutter(),
          scenarioLinter((status) => store.getState().setEditorStatus(status)),
          Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (runRef.current(), true) }])),
          keymap.of([...defaultKeymap, ...historyKeymap, ...lintKeymap]),
          readOnlyConf.current.of([EditorState.readOnly.of(s0.editorReadOnly), EditorView.editable.of(!s0.editorReadOnly)]),
          EditorView.contentAttributes.of({ 'aria-label': 'Scenario text', 'data-testid': 'editor-text' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.some((t) => t.annotation(fromStore))) store.getState().setEditorText(u.state.doc.toString());
          }),
          editorTheme,
        ],
      }),
    });
    viewRef.current = view;
    if (focusOnMount) view.focus();
    const stopKeeping = keepCursorInView(view, host);
    const unsub = store.subscribe((s, prev) => {
      if (s.editorText !== prev.editorText && s.editorText !== null && s.editorText !== view.state.doc.toString()) {
        view.dispatch({
          changes: { from: 0, to: view.state.doc.length, insert: s.editorText },
          annotations: [fromStore.of(true), Transaction.userEvent.of('input.replace')],
        });
      }
      if (s.editorReadOnly !== prev.editorReadOnly) {
        view.dispatch({ effects: readOnlyConf.current.reconfigure([EditorState.readOnly.of(s.editorReadOnly), EditorView.editable.of(!s.editorReadOnly)]) });
      }
    });
    return () => {
      stopKeeping();
      unsub();
      viewRef.current = null;
      view.destroy();
    };
    // focusOnMount only matters when the view is made, so it is not a dependency.
  }, [store, hasText]);

  const status = st.status;
  const firstError = status.kind === 'errors' ? status.first : null;
  const { setEditorOpen, resetEditor, restoreDraft, dismissEditorNotice, dismissEditorRoomNote } = store.getState();

  return (
    // Narrow: the Reset hint is left to its tooltip, so the toolbar keeps one row.
    <div className="dv-editor" data-narrow={st.width < NARROW_WIDTH || undefined}>
      <div className="dv-editor-bar">
        <h2>Scenario</h2>
        {!st.readOnly && hasText && (
          <>
            <button
              type="button"
              className="dv-editor-run"
              onClick={run}
              disabled={firstError !== null}
              title={firstError ? 'Fix the errors first' : `Run this text (${RUN_KEY_LABEL})`}
              data-testid="editor-run"
            >
              ▶ Run
            </button>
            <button
              type="button"
              onClick={resetEditor}
              disabled={!st.ahead || st.scenarioKind !== 'machine'}
              title="Put back the text of the running scenario; Ctrl+Z undoes it, and your edits also go to Drafts"
              data-testid="editor-reset"
            >
              Reset <span className="dv-editor-hint">(Ctrl+Z undoes)</span>
            </button>
          </>
        )}
        {!st.readOnly && st.drafts.length > 0 && (
          <DraftsMenu
            drafts={st.drafts}
            baseTitle={builtinTitle}
            onRestore={(i) => {
              restoreDraft(i);
              viewRef.current?.focus();
            }}
          />
        )}
        <button type="button" className="dv-editor-close" onClick={() => setEditorOpen(false)} aria-label="Close the editor" title="Close the editor (E)">
          ✕
        </button>
      </div>
      {st.notice && (
        <p className="dv-editor-notice" data-kind={st.notice.kind} data-testid="editor-notice">
          <span>{st.notice.text}</span>
          <button type="button" onClick={dismissEditorNotice} aria-label="Dismiss">
            ✕
          </button>
        </p>
      )}
      {st.roomNote && (
        <p className="dv-editor-notice dv-editor-room" data-kind="info" data-testid="editor-room-note">
          <span title={st.roomNote}>{st.roomNote}</span>
          <button type="button" onClick={dismissEditorRoomNote} aria-label="Dismiss">
            ✕
          </button>
        </p>
      )}
      {st.storageError && (
        <p className="dv-editor-notice" data-kind="error" data-testid="editor-storage-error">
          <span>{st.storageError}</span>
        </p>
      )}
      {st.readOnly && hasText && <p className="dv-editor-notice" data-kind="info">Read-only: this view shows the scenario's text but cannot change it.</p>}
      {hasText ? (
        <div className="dv-editor-host" ref={hostRef} />
      ) : (
        <p className="dv-editor-empty" data-testid="editor-no-text">
          The XArray tour has no text form: it drives the XArray on its own, not the simulated machine that the scenario language
          describes. Choose a DAX scenario to see and edit its text{st.drafts.length > 0 && !st.readOnly ? ', or bring back a draft' : ''}.
        </p>
      )}
      {hasText && (
        <div
          className="dv-editor-status"
          data-kind={status.kind}
          role="status"
          title={status.kind === 'none' ? undefined : statusTitle(status) + (status.kind === 'ok' && st.ahead && !st.readOnly ? ' · edited, not run yet' : '')}
          data-testid="editor-status"
        >
          {firstError ? (
            <button type="button" className="dv-editor-goto" onClick={() => viewRef.current && goTo(viewRef.current, firstError.line, firstError.column)}>
              {statusText(status)}
            </button>
          ) : (
            <span>{status.kind === 'none' ? 'Checking…' : statusText(status)}</span>
          )}
          {status.kind === 'ok' && st.ahead && !st.readOnly && <span className="dv-editor-ahead"> · edited, not run yet</span>}
        </div>
      )}
    </div>
  );
}
