/**
 * The built-in DAX scenarios: the tours of the guided library (src/scenarios/library), each a
 * narrated scenario in the scenario language split into chapters. This module gives them the
 * shape the rest of the app uses: the engine's JSON Scenario (src/engine/ops.ts,
 * docs/operations.md) plus chapters, topics and the source text the editor shows.
 *
 * Every scenario keeps machine.check() free of unexplained violations after every operation
 * (src/scenarios/builtin.test.ts); its final state is pinned by a golden file (test/golden/).
 */
import type { Chapter } from '../engine/lang';
import type { Scenario } from '../engine/ops';
import { LIBRARY, type TopicId } from './library';

export interface BuiltinScenario {
  /** short id, used in the chooser and in links */
  name: string;
  /** what the header shows */
  title: string;
  /** one or two sentences for the chooser */
  summary: string;
  scenario: Scenario;
  chapters: Chapter[];
  topics: TopicId[];
  /** the scenario-language source */
  text: string;
  /** operations that fail on purpose (see TourDef.onPurpose) */
  onPurpose?: Record<number, 'error' | 'signal'>;
}

export const BUILTIN_SCENARIOS: readonly BuiltinScenario[] = LIBRARY.map((t) => ({
  name: t.name,
  title: t.title,
  summary: t.summary,
  scenario: t.scenario,
  chapters: t.chapters,
  topics: t.topics,
  text: t.text,
  onPurpose: t.onPurpose,
}));

/** The built-in scenario called `name`; throws for an unknown name (a programming error). */
export function builtin(name: string): BuiltinScenario {
  const b = BUILTIN_SCENARIOS.find((s) => s.name === name);
  if (!b) throw new Error(`no built-in scenario ${name}`);
  return b;
}
