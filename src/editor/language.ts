/**
 * The scenario language for CodeMirror: the stream parser of tokens.ts as a Language, and a
 * highlight style whose colours are the app's CSS variables (--syn-*, set per theme in
 * editor.css), so light and dark themes both read well.
 */
import { HighlightStyle, LanguageSupport, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { scenarioStreamParser } from './tokens';

export const scenarioLanguage = StreamLanguage.define(scenarioStreamParser);

export const scenarioHighlightStyle = HighlightStyle.define([
  { tag: t.comment, color: 'var(--syn-comment)', fontStyle: 'italic' },
  { tag: t.heading, color: 'var(--syn-heading)', fontWeight: '700' },
  { tag: t.quote, color: 'var(--syn-narration)' },
  { tag: t.labelName, color: 'var(--syn-process)', fontWeight: '600' },
  { tag: t.keyword, color: 'var(--syn-command)', fontWeight: '600' },
  { tag: t.modifier, color: 'var(--syn-command)' },
  { tag: t.number, color: 'var(--syn-number)' },
  { tag: t.string, color: 'var(--syn-string)' },
  { tag: t.propertyName, color: 'var(--syn-key)' },
  { tag: t.atom, color: 'var(--syn-atom)' },
  { tag: t.operator, color: 'var(--syn-muted)' },
  { tag: t.variableName, color: 'var(--syn-name)' },
]);

/** The language with its highlighting. */
export function scenarioLanguageSupport(): LanguageSupport {
  return new LanguageSupport(scenarioLanguage, [syntaxHighlighting(scenarioHighlightStyle)]);
}
