/**
 * makeSimStore(): one store per visualizer instance (never a module singleton), so two visualizers
 * can share a page. The store owns the engine link (through the trace slice) and the playback timer;
 * React only reads it through the hooks in context.tsx.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EngineFactory } from '../worker/client';
import type { ScenarioSpec } from '../worker/protocol';
import { createEditorSlice } from './editor';
import type { Draft } from '../editor/persistence';
import type { EmbedOptions } from '../share/embed';
import { createPanelsSlice } from './panels';
import { createPlaybackSlice } from './playback';
import { createScenarioSlice } from './scenario';
import { createSelectionSlice } from './selection';
import { createTraceSlice } from './trace';
import { BASE_STEPS_PER_SECOND, type SimState } from './types';

export interface SimStoreOptions {
  engine: EngineFactory;
  scenario: ScenarioSpec;
  /** Embed mode's options (src/share/embed.ts); absent or null for the full app. */
  embed?: EmbedOptions | null;
  /** Timer functions, injectable for tests. */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (id: unknown) => void;
  /**
   * Where the scenario editor keeps drafts (src/store/editor.ts). Omitted: the browser's
   * localStorage when there is one; null: never read or write storage (embedded read-only views).
   */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** Whether a draft saved by an earlier visit resumes in the editor (src/store/editor.ts); default yes. */
  resumeDraft?: (d: Draft) => boolean;
}

export type SimStore = StoreApi<SimState> & {
  /** Stop the playback timer and the engine. */
  destroy(): void;
};

export function makeSimStore(opts: SimStoreOptions): SimStore {
  const store = createStore<SimState>()((...a) => ({
    ...createScenarioSlice(opts.scenario)(...a),
    ...createPlaybackSlice(...a),
    ...createTraceSlice(opts.engine)(...a),
    ...createSelectionSlice(...a),
    ...createPanelsSlice(...a),
    ...createEditorSlice({ scenario: opts.scenario, storage: opts.storage, resumeDraft: opts.resumeDraft })(...a),
    embed: opts.embed ?? null,
  }));

  // Playback runs outside React: a timer advances the cursor, re-armed when `playing` or `speed` change.
  const setI = opts.setInterval ?? ((fn: () => void, ms: number) => globalThis.setInterval(fn, ms));
  const clearI = opts.clearInterval ?? ((id: unknown) => globalThis.clearInterval(id as ReturnType<typeof setInterval>));
  let timer: unknown = null;
  const arm = (s: SimState) => {
    if (timer !== null) clearI(timer);
    timer = null;
    if (!s.playing) return;
    timer = setI(() => {
      const st = store.getState();
      if (st.cursor >= st.steps.length) st.setPlaying(false);
      else st.stepBy(1);
    }, 1000 / (BASE_STEPS_PER_SECOND * s.speed));
  };
  const unsub = store.subscribe((s, prev) => {
    if (s.playing !== prev.playing || s.speed !== prev.speed) arm(s);
  });

  return Object.assign(store, {
    destroy() {
      store.getState().flushEditorDraft();
      unsub();
      if (timer !== null) clearI(timer);
      timer = null;
      store.getState().setPlaying(false);
    },
  });
}
