/**
 * Embed options (src/share/embed.ts) and scenario files (src/scenarios/custom.ts): what a query or
 * a file says, what is refused and with which message; fuzzed so that no input throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../src/engine/lang';
import { builtin } from '../src/scenarios/builtin';
import { specFromFile, specFromText, titleFromText } from '../src/scenarios/custom';
import { embedQuery, iframeSnippet, isEmbed, readEmbed } from '../src/share/embed';
import type { PanelId } from '../src/store/types';

const IDS: PanelId[] = ['xarray', 'narration', 'files', 'pagetables', 'callpath', 'device', 'structpage'];

describe('embed options', () => {
  it('is off without ?embed, or with embed=0', () => {
    expect(readEmbed('?scenario=read-hole', IDS).options).toBeNull();
    expect(isEmbed('?embed=0')).toBe(false);
    expect(isEmbed('?embed=off')).toBe(false);
    expect(isEmbed('?embed')).toBe(true);
  });

  it('defaults to every panel, the link step, minimal controls, read-only', () => {
    expect(readEmbed('?embed=1', IDS)).toEqual({ options: { panels: null, step: null, controls: 'minimal', readOnly: true }, problems: [] });
  });

  it('reads panels, step, controls and readonly', () => {
    const r = readEmbed('?embed=1&panels=device,xarray,device&step=12&controls=none&readonly=0', IDS);
    expect(r).toEqual({ options: { panels: ['device', 'xarray'], step: 12, controls: 'none', readOnly: false }, problems: [] });
  });

  it('ignores what it does not know, saying what and why', () => {
    const r = readEmbed('?embed=1&panels=xaray,bogus&step=-3&controls=huge&readonly=maybe', IDS);
    expect(r.options).toEqual({ panels: null, step: null, controls: 'minimal', readOnly: true });
    expect(r.problems).toEqual([
      'there is no panel "xaray" (did you mean "xarray"?); the panels are xarray, narration, files, pagetables, callpath, device, structpage',
      'there is no panel "bogus"; the panels are xarray, narration, files, pagetables, callpath, device, structpage',
      'none of the panels named exists, so all are shown',
      'step: "-3" is not a step number (0, 1, 2, ...); opening at the link\'s step',
      'controls: "huge" is not one of full, minimal, none; using minimal',
      'readonly: "maybe" is not 0 or 1; the embed stays read-only',
    ]);
  });

  it('writes a query that reads back to the same options', () => {
    fc.assert(
      fc.property(
        fc.option(fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1 }), { nil: null }),
        fc.option(fc.nat(1e9 - 1), { nil: null }),
        fc.constantFrom('full' as const, 'minimal' as const, 'none' as const),
        fc.boolean(),
        (panels, step, controls, readOnly) => {
          const o = { panels, step, controls, readOnly };
          expect(readEmbed(embedQuery(o), IDS)).toEqual({ options: o, problems: [] });
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it('never throws on any query', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (q) => {
        const r = readEmbed('?embed=1&' + q, IDS);
        expect(r.options).not.toBeNull();
      }),
      { seed: 6, numRuns: 500 },
    );
  });

  it('escapes the snippet: a title or address cannot break out of its attribute', () => {
    const s = iframeSnippet('https://x.org/?embed=1&a="><script>', 'A "title" <b>&');
    expect(s).toBe(
      '<iframe src="https://x.org/?embed=1&amp;a=&quot;&gt;&lt;script&gt;" title="A &quot;title&quot; &lt;b&gt;&amp;" width="960" height="540" style="border:0" loading="lazy" allow="clipboard-write"></iframe>',
    );
  });
});

describe('scenario files', () => {
  it('titles a text by its first comment line, not by a chapter', () => {
    expect(titleFromText('# Mine\ncreate f', 'x')).toBe('Mine');
    expect(titleFromText('\n\n## Chapter\ncreate f', 'fallback')).toBe('fallback');
    expect(titleFromText('create f\n# later', 'fallback')).toBe('fallback');
  });

  it('opens a tour saved as .scn to the same scenario and chapters', () => {
    const t = builtin('reflink-cow');
    const r = specFromFile('reflink-cow.scn', t.text);
    if ('errors' in r) throw new Error(JSON.stringify(r.errors));
    expect(r.spec.scenario).toEqual(t.scenario);
    expect(r.spec.chapters).toEqual(t.chapters);
    expect(r.spec.name).toBe('reflink-cow');
  });

  it('an edited copy of a tour does not pass for the tour: it is named <name>-edited', () => {
    const t = builtin('pin-truncate');
    const same = specFromFile('pin-truncate.scn', t.text);
    const edited = specFromFile('pin-truncate.scn', t.text + '\nA: load m+0\n');
    expect('spec' in same && same.spec.name).toBe('pin-truncate');
    expect('spec' in edited && edited.spec.name).toBe('pin-truncate-edited');
  });

  it('opens the engine JSON form as text that parses to it', () => {
    const t = builtin('write-fsync');
    const r = specFromFile('C:\\work\\my ops.json', JSON.stringify(t.scenario));
    if ('errors' in r) throw new Error(JSON.stringify(r.errors));
    expect(r.spec.name).toBe('my-ops');
    expect(r.spec.title).toBe('my ops');
    const again = parse(r.spec.text!);
    expect('scenario' in again && again.scenario).toEqual(r.spec.scenario);
    expect(r.spec.scenario.ops).toEqual(t.scenario.ops);
  });

  it('refuses broken files with a position and a reason', () => {
    expect(specFromFile('a.json', '{"ops": [')).toEqual({ errors: [expect.objectContaining({ line: 1, column: 1, message: expect.stringMatching(/^not valid JSON/) })] });
    const bad = specFromFile('a.json', JSON.stringify({ version: 1, ops: [{ op: 'create', file: 'f' }, { op: 'load' }] }));
    expect('errors' in bad && bad.errors[0].message).toMatch(/^operation 2/);
    const typo = specFromText('create f\n\nA: mmap f 1M as m\nA: lod m', 'x', 'x');
    expect('errors' in typo && typo.errors[0]).toMatchObject({ line: 4, message: expect.stringMatching(/load/) });
  });
});
