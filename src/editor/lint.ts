/**
 * The editor's inline diagnostics: a CodeMirror lint source over diagnose() (the parser and the
 * engine's scenario validation), run LINT_DELAY_MS after typing stops. Each run also reports the
 * status-line summary through `onStatus`.
 */
import { linter, type Diagnostic } from '@codemirror/lint';
import type { Extension } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { diagnose, type EditorStatus } from './diagnose';

export const LINT_DELAY_MS = 300;

/** The diagnostics for a document's text (also what the unit tests check). */
export function scenarioDiagnostics(text: string): { diagnostics: Diagnostic[]; status: EditorStatus } {
  const d = diagnose(text);
  return {
    diagnostics: d.diagnostics.map((x) => ({ from: x.from, to: x.to, severity: 'error', source: `line ${x.line}, column ${x.column}`, message: x.message })),
    status: d.status,
  };
}

export function scenarioLinter(onStatus: (s: EditorStatus) => void): Extension {
  return linter(
    (view: EditorView) => {
      const r = scenarioDiagnostics(view.state.doc.toString());
      onStatus(r.status);
      return r.diagnostics;
    },
    { delay: LINT_DELAY_MS },
  );
}
