/**
 * The guided library: every tour of part-a.ts and part-b.ts, parsed once into the engine's
 * Scenario plus its chapters, and the topic index the chooser shows.
 *
 * A tour whose text does not parse is a programming error in this repository (the unit tests
 * parse every tour), so loading the library throws with the tour's name and the first error.
 */
import { parse, type Chapter } from '../../engine/lang';
import type { Scenario } from '../../engine/ops';
import { PART_A } from './part-a';
import { PART_B } from './part-b';
import { TOPICS, type Topic, type TopicId } from './topics';
import type { TourDef } from './types';

export { TOPICS, type Topic, type TopicId } from './topics';
export type { TourDef } from './types';

/** A tour, parsed. */
export interface Tour extends TourDef {
  scenario: Scenario;
  chapters: Chapter[];
}

function load(def: TourDef): Tour {
  const r = parse(def.text);
  if ('errors' in r) {
    const e = r.errors[0];
    throw new Error(`library tour ${def.name}: line ${e.line}, column ${e.column}: ${e.message}`);
  }
  return { ...def, scenario: r.scenario, chapters: r.chapters };
}

/** Every tour, in the order the chooser lists them within a topic. */
export const LIBRARY: readonly Tour[] = [...PART_A, ...PART_B].map(load);

/** The tours that teach a topic, the ones where it is the main topic first. */
export function toursFor(topic: TopicId): Tour[] {
  const rank = (t: Tour) => t.topics.indexOf(topic);
  return LIBRARY.filter((t) => rank(t) >= 0).sort((a, b) => rank(a) - rank(b));
}

/** Topics in the chooser's order, each with its tours. */
export function topicIndex(): { topic: Topic; tours: Tour[] }[] {
  return TOPICS.map((topic) => ({ topic, tours: toursFor(topic.id) }));
}
