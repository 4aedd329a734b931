/**
 * The scenario editor's slice: whether the pane is open, the text being edited (the draft), the
 * put-aside drafts, the checker's summary, and the actions behind the editor's buttons. The text is
 * saved to storage as the user types (debounced, src/editor/persistence.ts) and read back when the
 * store is made, so a reload, a bad parse or a switch of scenario never loses an edit. The CodeMirror
 * view (src/editor/CodeEditor.tsx) mirrors `editorText` both ways.
 *
 * Conventions in this file:
 *   base    - the scenario the draft was started from; running an unchanged text runs it as is.
 *   edited  - the text differs from the base's text (only then is there a draft to keep).
 *   storage - injectable; null means never read or write (an embedded read-only view).
 *   room    - on a window narrower than EDITOR_ROOMY_WIDTH, opening the pane collapses the panels
 *             in EDITOR_ROOM_PANELS so the others keep a usable width; closing it expands again
 *             only the panels it collapsed (and that are still collapsed).
 */
import type { StateCreator } from 'zustand';
import type { LangError } from '../engine/lang';
import { parse } from '../engine/lang';
import type { EditorStatus } from '../editor/diagnose';
import {
  defaultDraftStorage,
  formatSavedAt,
  loadEditorState,
  MAX_RECENT_DRAFTS,
  pushRecent,
  saveEditorState,
  type Draft,
  type DraftStorage,
} from '../editor/persistence';
import { sourceText } from '../editor/source';
import { titleFromText } from '../scenarios/custom';
import type { MachineScenarioSpec, ScenarioSpec } from '../worker/protocol';
import type { PanelId, SimState } from './types';

export interface EditorNotice {
  kind: 'info' | 'error';
  text: string;
}

export type RunEditorResult =
  | { ok: true; spec: MachineScenarioSpec; done: Promise<void> }
  /** errors sorted by line and column; empty when there is nothing to run (read-only, no text) */
  | { ok: false; errors: LangError[] };

export const EDITOR_MIN_WIDTH = 260;
export const EDITOR_MAX_WIDTH = 760;
export const EDITOR_DEFAULT_WIDTH = 340;
/** Below this window width (CSS pixels), opening the editor collapses EDITOR_ROOM_PANELS. */
export const EDITOR_ROOMY_WIDTH = 1500;
/** The panels the editor collapses to make room, and the names its note gives them. */
export const EDITOR_ROOM_PANELS: readonly PanelId[] = ['structpage', 'callpath'];
const ROOM_PANEL_TITLES: Partial<Record<PanelId, string>> = { structpage: 'struct page', callpath: 'Call path' };
/** How long typing must pause before the draft is written to storage. */
export const DRAFT_SAVE_DELAY_MS = 400;

export interface EditorSlice {
  editorOpen: boolean;
  /** Shows the text but cannot edit, run, reset or bring back drafts (embeds). */
  editorReadOnly: boolean;
  /** The editor's text; null when there is none to show (the XArray tour, with no draft). */
  editorText: string | null;
  /** The scenario the draft started from (see "base" above). */
  editorBase: ScenarioSpec;
  /** Put-aside drafts, newest first (at most MAX_RECENT_DRAFTS). */
  editorDrafts: Draft[];
  /** The checker's summary of editorText (set by the editor's lint source). */
  editorStatus: EditorStatus;
  /** "Restored your draft from ...", "your edits were put aside", ... (null: nothing to say). */
  editorNotice: EditorNotice | null;
  /** Why drafts cannot be kept (storage full or disabled); null when saving works. */
  editorStorageError: string | null;
  /** The pane's width in CSS pixels. */
  editorWidth: number;
  /** Said the first time opening the pane collapses panels to make room (null: nothing to say). */
  editorRoomNote: string | null;
  setEditorOpen(open: boolean): void;
  toggleEditor(): void;
  setEditorWidth(px: number): void;
  setEditorReadOnly(on: boolean): void;
  /** The user changed the text (ignored when read-only); saved after DRAFT_SAVE_DELAY_MS. */
  setEditorText(text: string): void;
  setEditorStatus(s: EditorStatus): void;
  /**
   * Run the text: when it parses, setScenario with a machine spec (the base itself when the text is
   * unchanged, else name "custom", title from the first `# ` line). When it does not, nothing runs.
   */
  runEditor(): RunEditorResult;
  /** Put back the running scenario's text (edits that would be lost go to the drafts list first). */
  resetEditor(): void;
  /** Bring back put-aside draft `index` (the current edits are put aside in its place). */
  restoreDraft(index: number): void;
  dismissEditorNotice(): void;
  dismissEditorRoomNote(): void;
  /** Write a pending draft now (page hide, store destroy). */
  flushEditorDraft(): void;
}

