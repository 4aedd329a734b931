/**
 * After every operation of every kernel-fact scenario (test/kernel-facts.scenarios.ts),
 * machine.check() finds nothing: XArray structure, entries against extents, nrpages, page
 * tables against entries, struct page reference counts against the mappings that exist.
 */
import { describe, it, expect, vi } from 'vitest';
// The page-cache module (non-DAX files) may still be a stub; these scenarios only use DAX files.
vi.mock('../src/engine/mm/filemap', async (importOriginal) => {
  const orig = (await importOriginal()) as Record<string, unknown>;
  return orig.PageCache ? orig : { PageCache: class { vmOps = null; dropAll() {} } };
});
import { SCENARIOS, buildMachine } from './kernel-facts.scenarios';

describe('machine invariants hold after each operation of the kernel-fact scenarios', () => {
  for (const key of Object.keys(SCENARIOS)) {
    it(`${key}: check() is empty after every operation`, () => {
      const m = buildMachine(key);
      const ops = SCENARIOS[key].ops;
      for (let i = 0; i < ops.length; i++) {
        const out = m.step();
        expect(out.index).toBe(i);
        expect({ op: i, name: ops[i].op, violations: m.check() }).toEqual({ op: i, name: ops[i].op, violations: [] });
      }
      expect(m.warnings).toEqual([]);
    });
  }
});
