/**
 * The guided library's vocabulary: topics (what a student wants to learn) and tours (narrated
 * scenarios in the scenario language, docs/scenario-language.md, split into chapters).
 *
 * Conventions in this file:
 *   tour    - one built-in scenario: its text is complete scenario-language source with a
 *             machine line, `## chapter` markers and `>` narration before every operation.
 *   topic   - an entry of TOPICS (topics.ts); every topic is covered by at least one tour.
 */
import type { TopicId } from './topics';

export interface TourDef {
  /** short id, used in the chooser and in links (`?scenario=<name>`) */
  name: string;
  /** what the header shows */
  title: string;
  /** one or two sentences for the chooser */
  summary: string;
  /** the topics this tour teaches, most important first */
  topics: TopicId[];
  /** the scenario, in the scenario language */
  text: string;
  /**
   * The operations (0-based) that end in an error or a signal on purpose, because that failure is
   * what the tour teaches (SIGBUS beyond EOF, EOPNOTSUPP for FOLL_LONGTERM, EIO after poison).
   * Every other operation of a tour must succeed (src/scenarios/builtin.test.ts).
   */
  onPurpose?: Record<number, 'error' | 'signal'>;
}