export interface EditorSliceOptions {
  scenario: ScenarioSpec;
  /** undefined: the browser's localStorage when there is one; null: never read or write. */
  storage?: DraftStorage | null;
  /** The clock for draft times (tests inject one). */
  now?: () => number;
  /** The window's width in CSS pixels (tests inject one); default window.innerWidth, Infinity outside a browser. */
  viewportWidth?: () => number;
  /**
   * Whether a draft saved by an earlier visit becomes the editor's text again (and reopens the
   * pane). Default: always. The app says no when the page was opened for something else (a share
   * link, another scenario by name): the draft then waits in Drafts, with a note saying so.
   */
  resumeDraft?: (d: Draft) => boolean;
}

function defaultViewportWidth(): number {
  return typeof window !== 'undefined' && typeof window.innerWidth === 'number' ? window.innerWidth : Infinity;
}

/** The note for panels collapsed to make room: "struct page and Call path were collapsed ...". */
export function roomNoteText(ids: readonly PanelId[]): string {
  const names = ids.map((id) => ROOM_PANEL_TITLES[id] ?? id);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
  return names.length > 1
    ? `${list} were collapsed to make room; expand them from their ▸ buttons.`
    : `${list} was collapsed to make room; expand it from its ▸ button.`;
}

/** Whether `s`'s text differs from what its base scenario says (there is a draft to keep). */
export function isEditorEdited(s: Pick<SimState, 'editorText' | 'editorBase'>): boolean {
  return s.editorText !== null && s.editorText !== sourceText(s.editorBase);
}

/** Whether the text differs from the scenario the panels show (a run would change them). */
export function isEditorAhead(s: Pick<SimState, 'editorText' | 'scenario'>): boolean {
  return s.editorText !== null && s.editorText !== sourceText(s.scenario);
}

/** Two drafts lists as one: one entry per text (the newer), newest first, at most MAX_RECENT_DRAFTS. */
function mergeDrafts(a: readonly Draft[], b: readonly Draft[]): Draft[] {
  const byText = new Map<string, Draft>();
  for (const d of [...a, ...b]) {
    const had = byText.get(d.text);
    if (!had || had.savedAt < d.savedAt) byText.set(d.text, d);
  }
  return [...byText.values()].sort((x, y) => y.savedAt - x.savedAt).slice(0, MAX_RECENT_DRAFTS);
}

function sameDrafts(a: readonly Draft[], b: readonly Draft[]): boolean {
  return a.length === b.length && a.every((d, i) => d.text === b[i].text && d.savedAt === b[i].savedAt && d.base === b[i].base);
}

const clampWidth = (px: number) => Math.round(Math.min(EDITOR_MAX_WIDTH, Math.max(EDITOR_MIN_WIDTH, px)));

