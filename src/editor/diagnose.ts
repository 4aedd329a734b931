/**
 * What the editor says about a text: parse() errors placed at their line and column (with the
 * document offsets CodeMirror needs), and a one-line summary for the status line. parse() also runs
 * validateScenario, the check Machine.create makes before building a machine, and reports its
 * errors at the line of the operation (or machine line) concerned, so a text that gets through here
 * is one the engine accepts. Pure: no CodeMirror, no DOM.
 */
import { parse, type LangError } from '../engine/lang';
import type { Chapter } from '../engine/lang';
import type { Scenario } from '../engine/ops';

export interface TextDiagnostic {
  /** 1-based, as parse() reports them */
  line: number;
  column: number;
  /** document offsets of the marked range (from === to when the error is at the end of a line) */
  from: number;
  to: number;
  message: string;
}

export type EditorStatus =
  | { kind: 'ok'; ops: number; chapters: number }
  | { kind: 'errors'; count: number; first: LangError }
  /** no text to check (the XArray tour) */
  | { kind: 'none' };

export type Diagnosis =
  | { ok: true; scenario: Scenario; chapters: Chapter[]; diagnostics: []; status: EditorStatus }
  | { ok: false; diagnostics: TextDiagnostic[]; status: EditorStatus };

/** The offset of each line's first character (lines split at '\n'; a trailing '\r' stays in its line). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Where an error points in the document: from its column to the end of the word there (a quoted
 * string counts as one word), within its line; at the line's end for an error past it.
 */
export function errorRange(text: string, starts: readonly number[], line: number, column: number): { from: number; to: number } {
  const li = Math.min(Math.max(line, 1), starts.length) - 1;
  const start = starts[li];
  let end = li + 1 < starts.length ? starts[li + 1] - 1 : text.length;
  if (end > start && text[end - 1] === '\r') end--;
  const from = Math.min(start + Math.max(column, 1) - 1, end);
  let to = from;
  if (text[to] === '"') {
    to++;
    while (to < end && text[to] !== '"') to += text[to] === '\\' ? 2 : 1;
    to = Math.min(to + 1, end);
  } else {
    while (to < end && text[to] !== ' ' && text[to] !== '\t') to++;
  }
  return { from, to };
}

/** Parse `text` and say what is wrong with it, or what it holds. */
export function diagnose(text: string): Diagnosis {
  const r = parse(text);
  if ('scenario' in r) {
    return { ok: true, scenario: r.scenario, chapters: r.chapters, diagnostics: [], status: { kind: 'ok', ops: r.scenario.ops.length, chapters: r.chapters.length } };
  }
  const starts = lineStarts(text);
  const errors = [...r.errors].sort((a, b) => a.line - b.line || a.column - b.column);
  const diagnostics = errors.map((e) => ({ line: e.line, column: e.column, message: e.message, ...errorRange(text, starts, e.line, e.column) }));
  return { ok: false, diagnostics, status: { kind: 'errors', count: errors.length, first: errors[0] } };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * A parse message cut to its first clause for the one-line status: what is wrong, and the nearest
 * good word when there is one ("unknown command "stoe" — did you mean "store"?"). The list of what
 * would be accepted (after the first "; " outside quotes) is left to the full message, which the
 * lint tooltip and the status line's title show.
 */
export function shortMessage(message: string): string {
  let cut = message.length;
  let quoted = false;
  for (let i = 0; i < message.length; i++) {
    const c = message[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ';' && message[i + 1] === ' ') {
      cut = i;
      break;
    }
  }
  return message
    .slice(0, cut)
    .trim()
    .replace(/ \(did you mean ("(?:[^"\\]|\\.)*")\?\)$/, ' — did you mean $1?');
}

/**
 * The status line, one short line: "OK: 5 operations, 2 chapters", "line 5: unknown command
 * "stoe" — did you mean "store"?", or "2 errors · line 5: …" when there are more.
 */
export function statusText(s: EditorStatus): string {
  switch (s.kind) {
    case 'ok':
      return `OK: ${plural(s.ops, 'operation', 'operations')}, ${plural(s.chapters, 'chapter', 'chapters')}`;
    case 'errors': {
      const first = `line ${s.first.line}: ${shortMessage(s.first.message)}`;
      return s.count === 1 ? first : `${s.count} errors · ${first}`;
    }
    case 'none':
      return '';
  }
}

/** The status line's full text (its tooltip): the count and the first error's whole message. */
export function statusTitle(s: EditorStatus): string {
  if (s.kind !== 'errors') return statusText(s);
  const n = s.count === 1 ? '1 error' : `${s.count} errors, the first`;
  return `${n} at line ${s.first.line}, column ${s.first.column}: ${s.first.message}`;
}
