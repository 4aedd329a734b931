// Drafts in storage: the format round-trips, the put-aside list is capped, storage failures come
// back as messages, and the editor slice saves as the user types, restores on reload, keeps edits
// across a scenario switch and never touches storage when it is null.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCENARIO_CHOICES } from '../scenarios';
import { makeSimStore } from '../store';
import { DRAFT_SAVE_DELAY_MS } from '../store/editor';
import type { MachineScenarioSpec, ScenarioSpec } from '../worker/protocol';
import {
  EDITOR_STORAGE_KEY,
  MAX_RECENT_DRAFTS,
  draftSummary,
  loadEditorState,
  pushRecent,
  saveEditorState,
  type Draft,
  type DraftStorage,
} from './persistence';
import { sourceText } from './source';

/** A Map-backed Storage that counts every call. */
class MemoryStorage implements DraftStorage {
  readonly map = new Map<string, string>();
  calls = 0;
  getItem(k: string) {
    this.calls++;
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.calls++;
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.calls++;
    this.map.delete(k);
  }
}

const quota = () => Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
const draft = (text: string, savedAt = 1000): Draft => ({ text, savedAt, base: 'write-fsync' });

describe('persistence', () => {
  it('round-trips the open flag, the current draft and the put-aside drafts', () => {
    const st = new MemoryStorage();
    const saved = { open: true, current: draft('create f\n', 5), recent: [draft('# a\ncreate a\n', 4), draft('create b\n', 3)] };
    expect(saveEditorState(st, saved)).toBeNull();
    expect(JSON.parse(st.map.get(EDITOR_STORAGE_KEY)!)).toEqual({ v: 1, ...saved });
    expect(loadEditorState(st)).toEqual({ saved, error: null });
  });

  it('reads nothing as the empty state', () => {
    expect(loadEditorState(new MemoryStorage())).toEqual({ saved: { open: false, current: null, recent: [] }, error: null });
  });

  it('ignores unreadable or foreign data with a message', () => {
    const st = new MemoryStorage();
    st.map.set(EDITOR_STORAGE_KEY, '{not json');
    const r = loadEditorState(st);
    expect(r.saved.current).toBeNull();
    expect(r.error).toMatch(/unreadable/);
    st.map.set(EDITOR_STORAGE_KEY, JSON.stringify({ v: 2, current: draft('x') }));
    expect(loadEditorState(st).error).toMatch(/format/);
    st.map.set(EDITOR_STORAGE_KEY, JSON.stringify({ v: 1, open: true, current: { text: 3 }, recent: [draft('ok'), { text: 'no time' }] }));
    expect(loadEditorState(st)).toEqual({ saved: { open: true, current: null, recent: [draft('ok')] }, error: null });
  });

  it('caps the put-aside drafts, newest first, one per text', () => {
    let recent: Draft[] = [];
    for (let i = 0; i < 8; i++) recent = pushRecent(recent, draft(`text ${i}`, i));
    expect(recent.map((d) => d.text)).toEqual(['text 7', 'text 6', 'text 5', 'text 4', 'text 3']);
    expect(recent).toHaveLength(MAX_RECENT_DRAFTS);
    recent = pushRecent(recent, draft('text 5', 99));
    expect(recent.map((d) => d.text)).toEqual(['text 5', 'text 7', 'text 6', 'text 4', 'text 3']);
    expect(recent[0].savedAt).toBe(99);
  });

  it('reports a storage that throws instead of throwing', () => {
    const broken: DraftStorage = {
      getItem() {
        throw Object.assign(new Error('access denied'), { name: 'SecurityError' });
      },
      setItem() {
        throw new Error('disabled');
      },
      removeItem() {},
    };
    expect(loadEditorState(broken).error).toMatch(/SecurityError: access denied/);
    expect(saveEditorState(broken, { open: false, current: draft('x'), recent: [] })).toMatch(/could not be saved \(disabled\)/);
  });

  it('keeps the current draft when the storage is full, by dropping the put-aside ones', () => {
    const st = new MemoryStorage();
    st.setItem = (k, v) => {
      if (v.length > 200) throw quota();
      st.map.set(k, v);
    };
    const msg = saveEditorState(st, { open: true, current: draft('short'), recent: [draft('x'.repeat(300))] });
    expect(msg).toMatch(/full: only the current draft/);
    expect(loadEditorState(st).saved).toEqual({ open: true, current: draft('short'), recent: [] });
    expect(saveEditorState(st, { open: true, current: draft('y'.repeat(300)), recent: [] })).toMatch(/storage is full/);
  });

  it('names a draft by its title (first "# " line, else its base scenario\'s), with its first operation line', () => {
    const titles = (n: string) => (n === 'write-fsync' ? 'Write, then fsync' : null);
    // A built-in's text opens with its machine line: the title comes from the base, the op skips it.
    const builtinText = 'machine dax=always platform=adr pmd=on\n\n## Chapter one\n> A writes.\nA: create f\nwrite f 0 "x"\n';
    expect(draftSummary(draft(builtinText), titles)).toEqual({ title: 'Write, then fsync', firstOp: 'A: create f' });
    expect(draftSummary(draft('\n  # My scenario\r\n# more notes\ncreate f\n'), titles)).toEqual({ title: 'My scenario', firstOp: 'create f' });
    // A "## chapter" is not a title; an unknown base gives its name; a custom one "My scenario".
    expect(draftSummary({ ...draft('## One\ncreate g\n'), base: 'mine' }, titles)).toEqual({ title: 'mine', firstOp: 'create g' });
    expect(draftSummary({ ...draft('create g\n'), base: 'custom' }, titles).title).toBe('My scenario');
    expect(draftSummary(draft(''), titles)).toEqual({ title: 'Write, then fsync', firstOp: null });
    expect(draftSummary(draft('# t\nmachine dax=never\n> only words\n'))).toEqual({ title: 't', firstOp: null });
    expect(draftSummary(draft(`# ${'x'.repeat(100)}\nwrite f 0 "${'y'.repeat(100)}"`), titles, 10)).toEqual({ title: 'xxxxxxxxx…', firstOp: 'write f 0…' });
  });
});

