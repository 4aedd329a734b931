import type { StateCreator } from 'zustand';
import type { Step } from '../engine/trace/steps';
import type { EngineFactory, EngineFailure, EngineLink } from '../worker/client';
import type { StatusSnapshot } from '../worker/status-block';
import { stepCategory } from './categories';
import type { Marker, SimState, TraceSlice } from './types';

/** One marker per (operation, category): the first step of that category in the op. */
export function deriveMarkers(steps: readonly Step[]): Marker[] {
  const out: Marker[] = [];
  const seen = new Set<string>();
  for (const s of steps) {
    const cat = stepCategory(s);
    if (!cat) continue;
    const key = `${s.op}:${cat}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ at: s.seq + 1, category: cat, text: s.text });
  }
  return out;
}

function sameStatus(a: StatusSnapshot | null, b: StatusSnapshot | null): boolean {
  return a === b || (!!a && !!b && a.seq === b.seq && a.generation === b.generation && a.phase === b.phase);
}

/**
 * The trace slice owns the engine link: it starts the worker, runs scenarios, and turns worker
 * failures into `failure` (keeping the scenario, so restart() can run it again).
 */
export const createTraceSlice =
  (factory: EngineFactory): StateCreator<SimState, [], [], TraceSlice> =>
  (set, get) => {
    let link: EngineLink | null = null;
    let linking: Promise<EngineLink> | null = null;
    let runToken = 0;

    const onFailure = (f: EngineFailure) => {
      const dead = link;
      link = null;
      linking = null;
      runToken++;
      dead?.dispose();
      const { cursor, steps } = get();
      set({
        engineState: 'failed',
        playing: false,
        failure: {
          kind: f.kind,
          message: f.message,
          lastGoodCursor: Math.min(cursor, steps.length),
          midUpdate: f.status?.midUpdate ?? false,
        },
        status: f.status,
      });
    };

    const ensureLink = (): Promise<EngineLink> => {
      if (link) return Promise.resolve(link);
      if (!linking) {
        set({ engineState: 'starting' });
        linking = factory({ onFailure, onStatus: (s) => set({ status: s }) }).then((l) => {
          link = l;
          set({ engineMode: l.mode, engineNotice: l.notice });
          return l;
        });
      }
      return linking;
    };

    const run = async (cursorAfter: (nSteps: number) => number) => {
      const token = ++runToken;
      set({ playing: false });
      let l: EngineLink;
      try {
        l = await ensureLink();
      } catch (e) {
        if (token === runToken) {
          onFailure({ kind: 'died', message: `The engine worker could not start: ${e instanceof Error ? e.message : String(e)}`, status: null });
        }
        return;
      }
      if (token !== runToken) return;
      set({ engineState: 'running' });
      let r;
      try {
        r = await l.run(get().scenario);
      } catch {
        return; // the link reported the failure through onFailure
      }
      if (token !== runToken) return;
      // Never show a trace the shared status block does not vouch for: the run must be complete and
      // current. (In copy mode the result message is itself the consistent copy; status copies are
      // separate messages that may still be on their way.)
      const st = l.readStatus();
      if (l.mode === 'shared' && (!st || st.generation !== r.generation || st.phase !== 'done')) return;
      set({
        engineState: 'ready',
        generation: r.generation,
        steps: r.steps,
        opStarts: r.opStarts,
        xa: r.xa,
        xas: r.xas,
        machine: r.machine,
        keyframes: r.keyframes,
        markers: deriveMarkers(r.steps),
        cursor: Math.max(0, Math.min(r.steps.length, cursorAfter(r.steps.length))),
        status: st ?? get().status,
      });
    };

    return {
      engineState: 'starting',
      engineMode: null,
      engineNotice: null,
      failure: null,
      generation: 0,
      steps: [],
      opStarts: [],
      xa: '',
      xas: [],
      machine: null,
      keyframes: {},
      markers: [],
      status: null,
      runScenario() {
        return run(() => 0);
      },
      async restart() {
        const back = get().failure?.lastGoodCursor ?? 0;
        link?.dispose();
        link = null;
        linking = null;
        set({ failure: null });
        await run(() => back);
      },
      crashEngine() {
        link?.crash('injected crash: the engine stopped in the middle of an update (debug command).');
      },
      readMemory<T>(read: () => T): T | null {
        // After a failure the dead worker writes nothing any more: its buffers are stable.
        return link ? link.readMemory(read) : read();
      },
      pollStatus() {
        const s = link?.readStatus() ?? null;
        if (s && !sameStatus(s, get().status)) set({ status: s });
        return s;
      },
    };
  };
