/**
 * Share links: the app's state in the address's fragment, `#v<N>:<mark>.<payload>`. The link
 * carries inputs, not outputs: the scenario as text in the scenario language, the step to show,
 * the panel layout and the kernel model. The engine is deterministic, so the trace is recomputed
 * when the link is opened. Pure: no DOM, no React.
 *
 * Conventions in this file:
 *   version - the share format's version, in the prefix (`#v1:`) and in the JSON (`v`). Older
 *             versions are upgraded by a fall-through ladder in upgrade(); a newer one is refused
 *             with a message that asks for an update.
 *   mark    - `j` when the payload is the UTF-8 JSON itself, `z` when it is a raw deflate of it.
 *             Deflate is used only when it saves at least MIN_SAVINGS of the payload's length.
 *   payload - base64url (RFC 4648 §5) without padding.
 *   v0      - the legacy form: the fragment is the URL-encoded JSON
 *             `{"version":0,"scenario":<engine JSON scenario>,"cursor":n,"panels"?:{...}}`.
 *
 * What this module leaves out: the selection, hover, playback speed and theme (view state that a
 * reader can set again in a moment); which XArray the XArray panel shows (kept inside the panel).
 */
import { deflateSync, inflateSync } from 'fflate';
import { parse, print, type Chapter } from '../engine/lang';
import { validateScenario, type Scenario } from '../engine/ops';
import { KERNEL_VERSIONS, type KernelVersion } from '../engine/version';
import { DEFAULT_PANELS, MAX_PANEL_SIZE, MIN_PANEL_SIZE } from '../store/panels';
import type { PanelId, PanelView } from '../store/types';

/** The share format this build writes. */
export const SHARE_VERSION = 1;
/** Deflate is used only when the compressed payload is at most this fraction of the plain one. */
export const MIN_SAVINGS = 0.2;
/** Longer fragments are refused before any decoding (a deflate bomb would need a long link anyway). */
export const MAX_FRAGMENT = 64 * 1024;

type Panels = Record<PanelId, PanelView>;
const PANEL_IDS = Object.keys(DEFAULT_PANELS) as PanelId[];

/** What a share link says, as the app gives it to encodeShare(). */
export interface ShareInput {
  /** the scenario in the scenario language (print() of the scenario) */
  scenarioText: string;
  /** the cursor: how many steps have been applied */
  step: number;
  panels: Panels;
  /** the kernel the scenario runs under */
  model: KernelVersion;
  /** the scenario's short id and title, when it has them */
  name?: string;
  title?: string;
}

/** A decoded link: the input fields plus the parsed scenario, with the model applied to its config. */
export interface SharedState extends ShareInput {
  scenario: Scenario;
  chapters: Chapter[];
}

export type DecodeResult = { state: SharedState } | { error: string; newer?: boolean };

/* ---------------- base64url and UTF-8 ---------------- */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Bytes to base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const left = bytes.length - i;
    out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
    if (left > 1) out += ALPHABET[(n >> 6) & 63];
    if (left > 2) out += ALPHABET[n & 63];
  }
  return out;
}

/** base64url (padding optional) to bytes; null when the text is not base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  const s = text.replace(/=+$/, '');
  if (s.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    const chunk = s.slice(i, i + 4);
    for (let k = 0; k < 4; k++) {
      const c = chunk[k];
      const v = c === undefined ? 0 : INDEX.get(c);
      if (v === undefined) return null;
      n = (n << 6) | v;
    }
    out[o++] = (n >> 16) & 255;
    if (chunk.length > 2) out[o++] = (n >> 8) & 255;
    if (chunk.length > 3) out[o++] = n & 255;
  }
  return out;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/* ---------------- encode ---------------- */

/** The panels that differ from the defaults (the link stays short when the layout is untouched). */
function panelDiff(panels: Panels): Partial<Record<PanelId, Partial<PanelView>>> {
  const out: Partial<Record<PanelId, Partial<PanelView>>> = {};
  for (const id of PANEL_IDS) {
    const p = panels[id];
    const d = DEFAULT_PANELS[id];
    if (!p) continue;
    const diff: Partial<PanelView> = {};
    if (p.visible !== d.visible) diff.visible = p.visible;
    if (p.collapsed !== d.collapsed) diff.collapsed = p.collapsed;
    if (p.size !== d.size) diff.size = p.size;
    if (Object.keys(diff).length) out[id] = diff;
  }
  return out;
}

