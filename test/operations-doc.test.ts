/**
 * Every ```json block of docs/operations.md is a scenario that validates, runs without an
 * exception, and leaves the machine with no invariant violations; between them the examples
 * use every operation and every config setting, and every setting's documented default is the
 * real one.
 *
 * Conventions in this file:
 *   block - the text between a ```json line and the next ``` line.
 *
 * What this model leaves out: the prose claims beside the examples are checked only where a
 * test below names them.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Machine } from '../src/engine/machine';
import { DEFAULT_CONFIG, OP_NAMES, validateScenario } from '../src/engine/ops';

const DOC = readFileSync(fileURLToPath(new URL('../docs/operations.md', import.meta.url)), 'utf8');

function jsonBlocks(md: string): string[] {
  const out: string[] = [];
  const re = /^```json\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(md); m; m = re.exec(md)) out.push(m[1]);
  return out;
}

const BLOCKS = jsonBlocks(DOC);

function run(block: string): Machine {
  const parsed: unknown = JSON.parse(block);
  const m = Machine.create(parsed);
  if ('errors' in m) throw new Error(`scenario refused: ${JSON.stringify(m.errors)}`);
  m.run();
  return m;
}

describe('docs/operations.md examples', () => {
  it('has examples', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(15);
  });

  BLOCKS.forEach((block, i) => {
    const first = block.split('\n').find((l) => l.includes('"op"')) ?? block.slice(0, 60);
    it(`example ${i + 1} (${first.trim().slice(0, 70)}) runs with check() empty`, () => {
      let m: Machine | undefined;
      expect(() => (m = run(block))).not.toThrow();
      expect(m!.check()).toEqual([]);
      expect(m!.pending).toEqual([]);
    });
  });

  it('between them the examples use every operation and every config setting', () => {
    const ops = new Set<string>();
    const settings = new Set<string>();
    for (const b of BLOCKS) {
      const v = validateScenario(JSON.parse(b));
      if ('errors' in v) throw new Error(JSON.stringify(v.errors));
      for (const o of v.scenario.ops) ops.add(o.op);
      for (const k of Object.keys(v.scenario.config ?? {})) settings.add(k);
    }
    expect([...OP_NAMES].filter((n) => !ops.has(n))).toEqual([]);
    expect(Object.keys(DEFAULT_CONFIG).filter((k) => !settings.has(k) && !['dramSize', 'dax', 'reflink'].includes(k))).toEqual([]);
  });

  it('the settings table gives the real defaults', () => {
    for (const [k, v] of Object.entries(DEFAULT_CONFIG)) {
      const row = DOC.split('\n').find((l) => l.startsWith(`| \`${k}\` |`));
      expect(row, `no row for ${k}`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[3], k).toContain(typeof v === 'string' ? `\`"${v}"\`` : `${String(v)}`);
    }
  });

  it('every documented pause point exists: the pause example stops A and its resume completes it', () => {
    const block = BLOCKS.find((b) => b.includes('"pause"'))!;
    const m = Machine.create(JSON.parse(block)) as Machine;
    const statuses = JSON.parse(block).ops.map(() => m.step().status);
    expect(statuses[4]).toBe('paused');
    expect(statuses[5]).toBe('blocked');
    expect(m.steps.some((s) => s.t === 'wait' && s.action === 'sleep' && s.who === 'B')).toBe(true);
    expect(m.outcomes[4].status).toBe('done');
    expect(m.outcomes[5].status).toBe('done');
    for (const point of ['dax_iomap_pte_fault:iomap_begin', 'dax_iomap_pmd_fault:iomap_begin', 'dax_writeback_one:flush']) expect(DOC).toContain(point);
  });

  it('the claims beside the examples hold (second pin refused, g gone after the crash, SIGBUS after poison, unlinked file still mapped)', () => {
    const find = (s: string) => run(BLOCKS.find((b) => b.includes(s))!);
    const pins = find('"rdma"');
    expect(pins.outcomes[4].result).toMatchObject({ errno: 'EOPNOTSUPP' });
    const crash = find('"kept"');
    expect(crash.outcomes[5].result).toEqual({ bytes: 4, data: 'kept' });
    expect(typeof crash.fs.lookup('g')).not.toBe('number');
    const poison = find('"poison"');
    expect(poison.outcomes[5].result).toMatchObject({ signal: 'SIGBUS' });
    const unlink = find('"still mapped"');
    expect(unlink.outcomes[4].result).toEqual({ bytes: 12, data: 'still mapped' });
    expect(unlink.outcomes[5].result).toMatchObject({ errno: 'ENOENT' });
    const sleeper = find('"dma target"');
    expect(sleeper.steps.some((s) => s.t === 'wait' && s.action === 'sleep' && s.who === 'T')).toBe(true);
    expect(sleeper.outcomes[4].status).toBe('done');
  });

  it('the misspelt-field message in the text is what validateScenario says', () => {
    const v = validateScenario([{ op: 'write', file: 'f', ofset: 0 }]);
    expect('errors' in v && v.errors.map((e) => e.message)).toContain('"write" has no field "ofset" (did you mean "offset"?)');
    expect(DOC).toContain('"write" has no field "ofset" (did you mean "offset"?)');
  });
});
