/**
 * Golden final states of the built-in scenarios (the guided library). Each tour's final machine
 * state, its step count and every operation's outcome are pinned in test/golden/scenarios/<name>.json,
 * so an engine or tour change that alters what a tour ends with shows up as a diff to review.
 *
 * To accept a deliberate change: `UPDATE_GOLDEN=1 npx vitest run test/builtin-golden.test.ts`, then
 * read the diff of test/golden/scenarios before committing it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpMachine } from '../src/engine/debug/dump-machine';
import { Machine } from '../src/engine/machine';
import type { Json } from '../src/engine/trace/steps';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin';

const DIR = join(import.meta.dirname, 'golden', 'scenarios');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/**
 * Page contents run to kilobytes per page: a long text (a page's bytes) is pinned by its SHA-256
 * and length instead, which changes exactly when the bytes do and keeps the files reviewable.
 */
function digestLongText(x: Json): Json {
  if (typeof x === 'string') return x.length > 160 ? `sha256:${createHash('sha256').update(x).digest('hex').slice(0, 32)} (${x.length} chars)` : x;
  if (Array.isArray(x)) return x.map(digestLongText);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, digestLongText(v)]));
  return x;
}

function finalState(name: string): string {
  const b = BUILTIN_SCENARIOS.find((s) => s.name === name)!;
  const m = Machine.create(b.scenario);
  if ('errors' in m) throw new Error(`${name}: ${JSON.stringify(m.errors)}`);
  m.run();
  const golden = {
    scenario: name,
    steps: m.steps.length,
    outcomes: m.outcomes.map((o) => ({ status: o.status, result: o.result })),
    state: digestLongText(dumpMachine(m, { bytes: true, freeSpace: true })),
  };
  return JSON.stringify(golden, null, 1) + '\n';
}

describe('built-in scenarios end in their pinned final state', () => {
  if (UPDATE) mkdirSync(DIR, { recursive: true });
  for (const b of BUILTIN_SCENARIOS) {
    it(b.name, () => {
      const file = join(DIR, `${b.name}.json`);
      const actual = finalState(b.name);
      if (UPDATE) writeFileSync(file, actual);
      expect(existsSync(file), `${file} is missing: run UPDATE_GOLDEN=1 npx vitest run test/builtin-golden.test.ts`).toBe(true);
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('has no golden file for a scenario that no longer exists', () => {
    const names = new Set(BUILTIN_SCENARIOS.map((b) => `${b.name}.json`));
    const stale = existsSync(DIR) ? readdirSync(DIR).filter((f) => !names.has(f)) : [];
    expect(stale).toEqual([]);
  });
});
