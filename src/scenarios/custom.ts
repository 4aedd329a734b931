/**
 * A scenario the user brings: text typed in the editor or a file opened from disk, in the
 * scenario language (or, for files, the engine's JSON form). Turns it into the spec the store runs,
 * or into errors that say where and why. Pure: no DOM.
 */
import { parse, print, type LangError } from '../engine/lang';
import { validateScenario } from '../engine/ops';
import type { MachineScenarioSpec } from '../worker/protocol';
import { outsideName } from './index';

/** The largest scenario file the app opens (a scenario is a few KB; this is a typo guard, not a limit anyone should meet). */
export const MAX_SCENARIO_BYTES = 1 << 20;

/** The title a text gives itself: its first `# ` comment line (not a `##` chapter), or `fallback`. */
export function titleFromText(text: string, fallback: string): string {
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '') continue;
    const m = /^#(?!#)\s*(.+)$/.exec(t);
    if (m) return m[1].trim().slice(0, 120);
    if (!t.startsWith('#')) break;
  }
  return fallback;
}

export type SpecResult = { spec: MachineScenarioSpec } | { errors: LangError[] };

/**
 * The spec for a scenario text. parse() also validates the scenario as the engine would
 * (validateScenario), so an impossible scenario is refused here with a position rather than
 * failing in the worker.
 */
export function specFromText(text: string, name: string, fallbackTitle: string): SpecResult {
  const r = parse(text);
  if ('errors' in r) return { errors: r.errors };
  return { spec: { v: 1, kind: 'machine', name, title: titleFromText(text, fallbackTitle), scenario: r.scenario, chapters: r.chapters, text } };
}

/**
 * A file's contents as a spec: `.json` files hold the engine's JSON scenario (docs/operations.md),
 * anything else the scenario language. JSON is converted to text, so the editor shows it as text.
 */
export function specFromFile(fileName: string, contents: string): SpecResult {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/\.(scn|json|txt)$/i, '') || 'scenario';
  const name = base.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60) || 'scenario';
  if (/\.json$/i.test(fileName)) {
    let json: unknown;
    try {
      json = JSON.parse(contents);
    } catch (e) {
      return { errors: [{ line: 1, column: 1, message: `not valid JSON: ${(e as Error).message}` }] };
    }
    const v = validateScenario(json);
    if ('errors' in v) return { errors: v.errors.map((e) => ({ line: 1, column: 1, message: `${e.index >= 0 ? `operation ${e.index + 1}` : 'scenario'}${e.field ? ` (${e.field})` : ''}: ${e.message}` })) };
    const text = `# ${base}\n${print(v.scenario)}`;
    return specFromText(text, outsideName(name, text), base);
  }
  return specFromText(contents, outsideName(name, contents), base);
}
