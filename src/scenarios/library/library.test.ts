/**
 * The guided library as a whole: every topic of the seeds and the kernel model is taught by at
 * least one tour, and every tour is a complete, narrated, chaptered scenario. What each tour shows
 * is asserted in part-a.test.ts and part-b.test.ts; that each runs cleanly and ends in its pinned
 * state, in src/scenarios/builtin.test.ts and test/builtin-golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LIBRARY, TOPICS, topicIndex, toursFor } from './index';

describe('guided library', () => {
  it('covers every topic with at least one tour', () => {
    const uncovered = TOPICS.filter((t) => toursFor(t.id).length === 0).map((t) => t.id);
    expect(uncovered).toEqual([]);
    expect(topicIndex().map((e) => e.topic.id)).toEqual(TOPICS.map((t) => t.id));
  });

  it('names every tour uniquely, in a form fit for a link', () => {
    const names = LIBRARY.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9][a-z0-9-]*$/);
  });

  for (const t of LIBRARY) {
    it(`${t.name}: a machine line, chapters from the first operation on, narration before every operation`, () => {
      expect(t.text.split('\n').some((l) => /^machine\b/.test(l.trim())), 'machine line').toBe(true);
      expect(t.chapters.length, 'chapters').toBeGreaterThanOrEqual(2);
      expect(t.chapters[0].index, 'the first chapter starts at the first operation').toBe(0);
      for (const [i, op] of t.scenario.ops.entries()) expect(op.note ?? '', `${t.name} op ${i} (${op.op}) has no narration`).toMatch(/\S{3}/);
      expect(t.topics.length).toBeGreaterThan(0);
      expect(t.title.length).toBeGreaterThan(10);
      expect(t.summary.length).toBeGreaterThan(20);
    });
  }
});
