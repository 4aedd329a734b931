// Making room for the editor: on a window narrower than EDITOR_ROOMY_WIDTH, opening the pane
// collapses "struct page" and "Call path" (once saying so), and closing it expands again only
// the panels it collapsed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SCENARIO_CHOICES } from '../scenarios';
import { makeSimStore } from '../store';
import { EDITOR_DEFAULT_WIDTH, EDITOR_ROOMY_WIDTH, roomNoteText } from '../store/editor';
import type { PanelId } from '../store/types';
import { EDITOR_STORAGE_KEY, type DraftStorage } from './persistence';

const never = () => new Promise<never>(() => {});
const scenario = SCENARIO_CHOICES.find((s) => s.name === 'write-fsync')!;

class MemoryStorage implements DraftStorage {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

/** A store in a window `width` px wide. */
function make(width: number | null, storage: DraftStorage | null = null) {
  vi.stubGlobal('window', width === null ? {} : { innerWidth: width });
  return makeSimStore({ engine: never, scenario, storage });
}

const collapsed = (store: ReturnType<typeof make>) =>
  (Object.keys(store.getState().panels) as PanelId[]).filter((id) => store.getState().panels[id].collapsed).sort();

describe('making room for the editor', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is 340 px wide by default', () => {
    expect(EDITOR_DEFAULT_WIDTH).toBe(340);
  });

  it('collapses struct page and Call path on a narrow window, says so once, and expands them on close', () => {
    const store = make(1280);
    store.getState().setEditorOpen(true);
    expect(collapsed(store)).toEqual(['callpath', 'structpage']);
    expect(store.getState().editorRoomNote).toBe('struct page and Call path were collapsed to make room; expand them from their ▸ buttons.');

    store.getState().setEditorOpen(false);
    expect(collapsed(store)).toEqual([]);
    expect(store.getState().editorRoomNote).toBeNull();

    // The second time, the panels are collapsed again without the note.
    store.getState().toggleEditor();
    expect(collapsed(store)).toEqual(['callpath', 'structpage']);
    expect(store.getState().editorRoomNote).toBeNull();
  });

  it('leaves the panels alone on a wide window, or outside a browser', () => {
    for (const width of [EDITOR_ROOMY_WIDTH, 1920, null]) {
      const store = make(width);
      store.getState().setEditorOpen(true);
      expect(collapsed(store)).toEqual([]);
      expect(store.getState().editorRoomNote).toBeNull();
    }
  });

  it('expands again only the panels it collapsed', () => {
    const store = make(1280);
    // The user had collapsed struct page already, and collapses Files.
    store.getState().toggleCollapsed('structpage');
    store.getState().setEditorOpen(true);
    expect(collapsed(store)).toEqual(['callpath', 'structpage']);
    expect(store.getState().editorRoomNote).toBe('Call path was collapsed to make room; expand it from its ▸ button.');
    store.getState().toggleCollapsed('files');
    store.getState().setEditorOpen(false);
    expect(collapsed(store)).toEqual(['files', 'structpage']);
  });

  it('a panel the user expanded while the editor was open is theirs: closing does not touch it', () => {
    const store = make(1280);
    store.getState().setEditorOpen(true);
    store.getState().toggleCollapsed('callpath'); // expanded by hand
    store.getState().toggleCollapsed('callpath'); // and collapsed again by hand
    store.getState().setEditorOpen(false);
    expect(collapsed(store)).toEqual(['callpath']);
  });

  it('does not collapse hidden panels (an embed showing a few panels)', () => {
    const store = make(1000);
    store.getState().setPanel('callpath', { visible: false });
    store.getState().setEditorOpen(true);
    expect(collapsed(store)).toEqual(['structpage']);
    store.getState().setEditorOpen(false);
    expect(collapsed(store)).toEqual([]);
  });

  it('a pane reopened at load (a restored draft) makes room too, once the store exists', async () => {
    const st = new MemoryStorage();
    st.setItem(EDITOR_STORAGE_KEY, JSON.stringify({ v: 1, open: true, current: { text: '# mine\ncreate f\n', savedAt: 1, base: 'write-fsync' }, recent: [] }));
    const store = make(1280, st);
    expect(store.getState().editorOpen).toBe(true);
    await Promise.resolve();
    expect(collapsed(store)).toEqual(['callpath', 'structpage']);
    store.getState().setEditorOpen(false);
    expect(collapsed(store)).toEqual([]);
  });

  it('the note names one or two panels', () => {
    expect(roomNoteText(['structpage'])).toBe('struct page was collapsed to make room; expand it from its ▸ button.');
    expect(roomNoteText(['structpage', 'callpath'])).toMatch(/^struct page and Call path were collapsed/);
  });
});