const never = () => new Promise<never>(() => {});
const builtin = (name: string) => SCENARIO_CHOICES.find((s) => s.name === name)! as MachineScenarioSpec;

describe('the editor slice', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const make = (storage: DraftStorage | null | undefined, scenario: ScenarioSpec = builtin('write-fsync'), resumeDraft?: (d: Draft) => boolean) =>
    makeSimStore({ engine: never, scenario, storage, resumeDraft });

  it('starts with the scenario\'s text and no draft', () => {
    const store = make(new MemoryStorage());
    const s = store.getState();
    expect(s.editorText).toBe(builtin('write-fsync').text);
    expect(s.editorOpen).toBe(false);
    expect(s.editorNotice).toBeNull();
    expect(make(null, SCENARIO_CHOICES.find((c) => c.kind === 'xarray')!).getState().editorText).toBeNull();
  });

  it('saves the draft after typing stops and restores it, open, on reload', () => {
    const st = new MemoryStorage();
    const store = make(st);
    const text = store.getState().editorText + 'A: load m\n';
    store.getState().setEditorText(text);
    expect(st.map.has(EDITOR_STORAGE_KEY)).toBe(false);
    vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS);
    const saved = loadEditorState(st).saved;
    expect(saved.current?.text).toBe(text);
    expect(saved.current?.base).toBe('write-fsync');

    const again = make(st).getState();
    expect(again.editorText).toBe(text);
    expect(again.editorOpen).toBe(true);
    expect(again.editorNotice?.text).toMatch(/^Restored your draft from /);
  });

  it('drops the draft when the text is put back as it was', () => {
    const st = new MemoryStorage();
    const store = make(st);
    const orig = store.getState().editorText!;
    store.getState().setEditorText(orig + '\n# more');
    store.getState().setEditorText(orig);
    store.destroy(); // flushes the pending save
    expect(loadEditorState(st).saved.current).toBeNull();
    expect(make(st).getState().editorNotice).toBeNull();
  });

  it('two tabs on one storage keep each other\'s drafts', () => {
    const st = new MemoryStorage();
    const b = make(st); // opened first, idle
    const a = make(st);
    a.getState().setEditorText('# from A\ncreate f\n');
    a.destroy(); // A's draft is written
    // B does something harmless that saves: A's draft must survive, as current.
    b.getState().toggleEditor();
    expect(loadEditorState(st).saved.current?.text).toBe('# from A\ncreate f\n');
    // B edits too: A's draft moves to the put-aside list, in storage and in B's Drafts menu.
    b.getState().setEditorText('# from B\ncreate g\n');
    b.destroy();
    const saved = loadEditorState(st).saved;
    expect(saved.current?.text).toBe('# from B\ncreate g\n');
    expect(saved.recent.map((d) => d.text)).toContain('# from A\ncreate f\n');
    expect(b.getState().editorDrafts.map((d) => d.text)).toContain('# from A\ncreate f\n');
  });

  it('a page opened for another scenario keeps the saved draft in Drafts instead of resuming it', () => {
    const st = new MemoryStorage();
    const a = make(st);
    a.getState().setEditorText('# mine\ncreate f\n');
    a.destroy();
    const shared = make(st, builtin('read-hole'), () => false).getState();
    expect(shared.editorText).toBe(sourceText(builtin('read-hole')));
    expect(shared.editorOpen).toBe(false);
    expect(shared.editorDrafts.map((d) => d.text)).toEqual(['# mine\ncreate f\n']);
    expect(shared.editorNotice?.text).toMatch(/is in Drafts: this page opened another scenario/);
  });

  it('puts the edits aside when another scenario is chosen, and brings them back', () => {
    const st = new MemoryStorage();
    const store = make(st);
    const edited = '# mine\ncreate f\n';
    store.getState().setEditorText(edited);
    const other = builtin(SCENARIO_CHOICES.find((c) => c.kind === 'machine' && c.name !== 'write-fsync')!.name);
    void store.getState().setScenario(other);
    let s = store.getState();
    expect(s.editorText).toBe(sourceText(other));
    expect(s.editorDrafts.map((d) => d.text)).toEqual([edited]);
    expect(loadEditorState(st).saved.recent.map((d) => d.text)).toEqual([edited]);

    s.setEditorText('# second\ncreate g\n');
    s.restoreDraft(0);
    s = store.getState();
    expect(s.editorText).toBe(edited);
    expect(s.editorDrafts.map((d) => d.text)).toEqual(['# second\ncreate g\n']);
  });

  it('runs a text that parses as "custom", titled by its first comment; keeps the scenario on a bad parse', () => {
    const store = make(new MemoryStorage());
    store.getState().setEditorText('create f\nwrte f 0 "x"\n');
    const bad = store.getState().runEditor();
    expect(bad).toEqual({ ok: false, errors: [expect.objectContaining({ line: 2, column: 1 })] });
    expect(store.getState().scenario.name).toBe('write-fsync');
    expect(store.getState().editorText).toBe('create f\nwrte f 0 "x"\n');

    store.getState().setEditorText('# Two files\ncreate f\ncreate g\n');
    const good = store.getState().runEditor();
    expect(good.ok).toBe(true);
    const spec = store.getState().scenario as MachineScenarioSpec;
    expect(spec).toMatchObject({ kind: 'machine', name: 'custom', title: 'Two files', text: '# Two files\ncreate f\ncreate g\n' });
    expect(spec.scenario.ops).toEqual([{ op: 'create', file: 'f' }, { op: 'create', file: 'g' }]);
    // The run did not replace the text with the new scenario's (it is the same text).
    expect(store.getState().editorText).toBe('# Two files\ncreate f\ncreate g\n');

    // An unchanged built-in runs as itself.
    store.getState().setEditorText(builtin('write-fsync').text!);
    store.getState().runEditor();
    expect(store.getState().scenario).toBe(builtin('write-fsync'));
  });

  it('reset puts back the running text and keeps the edits among the drafts', () => {
    const store = make(new MemoryStorage());
    store.getState().setEditorText('# lost?\ncreate f\n');
    store.getState().resetEditor();
    const s = store.getState();
    expect(s.editorText).toBe(builtin('write-fsync').text);
    expect(s.editorDrafts.map((d) => d.text)).toEqual(['# lost?\ncreate f\n']);
  });

  it('read-only: shows the text, refuses edits and runs', () => {
    const store = make(null);
    store.getState().setEditorReadOnly(true);
    const before = store.getState().editorText;
    store.getState().setEditorText('create x\n');
    expect(store.getState().editorText).toBe(before);
    expect(store.getState().runEditor()).toEqual({ ok: false, errors: [] });
  });

  it('never touches storage when it is null, not even the browser\'s', () => {
    const local = new MemoryStorage();
    vi.stubGlobal('window', { localStorage: local });
    const store = make(null);
    store.getState().setEditorText('# x\ncreate f\n');
    store.getState().setEditorOpen(true);
    vi.advanceTimersByTime(10 * DRAFT_SAVE_DELAY_MS);
    store.getState().runEditor();
    store.destroy();
    expect(local.calls).toBe(0);
    // Left out, the storage is the browser's.
    const dflt = make(undefined);
    dflt.getState().setEditorText('# y\ncreate f\n');
    dflt.destroy();
    expect(local.calls).toBeGreaterThan(0);
    expect(loadEditorState(local).saved.current?.text).toBe('# y\ncreate f\n');
  });

  it('shows a message, and keeps the text, when the storage refuses', () => {
    const st = new MemoryStorage();
    st.setItem = () => {
      throw quota();
    };
    const store = make(st);
    store.getState().setEditorText('# kept\ncreate f\n');
    vi.advanceTimersByTime(DRAFT_SAVE_DELAY_MS);
    expect(store.getState().editorStorageError).toMatch(/storage is full/);
    expect(store.getState().editorText).toBe('# kept\ncreate f\n');
  });
});
