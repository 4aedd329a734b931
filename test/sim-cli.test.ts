/**
 * The `npm run sim` command line: bad input is reported with a clear message and exit code 2
 * (never a stack trace), and a run prints the same bytes every time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT, EXIT_OK, locateJsonError, lineColumn, parseArgs, runSim } from '../tools/sim.ts';

const root = resolve(__dirname, '..');
const fixture = (name: string) => join(root, 'test/fixtures/sim', name);

async function sim(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runSim(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('bad input', () => {
  it('a missing file', async () => {
    const r = await sim(fixture('no-such-file.json'));
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err).toMatch(/no-such-file\.json: cannot read the scenario: no such file/);
    expect(r.out).toBe('');
  });

  it('invalid JSON says line and column', async () => {
    const r = await sim(fixture('bad-json.json'));
    expect(r.code).toBe(EXIT_BAD_INPUT);
    // line 5 starts with four spaces, then the "{" that should have been preceded by a comma
    expect(r.err).toMatch(/bad-json\.json:5:5: invalid JSON: expected ',' or '\]' after a list element/);
  });

  it('schema errors name the operation index, the op and the field', async () => {
    const r = await sim(fixture('bad-schema.json'));
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err).toContain('the scenario has 3 errors');
    expect(r.err).toContain('op 1 (mmap), field length: "mmap" needs "length"');
    expect(r.err).toContain('op 1 (mmap), field lenght: "mmap" has no field "lenght" (did you mean "length"?)');
    expect(r.err).toMatch(/op 2 \(load\), field addr: /);
  });

  it('config errors and --kernel values are checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const f = join(dir, 'cfg.json');
    writeFileSync(f, JSON.stringify({ version: 1, config: { kernal: '6.1' }, ops: [] }));
    const r = await sim(f);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err).toContain('config.kernal: unknown setting "kernal" (did you mean "kernel"?)');
    const k = await sim(fixture('read-hole.json'), '--kernel', '5.10');
    expect(k.code).toBe(EXIT_BAD_INPUT);
    expect(k.err).toContain('--kernel must be modern or 6.1, not "5.10"');
  });

  it('unknown options, no file, two files, and an unsupported extension', async () => {
    expect((await sim(fixture('read-hole.json'), '--jsn')).err).toContain('unknown option "--jsn"');
    expect((await sim()).code).toBe(EXIT_BAD_INPUT);
    expect((await sim('a.json', 'b.json')).err).toContain('one scenario file at a time');
    expect((await sim('scenario.yaml')).err).toContain('cannot read ".yaml" scenario files; use a .json or .scn scenario');
    expect((await sim('--help')).code).toBe(EXIT_OK);
  });

  it('the real process exits with 2 and prints no stack trace', () => {
    const tsx = join(root, 'node_modules/.bin/tsx');
    const p = spawnSync(tsx, ['tools/sim.ts', fixture('bad-json.json')], { cwd: root, encoding: 'utf8' });
    expect(p.status).toBe(EXIT_BAD_INPUT);
    expect(p.stdout).toBe('');
    expect(p.stderr).toMatch(/^sim: .*bad-json\.json:5:5: invalid JSON/m);
    expect(p.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the JSON error locator', () => {
  const at = (text: string) => {
    const e = locateJsonError(text);
    return e ? { ...lineColumn(text, e.offset), message: e.message } : null;
  };

  it('agrees that valid JSON is valid', () => {
    for (const t of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '0']) {
      expect(() => JSON.parse(t)).not.toThrow();
      expect(at(t)).toBeNull();
    }
  });

  it('finds the first error', () => {
    expect(at('{"a": 1,}')).toEqual({ line: 1, column: 9, message: "a comma before '}': JSON allows no trailing comma" });
    expect(at('{\n  "a" 1\n}')).toEqual({ line: 2, column: 7, message: "expected ':' after the property name" });
    expect(at('[1, 2')).toMatchObject({ line: 1, column: 6 });
    expect(at('{"a": tru}')).toMatchObject({ line: 1, column: 7 });
    expect(at("{'a': 1}")).toMatchObject({ line: 1, column: 2, message: 'expected a property name in double quotes' });
    expect(at('"line\nbreak"')).toMatchObject({ line: 1, column: 6 });
    expect(at('{} x')).toMatchObject({ line: 1, column: 4, message: 'unexpected text after the end of the JSON value' });
    expect(at('')).toMatchObject({ line: 1, column: 1 });
  });
});

describe('parseArgs', () => {
  it('reads every option', () => {
    expect(parseArgs(['s.json', '--json', '--kernel', '6.1', '--check'])).toEqual({ file: 's.json', json: true, tracepoints: false, kernel: '6.1', check: true });
    expect(parseArgs(['--tracepoints', '--kernel=modern', 's.json'])).toMatchObject({ tracepoints: true, kernel: 'modern' });
    expect(() => parseArgs(['s.json', '--json', '--tracepoints'])).toThrow(/exclude each other/);
  });
});

describe('a run', () => {
  it('--json is byte-identical across runs and carries the whole contract', async () => {
    const a = await sim(fixture('read-hole.json'), '--json');
    const b = await sim(fixture('read-hole.json'), '--json');
    expect(a.err).toBe('');
    expect(a.code).toBe(EXIT_OK);
    expect(b.out).toBe(a.out);
    const doc = JSON.parse(a.out) as { traceVersion: number; config: { kernel: string }; steps: { t: string; seq: number }[]; state: unknown; violations: unknown[] };
    expect(Object.keys(doc)).toEqual(['traceVersion', 'config', 'steps', 'state', 'violations']);
    expect(doc.config.kernel).toBe('modern');
    expect(doc.steps.map((s) => s.seq)).toEqual(doc.steps.map((_, i) => i));
    expect(doc.steps.filter((s) => s.t === 'op')).toHaveLength(4);
    expect(doc.violations).toEqual([]);
  });

  it('a read of a 2 MiB-aligned hole maps the huge zero page: the PMD events, named per version', async () => {
    for (const kernel of ['modern', '6.1'] as const) {
      const r = await sim(fixture('read-hole.json'), '--tracepoints', '--kernel', kernel);
      expect(r.code).toBe(EXIT_OK);
      const lines = r.out.trimEnd().split('\n');
      expect(lines.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['dax_pmd_fault', 'dax_pmd_load_hole', 'dax_pmd_fault_done']);
      // entry: no result yet, so the line ends with the space before the empty result
      expect(lines[0]).toMatch(/ pgoff 0x1 max_pgoff 0x400 $/);
      expect(lines[1]).toMatch(new RegExp(`^dax_pmd_load_hole: dev \\d+:\\d+ ino 0x83 shared address 0x[0-9a-f]+ ${kernel === '6.1' ? 'zero_page' : 'zero_folio'} 00000000[0-9a-f]{8} radix_entry 0x[0-9a-f]+$`));
      expect(lines[2]).toMatch(/ max_pgoff 0x400 NOPAGE$/);
    }
  });

  it('without PMD faults the same read fires dax_pte_fault, dax_load_hole, dax_pte_fault_done', async () => {
    for (const kernel of ['modern', '6.1'] as const) {
      const r = await sim(fixture('read-hole-4k.json'), '--tracepoints', '--kernel', kernel);
      expect(r.code).toBe(EXIT_OK);
      const lines = r.out.trimEnd().split('\n');
      expect(lines.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['dax_pte_fault', 'dax_load_hole', 'dax_pte_fault_done']);
      const flags = kernel === '6.1' ? 'ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE' : 'ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK';
      expect(lines[1]).toMatch(new RegExp(`^dax_load_hole: dev \\d+:\\d+ ino 0x83 shared ${flags.replace(/\|/g, '\\|')} address 0x[0-9a-f]+ pgoff 0x1 NOPAGE$`));
    }
  });

  it('the readable form has one line per step and --check reports the checks', async () => {
    const j = JSON.parse((await sim(fixture('read-hole.json'), '--json')).out) as { steps: unknown[] };
    const r = await sim(fixture('read-hole.json'), '--check');
    expect(r.code).toBe(EXIT_OK);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(j.steps.length + 1);
    // steps of machine setup (op -1) come before the first operation's header
    expect(lines.filter((l) => l.startsWith('[op ')).map((l) => l.slice(0, l.indexOf('  # ')))).toEqual([
      '[op 0] create file=f',
      '[op 1] truncate file=f size=4194304',
      '[op 2] mmap proc=A file=f length=4194304 flags=shared prot=rw as=m',
      '[op 3] load proc=A addr={map: m, offset: 4096} len=8',
    ]);
    expect(lines.some((l) => /^\s*→ \S+\(/.test(l))).toBe(true);
    expect(lines.some((l) => /^\s*← \S+ = /.test(l))).toBe(true);
    expect(lines.some((l) => /^\s+tp: dax_pmd_load_hole: /.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toBe('check: no invariant violations');
  });
});

describe('scenario-language (.scn) files', () => {
  const lang = (name: string) => join(root, 'test/fixtures/lang', name);

  it('a .scn file runs exactly as its JSON twin', async () => {
    const a = await sim(lang('read-hole.scn'), '--json');
    const b = await sim(fixture('read-hole.json'), '--json');
    expect(a.err).toBe('');
    expect(a.code).toBe(EXIT_OK);
    const strip = (out: string) => {
      const d = JSON.parse(out) as { steps: { t: string; note?: unknown }[] };
      return d.steps.filter((s) => s.t === 'op').length;
    };
    expect(strip(a.out)).toBe(strip(b.out));
    const ta = await sim(lang('read-hole.scn'), '--tracepoints');
    const tb = await sim(fixture('read-hole.json'), '--tracepoints');
    expect(ta.out).toBe(tb.out);
  });

  it('builtin:NAME runs a library tour; a wrong name suggests the nearest', async () => {
    const ok = await sim('builtin:read-hole', '--tracepoints');
    expect(ok.code).toBe(EXIT_OK);
    expect(ok.out).toMatch(/^dax_load_hole: /m);
    const typo = await sim('builtin:read-hol');
    expect(typo.code).toBe(EXIT_BAD_INPUT);
    expect(typo.err).toMatch(/no built-in scenario "read-hol" \(did you mean "read-hole"\?\); the built-in scenarios are: .*pmd-fallback/);
  });

  it('errors are file:line:col: message, with "did you mean", and exit code 2', async () => {
    const r = await sim(lang('bad.scn'));
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^sim: .*bad\.scn:3:1: unknown command "wrte" \(did you mean "write"\?\)/);
    expect(lines[1]).toMatch(/bad\.scn:4:14: unexpected "shraed" in "mmap" \(did you mean "shared"\?\)/);
    expect(lines).toHaveLength(2);
  });

  it('validation errors map back to the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const f = join(dir, 'cfg.scn');
    writeFileSync(f, 'machine device=3M\ncreate f\n');
    const r = await sim(f);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err).toMatch(/cfg\.scn:1:9: device must be a positive multiple of 2 MiB/);
  });
});
