/**
 * The scenarios the app offers: the built-in DAX machine scenarios (builtin.ts) and the XArray tour
 * (src/app/demo.ts), as the specs the store runs. The chooser in the header lists them in this order;
 * `?scenario=<name>` in the page's address picks one at load.
 */
import { xarrayTour } from '../app/demo';
import type { ScenarioSpec } from '../worker/protocol';
import { BUILTIN_SCENARIOS } from './builtin';

export { BUILTIN_SCENARIOS, type BuiltinScenario } from './builtin';

/** Every scenario the chooser lists: machine scenarios first, then the XArray tour. */
export const SCENARIO_CHOICES: readonly ScenarioSpec[] = [
  ...BUILTIN_SCENARIOS.map((b): ScenarioSpec => ({ v: 1, kind: 'machine', name: b.name, title: b.title, scenario: b.scenario })),
  xarrayTour,
];

/** The scenario the app opens with when the address names none. */
export const DEFAULT_SCENARIO = 'write-fsync';

/** The chooser's one-line description of a scenario (its tooltip). */
export function scenarioSummary(name: string): string {
  return BUILTIN_SCENARIOS.find((b) => b.name === name)?.summary ?? 'The XArray on its own: a head entry, growth, a multi-index entry, marks and erase.';
}

/** The scenario called `name`, or the default one when no scenario has that name. */
export function scenarioByName(name: string | null): ScenarioSpec {
  return SCENARIO_CHOICES.find((s) => s.name === name) ?? SCENARIO_CHOICES.find((s) => s.name === DEFAULT_SCENARIO)!;
}