export const createEditorSlice =
  (opts: EditorSliceOptions): StateCreator<SimState, [], [], EditorSlice> =>
  (set, get, api) => {
    const now = opts.now ?? (() => Date.now());
    const viewportWidth = opts.viewportWidth ?? defaultViewportWidth;
    const def = opts.storage === undefined ? defaultDraftStorage() : { storage: opts.storage, error: null };
    const storage = def.storage;
    const loaded = loadEditorState(storage);
    const initialSource = sourceText(opts.scenario);
    const saved = loaded.saved.current !== null && loaded.saved.current.text !== initialSource ? loaded.saved.current : null;
    const restored = saved && (opts.resumeDraft ?? (() => true))(saved) ? saved : null;
    // A draft that does not resume waits in the drafts list.
    const setAside = saved && !restored ? saved : null;
    const initialDrafts = setAside ? pushRecent(loaded.saved.recent, setAside) : loaded.saved.recent;
    /** Every put-aside draft this store has read or written (see saveNow). */
    const seenDrafts = new Set<string>(loaded.saved.recent.map((d) => d.text));
    /** The text of the current draft this store last wrote (to tell it from another tab's). */
    let lastWritten: string | null = restored ? restored.text : null;

    let timer: ReturnType<typeof setTimeout> | null = null;
    /** set while runEditor changes the scenario, so the switch below keeps the text */
    let fromEditor = false;
    /** the panels opening the pane collapsed (see "room" above), expanded again when it closes */
    let collapsedByEditor: PanelId[] = [];
    /** whether the room note has been shown (once per store) */
    let roomNoted = false;

    const makeRoom = () => {
      if (!(viewportWidth() < EDITOR_ROOMY_WIDTH)) return;
      const s = get();
      const ids = EDITOR_ROOM_PANELS.filter((id) => s.panels[id].visible && !s.panels[id].collapsed);
      if (ids.length === 0) return;
      for (const id of ids) s.setPanel(id, { collapsed: true });
      // After the changes, so the subscription below does not take the first for the user's.
      collapsedByEditor = [...collapsedByEditor, ...ids];
      if (!roomNoted) {
        roomNoted = true;
        set({ editorRoomNote: roomNoteText(ids) });
      }
    };
    const giveBackRoom = () => {
      const ids = collapsedByEditor;
      collapsedByEditor = [];
      const s = get();
      for (const id of ids) if (s.panels[id].collapsed) s.setPanel(id, { collapsed: false });
      if (get().editorRoomNote !== null) set({ editorRoomNote: null });
    };

    const saveNow = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (storage === null) return;
      const s = get();
      let current: Draft | null = isEditorEdited(s) ? { text: s.editorText!, savedAt: now(), base: s.editorBase.name } : null;
      // Another tab (or another visualizer on the page) may have written since: keep its drafts.
      // Its current draft stays current when this store has none, else joins the drafts list.
      const there = loadEditorState(storage).saved;
      // (Only drafts this store has never seen: one it saw and no longer lists was restored or
      // dropped here, and must not come back.)
      let recent = mergeDrafts(s.editorDrafts, there.recent.filter((d) => !seenDrafts.has(d.text)));
      const theirs = there.current !== null && there.current.text !== lastWritten ? there.current : null;
      if (theirs && current === null) current = theirs;
      else if (theirs && theirs.text !== current?.text) recent = pushRecent(recent, theirs);
      if (current !== null && current !== theirs) lastWritten = current.text;
      for (const d of [...there.recent, ...recent]) seenDrafts.add(d.text);
      const err = saveEditorState(storage, { open: s.editorOpen, current, recent });
      if (err !== s.editorStorageError) set({ editorStorageError: err });
      if (!sameDrafts(recent, s.editorDrafts)) set({ editorDrafts: recent });
    };
    const scheduleSave = () => {
      if (storage === null) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(saveNow, DRAFT_SAVE_DELAY_MS);
    };
    /** The drafts list with the current text put aside, when it is an edit that `keep` would lose. */
    const putAside = (s: SimState, keep: string | null): Draft[] | null => {
      if (!isEditorEdited(s) || s.editorText === keep) return null;
      return pushRecent(s.editorDrafts, { text: s.editorText!, savedAt: now(), base: s.editorBase.name });
    };

    // A panel the pane collapsed and the user expanded is theirs again: closing leaves it alone.
    api.subscribe((s, prev) => {
      if (s.panels !== prev.panels && collapsedByEditor.length) collapsedByEditor = collapsedByEditor.filter((id) => s.panels[id].collapsed);
    });

    // Another scenario chosen (the header's chooser, a share link): show its text; edits go to the drafts.
    api.subscribe((s, prev) => {
      if (s.scenario === prev.scenario || fromEditor) return;
      const next = s.scenario;
      const text = sourceText(next);
      const drafts = putAside(s, text);
      set({
        editorText: text,
        editorBase: next,
        editorStatus: { kind: 'none' },
        ...(drafts ? { editorDrafts: drafts, editorNotice: { kind: 'info', text: 'Your edits were put aside: bring them back from Drafts.' } } : {}),
      });
      saveNow();
    });

    const openAtStart = restored !== null || loaded.saved.open;
    // The store does not exist yet: make room once it does (a pane reopened at load).
    if (openAtStart) queueMicrotask(() => get().editorOpen && makeRoom());

    return {
      editorOpen: openAtStart,
      editorReadOnly: false,
      editorText: restored ? restored.text : initialSource,
      editorBase: opts.scenario,
      editorDrafts: initialDrafts,
      editorStatus: { kind: 'none' },
      editorNotice: restored
        ? { kind: 'info', text: `Restored your draft from ${formatSavedAt(restored.savedAt, now())}.` }
        : setAside
          ? { kind: 'info', text: `Your draft from ${formatSavedAt(setAside.savedAt, now())} is in Drafts: this page opened another scenario.` }
          : null,
      editorStorageError: loaded.error ?? def.error,
      editorWidth: EDITOR_DEFAULT_WIDTH,
      editorRoomNote: null,

      setEditorOpen(open) {
        if (get().editorOpen === open) return;
        set({ editorOpen: open });
        if (open) makeRoom();
        else giveBackRoom();
        saveNow();
      },
      toggleEditor() {
        get().setEditorOpen(!get().editorOpen);
      },
      setEditorWidth(px) {
        set({ editorWidth: clampWidth(px) });
      },
      setEditorReadOnly(on) {
        set({ editorReadOnly: on });
      },
      setEditorText(text) {
        const s = get();
        if (s.editorReadOnly || text === s.editorText) return;
        set({ editorText: text });
        scheduleSave();
      },
      setEditorStatus(status) {
        set({ editorStatus: status });
      },
      runEditor() {
        const s = get();
        const text = s.editorText;
        if (s.editorReadOnly || text === null) return { ok: false, errors: [] };
        const r = parse(text);
        if ('errors' in r) return { ok: false, errors: [...r.errors].sort((a, b) => a.line - b.line || a.column - b.column) };
        const base = s.editorBase;
        const spec: MachineScenarioSpec =
          base.kind === 'machine' && text === sourceText(base)
            ? base
            : { v: 1, kind: 'machine', name: 'custom', title: titleFromText(text, 'My scenario'), scenario: r.scenario, chapters: r.chapters, text };
        fromEditor = true;
        let done: Promise<void>;
        try {
          done = s.setScenario(spec);
        } finally {
          fromEditor = false;
        }
        if (s.editorNotice?.kind === 'info') set({ editorNotice: null });
        saveNow();
        return { ok: true, spec, done };
      },
      resetEditor() {
        const s = get();
        if (s.editorReadOnly) return;
        const text = sourceText(s.scenario);
        if (text === null || text === s.editorText) return;
        const drafts = putAside(s, text);
        set({ editorText: text, editorStatus: { kind: 'none' }, ...(drafts ? { editorDrafts: drafts } : {}) });
        saveNow();
      },
      restoreDraft(index) {
        const s = get();
        const d = s.editorDrafts[index];
        if (s.editorReadOnly || !d) return;
        const rest = s.editorDrafts.filter((_, i) => i !== index);
        const drafts = isEditorEdited(s) && s.editorText !== d.text ? pushRecent(rest, { text: s.editorText!, savedAt: now(), base: s.editorBase.name }) : rest;
        set({ editorText: d.text, editorDrafts: drafts, editorOpen: true, editorNotice: null, editorStatus: { kind: 'none' } });
        if (!s.editorOpen) makeRoom();
        saveNow();
      },
      dismissEditorNotice() {
        set({ editorNotice: null });
      },
      dismissEditorRoomNote() {
        set({ editorRoomNote: null });
      },
      flushEditorDraft() {
        if (timer !== null) saveNow();
      },
    };
  };
