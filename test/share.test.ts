/**
 * Share links (src/share/codec.ts): round trips for every built-in scenario, link lengths, when
 * deflate is used, the v0 → v1 upgrade, newer and damaged links, and fuzzing (never throws).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deflateSync, strToU8 } from 'fflate';
import { print } from '../src/engine/lang';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin';
import { DEFAULT_PANELS } from '../src/store/panels';
import type { PanelId, PanelView } from '../src/store/types';
import { MIN_SAVINGS, decodeShare, encodeShare, fromBase64Url, toBase64Url, type ShareInput } from '../src/share/codec';

const BASE = 'https://example.org/daxviz/';

function panelsWith(patch: Partial<Record<PanelId, Partial<PanelView>>>): Record<PanelId, PanelView> {
  const p = structuredClone(DEFAULT_PANELS);
  for (const [id, v] of Object.entries(patch)) Object.assign(p[id as PanelId], v);
  return p;
}

function inputFor(i: number): ShareInput {
  const b = BUILTIN_SCENARIOS[i];
  return {
    scenarioText: b.text,
    step: 7 + i * 3,
    panels: panelsWith({ device: { collapsed: true }, files: { size: 1.5 }, structpage: { visible: false } }),
    model: b.scenario.config?.kernel ?? 'modern',
    name: b.name,
    title: b.title,
  };
}

function b64(s: string): string {
  return toBase64Url(strToU8(s));
}

describe('share codec', () => {
  it('round-trips every built-in scenario with step, panels and model', () => {
    for (let i = 0; i < BUILTIN_SCENARIOS.length; i++) {
      const input = inputFor(i);
      const r = decodeShare(encodeShare(input));
      if ('error' in r) throw new Error(`${BUILTIN_SCENARIOS[i].name}: ${r.error}`);
      const { scenario, chapters, ...rest } = r.state;
      expect(rest).toEqual(input);
      expect(chapters).toEqual(BUILTIN_SCENARIOS[i].chapters);
      expect(scenario).toEqual(BUILTIN_SCENARIOS[i].scenario);
    }
  });

  it('keeps every built-in scenario link under 2,000 characters', () => {
    const lengths: string[] = [];
    for (let i = 0; i < BUILTIN_SCENARIOS.length; i++) {
      const frag = encodeShare(inputFor(i));
      const url = BASE + frag;
      lengths.push(`${BUILTIN_SCENARIOS[i].name}: ${url.length} (text ${inputFor(i).scenarioText.length}, ${frag.slice(4, 5) === 'z' ? 'deflate' : 'plain'})`);
      expect(url.length, BUILTIN_SCENARIOS[i].name).toBeLessThan(2000);
    }
    console.log(`share URL lengths (base ${BASE.length} chars):\n  ${lengths.join('\n  ')}`);
  });

  it('compresses only when it saves at least MIN_SAVINGS', () => {
    // A long scenario compresses well.
    const big = encodeShare(inputFor(0));
    expect(big.startsWith('#v1:z.')).toBe(true);
    const plainLen = b64(JSON.stringify({ v: 1, scenario: inputFor(0).scenarioText })).length;
    expect(big.length - 6).toBeLessThanOrEqual(plainLen * (1 - MIN_SAVINGS));
    // A tiny one does not: deflate's overhead would make it longer or save too little.
    const tinyInput: ShareInput = { scenarioText: 'create f\n', step: 0, panels: structuredClone(DEFAULT_PANELS), model: 'modern' };
    const tiny = encodeShare(tinyInput);
    expect(tiny.startsWith('#v1:j.')).toBe(true);
    const json = new TextDecoder().decode(fromBase64Url(tiny.slice(6))!);
    const deflated = toBase64Url(deflateSync(strToU8(json), { level: 9 }));
    expect(deflated.length).toBeGreaterThan((tiny.length - 6) * (1 - MIN_SAVINGS));
    const r = decodeShare(tiny);
    expect('state' in r && r.state.scenario).toEqual({ version: 1, ops: [{ op: 'create', file: 'f' }] });
  });

  it('encodes base64url and reads it back, rejecting other characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const s = toBase64Url(bytes);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(s)).toEqual(bytes);
      }),
      { seed: 11, numRuns: 300 },
    );
    expect(fromBase64Url('ab+c')).toBeNull();
    expect(fromBase64Url('abcde')).toBeNull();
  });

  it('upgrades a v0 (plain JSON) link', () => {
    const b = BUILTIN_SCENARIOS[1];
    const v0 = { version: 0, scenario: b.scenario, cursor: 12, panels: { xarray: { collapsed: true } }, name: b.name };
    for (const frag of ['#' + encodeURIComponent(JSON.stringify(v0)), '#' + JSON.stringify(v0)]) {
      const r = decodeShare(frag);
      if ('error' in r) throw new Error(r.error);
      expect(r.state.step).toBe(12);
      expect(r.state.scenario).toEqual(b.scenario);
      expect(r.state.scenarioText).toBe(print(b.scenario));
      expect(r.state.panels.xarray.collapsed).toBe(true);
      expect(r.state.panels.files).toEqual(DEFAULT_PANELS.files);
      expect(r.state.name).toBe(b.name);
      expect(r.state.model).toBe('modern');
    }
    const bad = decodeShare('#' + encodeURIComponent(JSON.stringify({ version: 0, scenario: { version: 1, ops: [{ op: 'nope' }] } })));
    expect('error' in bad && bad.error).toMatch(/not valid/);
  });

  it('applies the model to the scenario', () => {
    const input: ShareInput = { ...inputFor(0), model: '6.1' };
    const r = decodeShare(encodeShare(input));
    expect('state' in r && r.state.scenario.config?.kernel).toBe('6.1');
  });

  it('refuses a newer version with a message asking for an update', () => {
    for (const frag of ['#v2:j.' + b64('{"v":2}'), '#v99:whatever', 'v3:z.!!!']) {
      const r = decodeShare(frag);
      expect(r).toEqual({ error: expect.stringMatching(/newer version of this app.*please update/), newer: true });
    }
  });

  it('explains damaged links', () => {
    const good = encodeShare(inputFor(0));
    const cases: [string, RegExp][] = [
      ['#v1:z.' + good.slice(6, 40), /cannot be decompressed/],
      ['#v1:z.ab$cd', /not valid base64url/],
      ['#v1:j.' + b64('{"v":1,'), /not valid JSON/],
      ['#v1:j.' + b64('[1,2]'), /JSON object/],
      ['#v1:j.' + b64('{"v":1,"scenario":5}'), /no scenario text/],
      ['#v1:j.' + b64('{"v":1,"scenario":"create f\\n","step":-1}'), /"step"/],
      ['#v1:j.' + b64('{"v":1,"scenario":"create f\\n","model":"2.4"}'), /"model"/],
      ['#v1:j.' + b64('{"v":1,"scenario":"create f\\n","panels":{"files":{"visible":"yes"}}}'), /files.*visible/],
      ['#v1:j.' + b64('{"v":0,"scenario":"create f\\n"}'), /prefix says v1/],
      ['#v1:j.' + b64('{"v":1,"scenario":"create f\\nfrobnicate g\\n"}'), /line 2, column 1/],
      ['#v1:x.abc', /"j\." \(plain\) or "z\." \(compressed\)/],
      ['#hello', /does not start with a version/],
      ['#v1:j.' + toBase64Url(new Uint8Array([0xff, 0xfe])), /UTF-8/],
    ];
    for (const [frag, re] of cases) {
      const r = decodeShare(frag);
      expect('error' in r, frag).toBe(true);
      if ('error' in r) {
        expect(r.error, frag).toMatch(re);
        expect(r.newer).toBeUndefined();
      }
    }
  });

  it('never throws on random fragments', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => '#v1:z.' + s), fc.string().map((s) => '#v1:j.' + s), fc.string().map((s) => '#%7B' + s)), (frag) => {
        const r = decodeShare(frag);
        expect('state' in r || typeof r.error === 'string').toBe(true);
      }),
      { seed: 5, numRuns: 1000 },
    );
  });

  it('never throws on mutated links, and a decoded mutant is a parsed scenario', () => {
    const links = BUILTIN_SCENARIOS.map((_, i) => encodeShare(inputFor(i)));
    links.push(encodeShare({ scenarioText: 'create f\ntruncate f 1M\n', step: 2, panels: structuredClone(DEFAULT_PANELS), model: 'modern' }));
    const alphabet = 'ABCabc019-_+/=%{}:."\\'.split('');
    fc.assert(
      fc.property(
        fc.constantFrom(...links),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('flip', 'cut', 'insert', 'delete'), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 4 }),
        (link, edits) => {
          let s = link;
          for (const [pos, kind, ch] of edits) {
            const p = pos % (s.length + 1);
            if (kind === 'cut') s = s.slice(0, p);
            else if (kind === 'insert') s = s.slice(0, p) + ch + s.slice(p);
            else if (kind === 'delete') s = s.slice(0, p) + s.slice(p + 1);
            else s = s.slice(0, p) + ch + s.slice(p + 1);
          }
          const r = decodeShare(s);
          if ('state' in r) {
            expect(Number.isSafeInteger(r.state.step) && r.state.step >= 0).toBe(true);
            expect(Array.isArray(r.state.scenario.ops)).toBe(true);
          } else {
            expect(r.error.length).toBeGreaterThan(10);
          }
        },
      ),
      { seed: 17, numRuns: 1500 },
    );
  });
});
