/**
 * Where the scenario editor keeps its drafts: one versioned entry in browser storage (normally
 * localStorage), written as the user types (debounced by the store's editor slice) and read once
 * when a store is made. Every function here takes the storage as an argument, so tests pass a fake
 * and an embedded read-only view passes null (never read, never written). Storage failures (full,
 * disabled, unreadable data) come back as messages; nothing here throws.
 *
 * Format, under EDITOR_STORAGE_KEY ("daxviz.editor.v1"), JSON:
 *   { "v": 1,
 *     "open": true,                                     // the editor pane was open
 *     "current": { "text": "...", "savedAt": 1718000000000, "base": "write-fsync" } | null,
 *     "recent": [ Draft, ... ] }                        // newest first, at most MAX_RECENT_DRAFTS
 * `current` is the text in the editor when it differs from the scenario it was started from
 * (`base`, that scenario's name); `recent` holds earlier drafts put aside by switching scenario,
 * resetting or bringing back another draft. `savedAt` is milliseconds since the epoch.
 */
import { titleFromText } from '../scenarios/custom';

export const EDITOR_STORAGE_KEY = 'daxviz.editor.v1';
/** How many put-aside drafts are kept. */
export const MAX_RECENT_DRAFTS = 5;

/** The part of the Web Storage API the editor uses. */
export type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface Draft {
  text: string;
  /** when it was last saved, ms since the epoch */
  savedAt: number;
  /** the name of the scenario it started from */
  base: string;
}

export interface EditorSaved {
  open: boolean;
  current: Draft | null;
  recent: Draft[];
}

export const EMPTY_SAVED: EditorSaved = { open: false, current: null, recent: [] };

function isDraft(x: unknown): x is Draft {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string, unknown>;
  return typeof d.text === 'string' && typeof d.savedAt === 'number' && Number.isFinite(d.savedAt) && typeof d.base === 'string';
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}

function isQuota(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || /quota/i.test(e.message));
}

/**
 * Read the saved editor state. Null storage gives the empty state without touching anything;
 * an unreadable entry gives the empty state and a message saying so.
 */
export function loadEditorState(storage: DraftStorage | null): { saved: EditorSaved; error: string | null } {
  if (storage === null) return { saved: EMPTY_SAVED, error: null };
  let raw: string | null;
  try {
    raw = storage.getItem(EDITOR_STORAGE_KEY);
  } catch (e) {
    return { saved: EMPTY_SAVED, error: `Drafts cannot be read: the browser's storage refused (${describeError(e)}). Edits are kept in this tab only.` };
  }
  if (raw === null) return { saved: EMPTY_SAVED, error: null };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { saved: EMPTY_SAVED, error: 'The saved drafts were unreadable and were ignored.' };
  }
  if (typeof data !== 'object' || data === null || (data as { v?: unknown }).v !== 1) {
    return { saved: EMPTY_SAVED, error: 'The saved drafts were written in a format this version does not read; they were ignored.' };
  }
  const d = data as { open?: unknown; current?: unknown; recent?: unknown };
  const recent = Array.isArray(d.recent) ? d.recent.filter(isDraft).slice(0, MAX_RECENT_DRAFTS) : [];
  return { saved: { open: d.open === true, current: isDraft(d.current) ? d.current : null, recent }, error: null };
}

/**
 * Write the editor state. Returns null when it was written (or storage is null), else a message.
 * When the storage is full it tries again without the put-aside drafts, so the current one survives.
 */
export function saveEditorState(storage: DraftStorage | null, saved: EditorSaved): string | null {
  if (storage === null) return null;
  const write = (s: EditorSaved) => storage.setItem(EDITOR_STORAGE_KEY, JSON.stringify({ v: 1, open: s.open, current: s.current, recent: s.recent }));
  try {
    write(saved);
    return null;
  } catch (e) {
    if (isQuota(e) && saved.recent.length > 0) {
      try {
        write({ ...saved, recent: [] });
        return "The browser's storage is full: only the current draft was saved (older drafts are kept in this tab only).";
      } catch {
        // fall through to the message below
      }
    }
    return isQuota(e)
      ? "Your draft could not be saved: the browser's storage is full. It stays in this tab until you reload."
      : `Your draft could not be saved (${describeError(e)}). It stays in this tab until you reload.`;
  }
}

/** Add `d` to the front of the put-aside drafts: one entry per text, newest first, at most `max`. */
export function pushRecent(recent: readonly Draft[], d: Draft, max = MAX_RECENT_DRAFTS): Draft[] {
  return [d, ...recent.filter((r) => r.text !== d.text)].slice(0, max);
}

/** How the Drafts menu names a draft. */
export interface DraftSummary {
  /** the text's first `# ` comment line, else the title of the scenario it started from */
  title: string;
  /** the first operation line (not a comment, narration, chapter or the machine line); null when there is none */
  firstOp: string | null;
}

const shorten = (s: string, max: number) => (s.length > max ? s.slice(0, max - 1) + '…' : s);

/**
 * A draft's title and first operation line, for the Drafts menu. `baseTitle` gives a scenario's
 * title from its name (null when it does not know it); a draft of a custom scenario with no
 * `# ` line is "My scenario", as Run would title it.
 */
export function draftSummary(d: Draft, baseTitle: (name: string) => string | null = () => null, max = 60): DraftSummary {
  const fallback = d.base === 'custom' ? 'My scenario' : (baseTitle(d.base) ?? d.base);
  const firstOp =
    d.text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#') && !l.startsWith('>') && !/^machine(\s|$)/.test(l)) ?? null;
  return { title: shorten(titleFromText(d.text, fallback), max), firstOp: firstOp === null ? null : shorten(firstOp, max) };
}

/** "14:03" for today, else "12 Jun 14:03" (the user's locale). */
export function formatSavedAt(ms: number, now: number = Date.now()): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
}

/**
 * The browser's localStorage. Outside a browser there is none (storage null, no message); where
 * touching it throws (storage disabled, sandboxed frames) the message says drafts will not be kept.
 */
export function defaultDraftStorage(): { storage: DraftStorage | null; error: string | null } {
  if (typeof window === 'undefined') return { storage: null, error: null };
  try {
    const s = window.localStorage;
    if (s) return { storage: s, error: null };
    return { storage: null, error: "This browser gives the page no storage: drafts are kept in this tab only." };
  } catch (e) {
    return { storage: null, error: `Browser storage is disabled (${describeError(e)}): drafts are kept in this tab only.` };
  }
}
