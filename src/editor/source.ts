/**
 * The text the editor shows for a scenario (also what Save and Share write). Pure.
 */
import { print } from '../engine/lang';
import type { ScenarioSpec } from '../worker/protocol';

/**
 * A scenario's source in the scenario language: its own text when it has one, else the printer's
 * canonical form; null for the XArray tour, which is not a machine scenario and has no text form.
 */
export function sourceText(spec: ScenarioSpec): string | null {
  if (spec.kind !== 'machine') return null;
  return spec.text ?? print(spec.scenario, spec.chapters ?? []);
}
