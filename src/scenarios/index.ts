/**
 * The scenarios the app offers: the built-in DAX machine scenarios (builtin.ts) and the XArray tour
 * (src/app/demo.ts), as the specs the store runs. The chooser in the header lists them in this order;
 * `?scenario=<name>` in the page's address picks one at load.
 */
import { xarrayTour } from '../app/demo';
import type { ScenarioSpec } from '../worker/protocol';
import { BUILTIN_SCENARIOS } from './builtin';
import type { Op } from '../engine/ops';

export { BUILTIN_SCENARIOS, type BuiltinScenario } from './builtin';

/** Every scenario the chooser lists: machine scenarios first, then the XArray tour. */
export const SCENARIO_CHOICES: readonly ScenarioSpec[] = [
  ...BUILTIN_SCENARIOS.map((b): ScenarioSpec => ({ v: 1, kind: 'machine', name: b.name, title: b.title, scenario: b.scenario, chapters: b.chapters, text: b.text })),
  xarrayTour,
];

/** The scenario the app opens with when the address names none. */
export const DEFAULT_SCENARIO = 'write-fsync';

/** The chooser's one-line description of a scenario (its tooltip). */
export function scenarioSummary(name: string): string {
  return BUILTIN_SCENARIOS.find((b) => b.name === name)?.summary ?? 'The XArray on its own: a head entry, growth, a multi-index entry, marks and erase.';
}

/**
 * A load scenario for `npm run bench` (not in the chooser): 100 operations that each read 100
 * fresh pages of a hole-filled DAX file, leaving 10,000 zero-page entries in its XArray.
 */
export function benchXarray10k(): ScenarioSpec {
  const ops: Op[] = [
    { op: 'create', file: 'big' },
    { op: 'truncate', file: 'big', size: 10_000 * 4096 },
    { op: 'mmap', proc: 'A', file: 'big', length: 10_000 * 4096, prot: 'r', as: 'm' },
  ];
  for (let i = 0; i < 100; i++) ops.push({ op: 'load', proc: 'A', addr: { map: 'm', offset: i * 100 * 4096 }, len: 100 * 4096 });
  return { v: 1, kind: 'machine', name: 'bench-xarray-10k', title: 'Benchmark: 10,000 XArray entries', scenario: { version: 1, config: { pmd: false }, ops } };
}

/**
 * The name a scenario from outside (a file, a share link) goes by: its own, unless that is a
 * built-in's name and the text is not the built-in's, which then becomes `<name>-edited`, so the
 * chooser and the library never take an edited copy for the tour itself.
 */
export function outsideName(name: string, text: string): string {
  const b = BUILTIN_SCENARIOS.find((x) => x.name === name);
  return b && b.text !== text ? `${name}-edited` : name;
}

/** Whether `?scenario=<name>` names a scenario the app has. */
export function knownScenario(name: string): boolean {
  return name === 'bench-xarray-10k' || SCENARIO_CHOICES.some((s) => s.name === name);
}

/** The scenario called `name`, or the default one when no scenario has that name. */
export function scenarioByName(name: string | null): ScenarioSpec {
  if (name === 'bench-xarray-10k') return benchXarray10k();
  return SCENARIO_CHOICES.find((s) => s.name === name) ?? SCENARIO_CHOICES.find((s) => s.name === DEFAULT_SCENARIO)!;
}