/**
 * The fragment (with its `#`) for `input`: `#v1:j.<base64url JSON>` or, when deflate saves at least
 * MIN_SAVINGS, `#v1:z.<base64url deflate>`.
 */
export function encodeShare(input: ShareInput): string {
  const json: Record<string, unknown> = { v: SHARE_VERSION, scenario: input.scenarioText, step: input.step, model: input.model };
  const panels = panelDiff(input.panels);
  if (Object.keys(panels).length) json.panels = panels;
  if (input.name !== undefined) json.name = input.name;
  if (input.title !== undefined) json.title = input.title;
  const bytes = utf8Encoder.encode(JSON.stringify(json));
  const plain = toBase64Url(bytes);
  const packed = toBase64Url(deflateSync(bytes, { level: 9 }));
  const useDeflate = packed.length <= plain.length * (1 - MIN_SAVINGS);
  return `#v${SHARE_VERSION}:${useDeflate ? 'z' : 'j'}.${useDeflate ? packed : plain}`;
}

/* ---------------- decode ---------------- */

const DAMAGED = 'This share link is damaged';

class ShareError {
  constructor(readonly message: string) {}
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Upgrade a v0 object (legacy plain JSON) to the v1 shape. */
function upgradeV0(o: Record<string, unknown>): Record<string, unknown> {
  const r = validateScenario(o.scenario);
  if ('errors' in r) {
    const e = r.errors[0];
    throw new ShareError(`${DAMAGED}: its scenario is not valid (${e ? `${e.index >= 0 ? `operation ${e.index + 1}: ` : ''}${e.message}` : 'unknown problem'}).`);
  }
  const { scenario: _s, cursor, version: _v, ...rest } = o;
  return {
    ...rest,
    v: 1,
    // validateScenario fills in an empty config; print what the link held, which it has just vouched for.
    scenario: print(o.scenario as Scenario),
    step: cursor ?? 0,
    model: r.scenario.config?.kernel ?? 'modern',
  };
}

/**
 * Bring an object of any known version to the current shape, one version at a time: each case
 * upgrades one version and the loop carries on from the next (a fall-through ladder; tsconfig's
 * noFallthroughCasesInSwitch rules out a literal fall-through).
 */
function upgrade(o: Record<string, unknown>, version: number): Record<string, unknown> {
  let cur = o;
  for (let v = version; v < SHARE_VERSION; v++) {
    switch (v) {
      case 0:
        cur = upgradeV0(cur);
        break;
      default:
        throw new ShareError(`${DAMAGED}: unknown share format version ${v}.`);
    }
  }
  return cur;
}

function readPanels(x: unknown): Panels {
  const out = structuredClone(DEFAULT_PANELS);
  if (x === undefined) return out;
  if (!isObject(x)) throw new ShareError(`${DAMAGED}: "panels" should be an object.`);
  for (const id of PANEL_IDS) {
    const p = x[id];
    if (p === undefined) continue;
    if (!isObject(p)) throw new ShareError(`${DAMAGED}: panel "${id}" should be an object.`);
    for (const k of ['visible', 'collapsed'] as const) {
      if (p[k] === undefined) continue;
      if (typeof p[k] !== 'boolean') throw new ShareError(`${DAMAGED}: panel "${id}".${k} should be true or false.`);
      out[id][k] = p[k];
    }
    if (p.size !== undefined) {
      if (typeof p.size !== 'number' || !Number.isFinite(p.size)) throw new ShareError(`${DAMAGED}: panel "${id}".size should be a number.`);
      out[id].size = Math.max(MIN_PANEL_SIZE, Math.min(MAX_PANEL_SIZE, p.size));
    }
  }
  // Panels this build does not know are ignored: a layout is a preference, not the meaning.
  return out;
}

/** Check the current-version object and parse its scenario. */
function readCurrent(o: Record<string, unknown>): SharedState {
  if (typeof o.scenario !== 'string') throw new ShareError(`${DAMAGED}: it has no scenario text.`);
  const step = o.step ?? 0;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) throw new ShareError(`${DAMAGED}: "step" should be a whole number ≥ 0.`);
  const model = o.model ?? 'modern';
  if (typeof model !== 'string' || !(KERNEL_VERSIONS as readonly string[]).includes(model)) {
    throw new ShareError(`${DAMAGED}: "model" should be one of ${KERNEL_VERSIONS.join(', ')}.`);
  }
  for (const k of ['name', 'title'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new ShareError(`${DAMAGED}: "${k}" should be text.`);
  }
  const panels = readPanels(o.panels);
  const parsed = parse(o.scenario);
  if ('errors' in parsed) {
    const e = parsed.errors[0];
    const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
    throw new ShareError(`The scenario in this share link does not parse: line ${e.line}, column ${e.column}: ${e.message}${more}.`);
  }
  const kernel = model as KernelVersion;
  let scenario = parsed.scenario;
  if ((scenario.config?.kernel ?? 'modern') !== kernel) scenario = { ...scenario, config: { ...scenario.config, kernel } };
  const state: SharedState = { scenarioText: o.scenario, step, panels, model: kernel, scenario, chapters: parsed.chapters };
  if (typeof o.name === 'string') state.name = o.name;
  if (typeof o.title === 'string') state.title = o.title;
  return state;
}

function parseJson(text: string): Record<string, unknown> {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw new ShareError(`${DAMAGED}: its contents are not valid JSON.`);
  }
  if (!isObject(x)) throw new ShareError(`${DAMAGED}: its contents should be a JSON object.`);
  return x;
}

