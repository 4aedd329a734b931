/**
 * Every ```scn block of docs/scenario-language.md parses, prints and parses back to the same
 * scenario, and runs on the machine without an exception and with no invariant violations;
 * between them the blocks use every command and every machine setting.
 *
 * Conventions in this file:
 *   block - the text between a ```scn line and the next ``` line.
 *
 * What this model leaves out: the prose beside the examples is checked only where a test
 * below names it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Machine } from '../src/engine/machine';
import { OP_NAMES } from '../src/engine/ops';
import { MACHINE_KEYS, parse, print } from '../src/engine/lang';

const DOC = readFileSync(fileURLToPath(new URL('../docs/scenario-language.md', import.meta.url)), 'utf8');

function blocks(md: string): string[] {
  const out: string[] = [];
  const re = /^```scn\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(md); m; m = re.exec(md)) out.push(m[1]);
  return out;
}

const BLOCKS = blocks(DOC);

function parsed(block: string) {
  const r = parse(block);
  if ('errors' in r) throw new Error(r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return r;
}

describe('docs/scenario-language.md examples', () => {
  it('has examples', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(14);
  });

  BLOCKS.forEach((block, i) => {
    const first = block.split('\n').find((l) => l && !l.startsWith('#') && !l.startsWith('>') && !l.startsWith('machine')) ?? '';
    it(`example ${i + 1} (${first.slice(0, 50)}) parses, round-trips and runs`, () => {
      const r = parsed(block);
      expect(parse(print(r.scenario, r.chapters))).toEqual(r);
      const m = Machine.create(r.scenario);
      if ('errors' in m) throw new Error(JSON.stringify(m.errors));
      expect(() => m.run()).not.toThrow();
      expect(m.outcomes).toHaveLength(r.scenario.ops.length);
      expect(m.check()).toEqual([]);
    });
  });

  it('between them the examples use every command and every machine setting', () => {
    const ops = new Set<string>();
    const keys = new Set<string>();
    for (const b of BLOCKS) {
      const r = parsed(b);
      r.scenario.ops.forEach((o) => ops.add(o.op));
      Object.keys(r.scenario.config ?? {}).forEach((k) => keys.add(k));
    }
    expect(OP_NAMES.filter((n) => !ops.has(n))).toEqual([]);
    expect(Object.values(MACHINE_KEYS).map((k) => k.field).filter((f) => !keys.has(f))).toEqual([]);
  });

  it('the claims beside the examples hold', () => {
    const find = (s: string) => {
      const r = parsed(BLOCKS.find((b) => b.includes(s))!);
      const m = Machine.create(r.scenario) as Machine;
      m.run();
      return { r, m };
    };
    const intro = find('# A DAX write fault');
    expect(intro.r.chapters).toEqual([{ index: 0, title: 'Setting up' }, { index: 3, title: 'The fault' }]);
    expect(intro.r.scenario.ops[2].note).toBe('Process A maps the file shared and read-write.');
    expect(find('"0123456789"').m.outcomes[6].result).toMatchObject({ signal: 'SIGBUS' });
    expect(find('as rdma').m.outcomes[4].result).toMatchObject({ errno: 'EOPNOTSUPP' });
    const p = find('pause=');
    expect(p.r.chapters).toEqual([{ index: 6, title: 'Resuming' }]);
    expect(p.m.outcomes[4].status).toBe('done');
    expect(p.m.outcomes[5].status).toBe('done');
    const n = find('an inline note');
    expect(n.r.scenario.ops.map((o) => o.note)).toEqual(['First line of the narration,\nand the second.', 'an inline note']);
    const err = parse('create f\nmachine dax=always\nwrte f 0 "x"\n');
    expect('errors' in err && err.errors.map((e) => `${e.line}:${e.column}: ${e.message}`)).toEqual([
      '2:1: the machine line must come before the first operation',
      expect.stringMatching(/^3:1: unknown command "wrte" \(did you mean "write"\?\)/),
    ]);
    expect(DOC).toContain('3:1: unknown command "wrte" (did you mean "write"?)');
  });
});
