/**
 * The scenario language round trip: parse(print(s)) gives back s, for every built-in scenario
 * and for random valid scenarios (every operation, every optional field, odd names, notes with
 * line breaks, chapters); and parse never throws, whatever the text.
 *
 * Conventions in this file:
 *   arbOp - a random operation that validateScenario accepts.
 *
 * What this model leaves out: scenarios that validateScenario refuses (the printer's contract
 * covers valid scenarios only).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, print, type Chapter } from '../src/engine/lang';
import { DEFAULT_CONFIG, OP_NAMES, validateScenario, type MachineConfig, type Op, type Scenario } from '../src/engine/ops';
import { KERNEL_VERSIONS } from '../src/engine/version';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin';

type AnyOp = Op & { pause?: string; note?: string };

const name = fc.oneof(
  fc.constantFrom('f', 'g', 'a.txt', 'A', 'm', '_x-1/y', 'as', 'keep', 'shared', 'machine', 'crash', 'r', 'on'),
  fc.string({ maxLength: 6, unit: 'binary' }),
);
const n = fc.oneof(fc.nat(1 << 16), fc.constantFrom(0, 4096, 2 << 20, 1 << 30, 3 << 20, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
const text = fc.string({ maxLength: 12, unit: 'binary' });
const addr = fc.oneof(n, fc.record({ map: name }), fc.record({ map: name, offset: n }));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const bool = opt(fc.boolean());

const arbOp: fc.Arbitrary<AnyOp> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), file: name }),
  fc.record({ op: fc.constant('write' as const), proc: opt(name), file: name, offset: n, data: opt(text), fill: opt(n), len: opt(n) }),
  fc.record({ op: fc.constant('read' as const), proc: opt(name), file: name, offset: n, len: n }),
  fc.record({
    op: fc.constant('mmap' as const), proc: name, file: name, length: n, offset: opt(n), prot: opt(fc.constantFrom('r' as const, 'rw' as const)),
    flags: opt(fc.constantFrom('shared' as const, 'private' as const, 'sync' as const)), addr: opt(n), as: opt(name),
  }),
  fc.record({ op: fc.constant('munmap' as const), proc: name, addr, length: n }),
  fc.record({ op: fc.constant('mprotect' as const), proc: name, addr, length: n, prot: fc.constantFrom('r' as const, 'rw' as const, 'none' as const) }),
  fc.record({ op: fc.constant('load' as const), proc: name, addr, len: opt(n) }),
  fc.record({ op: fc.constant('store' as const), proc: name, addr, data: opt(text), value: opt(n), len: opt(n) }),
  fc.record({ op: fc.constant('msync' as const), proc: name, addr, length: n, async: bool }),
  fc.record({ op: fc.constant('fsync' as const), proc: opt(name), file: name, datasync: bool }),
  fc.record({ op: fc.constant('truncate' as const), proc: opt(name), file: name, size: n }),
  fc.record({ op: fc.constant('punch' as const), proc: opt(name), file: name, offset: n, length: n }),
  fc.record({ op: fc.constant('fallocate' as const), proc: opt(name), file: name, offset: n, length: n, keepSize: bool }),
  fc.record({ op: fc.constant('reflink' as const), proc: opt(name), src: name, dst: name, srcOffset: opt(n), dstOffset: opt(n), length: opt(n) }),
  fc.record({ op: fc.constant('pin' as const), proc: name, addr, length: opt(n), longterm: bool, write: bool, as: opt(name) }),
  fc.record({ op: fc.constant('unpin' as const), proc: name, pin: name }),
  fc.record({ op: fc.constant('flush' as const), proc: name, addr, length: n }),
  fc.record({ op: fc.constant('crash' as const) }),
  fc.record({ op: fc.constant('poison' as const), pfn: opt(n), file: opt(name), offset: opt(n) }),
  fc.record({ op: fc.constant('unlink' as const), proc: opt(name), file: name }),
  fc.record({ op: fc.constant('resume' as const), proc: name }),
) as fc.Arbitrary<AnyOp>;

/** Drop the keys whose value is undefined, as a parsed scenario has none. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const withExtras = fc
  .tuple(arbOp, opt(fc.oneof(fc.constantFrom('dax_iomap_pte_fault:iomap_begin'), text)), opt(fc.oneof(text, fc.constantFrom('two\nlines', ' lead', 'cr\r\nlf', ''))))
  .map(([o, pause, note]) => clean({ ...o, pause, note }) as AnyOp);

const size2M = fc.integer({ min: 1, max: 512 }).map((k) => k * (2 << 20));
const arbConfig: fc.Arbitrary<Partial<MachineConfig>> = fc.record(
  {
    deviceSize: size2M,
    dramSize: size2M,
    platform: fc.constantFrom('adr' as const, 'eadr' as const),
    dax: fc.constantFrom('always' as const, 'never' as const),
    reflink: fc.boolean(),
    pmd: fc.boolean(),
    kernel: fc.constantFrom(...KERNEL_VERSIONS),
    memmap: fc.constantFrom('ram' as const, 'dev' as const),
  },
  { requiredKeys: [] },
);

const arbScenario = fc
  .tuple(opt(arbConfig), fc.array(withExtras, { maxLength: 8 }), fc.array(fc.tuple(fc.nat(8), fc.string({ maxLength: 10 })), { maxLength: 3 }))
  .map(([config, ops, ch]) => {
    const scenario: Scenario = config === undefined ? { version: 1, ops } : { version: 1, config, ops };
    const chapters: Chapter[] = ch
      .map(([i, t]) => ({ index: Math.min(i, ops.length), title: t.replace(/[\r\n]+/g, ' ').trim() }))
      .sort((a, b) => a.index - b.index);
    return { scenario, chapters };
  });

describe('round trip', () => {
  it('every built-in scenario', () => {
    for (const b of BUILTIN_SCENARIOS) {
      const text = print(b.scenario);
      const r = parse(text);
      expect(r, `${b.name}:\n${text}`).toEqual({ scenario: b.scenario, chapters: [] });
    }
  });

  it('random valid scenarios, with chapters', () => {
    fc.assert(
      fc.property(arbScenario, ({ scenario, chapters }) => {
        expect('errors' in validateScenario(structuredClone(scenario))).toBe(false);
        const text = print(scenario, chapters);
        const r = parse(text);
        if ('errors' in r) throw new Error(`${JSON.stringify(r.errors)}\n${text}`);
        expect(r.scenario).toEqual(scenario);
        expect(r.chapters).toEqual(chapters);
        // and printing is a fixed point
        expect(print(r.scenario, r.chapters)).toBe(text);
      }),
      { seed: 20261121, numRuns: 600 },
    );
  });

  it('every operation and setting appears in the generator', () => {
    const seen = new Set<string>();
    fc.sample(arbOp, { seed: 7, numRuns: 400 }).forEach((o) => seen.add(o.op));
    expect([...OP_NAMES].filter((x) => !seen.has(x))).toEqual([]);
    const keys = new Set<string>();
    fc.sample(arbConfig, { seed: 1, numRuns: 50 }).forEach((c) => Object.keys(c).forEach((k) => keys.add(k)));
    expect([...keys].sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
  });
});

/** Where a result's errors point must be a real place in the text. */
function checkResult(src: string): void {
  const r = parse(src);
  if ('errors' in r) {
    expect(r.errors.length).toBeGreaterThan(0);
    const lines = src.split('\n');
    for (const e of r.errors) {
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.line).toBeLessThanOrEqual(lines.length);
      expect(e.column).toBeGreaterThanOrEqual(1);
      expect(e.column).toBeLessThanOrEqual(lines[e.line - 1].length + 1);
      expect(typeof e.message).toBe('string');
      expect(e.message.length).toBeGreaterThan(0);
    }
  } else {
    expect(r.scenario.version).toBe(1);
    expect(Array.isArray(r.scenario.ops)).toBe(true);
  }
}

describe('parse never throws', () => {
  const alphabet = fc.constantFrom(...'ab A:=+"\\#>\n\r\t0x4KM-_.,/'.split(''), 'mmap', 'store', 'write', 'machine', ' as ', 'pause=', 'note="', '##', 'm+');
  it('random texts give a scenario or positioned errors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80, unit: 'binary' }), fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(''))), (src) => {
        checkResult(src);
      }),
      { seed: 42, numRuns: 1500 },
    );
  });

  it('mutated printed scenarios give a scenario or positioned errors', () => {
    fc.assert(
      fc.property(arbScenario, fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 3, unit: 'binary' })), { minLength: 1, maxLength: 4 }), ({ scenario, chapters }, edits) => {
        let src = print(scenario, chapters);
        for (const [at, del, ins] of edits) {
          const i = src.length ? at % src.length : 0;
          src = src.slice(0, i) + ins + src.slice(i + del);
        }
        checkResult(src);
      }),
      { seed: 99, numRuns: 500 },
    );
  });
});