function decodeUnsafe(fragment: string): DecodeResult {
  const f = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (f.length > MAX_FRAGMENT) return { error: `${DAMAGED}: it is too long (${f.length} characters).` };
  // v0: plain JSON, URL-encoded or not.
  if (f.startsWith('{') || f.startsWith('%7B') || f.startsWith('%7b')) {
    let text: string;
    try {
      text = decodeURIComponent(f);
    } catch {
      return { error: `${DAMAGED}: its URL encoding is broken.` };
    }
    const o = parseJson(text);
    const version = o.version ?? 0;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return { error: `${DAMAGED}: its "version" is not a whole number.` };
    if (version !== 0) return { error: `${DAMAGED}: a plain JSON link must be version 0, not ${version}.` };
    return { state: readCurrent(upgrade(o, 0)) };
  }
  const m = /^v(\d{1,9}):(.*)$/s.exec(f);
  if (!m) return { error: `${DAMAGED}: it does not start with a version such as "v${SHARE_VERSION}:".` };
  const version = Number(m[1]);
  if (version > SHARE_VERSION) {
    return {
      error: `This share link was made by a newer version of this app (link format v${version}; this app reads up to v${SHARE_VERSION}); please update or reload the app.`,
      newer: true,
    };
  }
  if (version < 1) return { error: `${DAMAGED}: version ${version} links are plain JSON, without a "v${version}:" prefix.` };
  const body = m[2];
  const mark = body.slice(0, 2);
  if (mark !== 'j.' && mark !== 'z.') return { error: `${DAMAGED}: after "v${version}:" it should say "j." (plain) or "z." (compressed).` };
  const bytes = fromBase64Url(body.slice(2));
  if (!bytes) return { error: `${DAMAGED}: its data is not valid base64url (it may have been cut short or altered).` };
  let raw = bytes;
  if (mark === 'z.') {
    try {
      raw = inflateSync(bytes);
    } catch {
      return { error: `${DAMAGED}: its compressed data cannot be decompressed (it may have been cut short).` };
    }
  }
  let text: string;
  try {
    text = utf8Decoder.decode(raw);
  } catch {
    return { error: `${DAMAGED}: its data is not valid UTF-8 text.` };
  }
  const o = parseJson(text);
  if (o.v !== version) return { error: `${DAMAGED}: its contents say version ${JSON.stringify(o.v ?? null)}, its prefix says v${version}.` };
  return { state: readCurrent(upgrade(o, version)) };
}

/**
 * Read a share fragment (with or without its `#`). Never throws: a damaged link gives an error
 * that says what is wrong, a link from a newer format gives an error with `newer: true`.
 */
export function decodeShare(fragment: string): DecodeResult {
  try {
    return decodeUnsafe(fragment);
  } catch (e) {
    if (e instanceof ShareError) return { error: e.message };
    return { error: `${DAMAGED}: ${e instanceof Error ? e.message : String(e)}.` };
  }
}

/** Whether a fragment looks like a share link (and so should be decoded rather than ignored). */
export function isShareFragment(fragment: string): boolean {
  const f = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  return /^v\d/.test(f) || f.startsWith('{') || /^%7b/i.test(f);
}
