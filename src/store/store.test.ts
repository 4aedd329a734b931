// The store, driven by the real Session in-process (no worker): playback, operation stepping,
// markers, and failure + restart keeping the scenario.
import { describe, expect, it } from 'vitest';
import { xarrayTour } from '../app/demo';
import type { Step } from '../engine/trace/steps';
import type { EngineFactory, EngineLink } from '../worker/client';
import { Session } from '../worker/session';
import { makeStatusBlock, readStatus, readStatusAfterDeath, readUnderSeqlock, StatusWriter } from '../worker/status-block';
import { stepCategory } from './categories';
import { boundaries } from './playback';
import { deriveMarkers } from './trace';
import { makeSimStore } from './makeSimStore';

/** An engine link running a Session in this thread; `kill()` plays a worker dying mid-update. */
function inProcessEngine(opts: { mode?: 'shared' | 'copy' } = {}) {
  const links: { kill(msg: string): void; started: number }[] = [];
  const factory: EngineFactory = async (events) => {
    const w = new StatusWriter(makeStatusBlock());
    const session = new Session(w);
    let dead = false;
    const kill = (message: string) => {
      if (dead) return;
      session.beginCrash();
      dead = true;
      events.onFailure({ kind: 'died', message, status: readStatusAfterDeath(w.block) });
    };
    links.push({ kill, started: links.length });
    const link: EngineLink = {
      mode: opts.mode ?? 'shared',
      notice: opts.mode === 'copy' ? 'copy mode for the test' : null,
      async run(spec) {
        if (dead) throw new Error('dead');
        return session.run(spec);
      },
      readStatus: () => readStatus(w.block),
      readMemory: (read) => readUnderSeqlock(w.block, read),
      crash: (m) => kill(m),
      dispose() {
        dead = true;
      },
    };
    return link;
  };
  return { factory, links };
}

/** Timers the test advances by hand. */
function manualTimers() {
  const live = new Map<number, () => void>();
  let next = 1;
  return {
    setInterval: (fn: () => void) => {
      live.set(next, fn);
      return next++;
    },
    clearInterval: (id: unknown) => void live.delete(id as number),
    tick(times = 1) {
      for (let i = 0; i < times; i++) for (const fn of [...live.values()]) fn();
    },
    get armed() {
      return live.size;
    },
  };
}

async function ready() {
  const eng = inProcessEngine();
  const timers = manualTimers();
  const store = makeSimStore({ engine: eng.factory, scenario: xarrayTour, ...timers });
  await store.getState().runScenario();
  return { store, eng, timers };
}

describe('makeSimStore', () => {
  it('runs the scenario and holds its trace with the cursor at the start', async () => {
    const { store } = await ready();
    const s = store.getState();
    expect(s.engineState).toBe('ready');
    expect(s.engineMode).toBe('shared');
    expect(s.steps.length).toBeGreaterThan(50);
    expect(s.opStarts).toHaveLength(xarrayTour.ops.length);
    expect(s.keyframes[s.xa]).toHaveLength(xarrayTour.ops.length + 1);
    expect(s.cursor).toBe(0);
  });

  it('stepBy and seek stay within 0..steps.length', async () => {
    const { store } = await ready();
    const s = store.getState();
    s.stepBy(-1);
    expect(store.getState().cursor).toBe(0);
    s.stepBy(3);
    expect(store.getState().cursor).toBe(3);
    s.seek(1e9);
    expect(store.getState().cursor).toBe(s.steps.length);
    s.home();
    expect(store.getState().cursor).toBe(0);
    s.end();
    expect(store.getState().cursor).toBe(s.steps.length);
  });

  it('stepOp visits every operation boundary forwards and backwards', async () => {
    const { store } = await ready();
    const s = store.getState();
    const b = boundaries(s.opStarts, s.steps.length);
    expect(b[0]).toBe(0);
    expect(b.at(-1)).toBe(s.steps.length);
    const seen = [store.getState().cursor];
    for (let i = 0; i < b.length + 2; i++) {
      s.stepOp(1);
      seen.push(store.getState().cursor);
    }
    expect([...new Set(seen)]).toEqual(b);
    // From inside an op, back goes to that op's start.
    s.seek(s.opStarts[3] + 2);
    s.stepOp(-1);
    expect(store.getState().cursor).toBe(s.opStarts[3]);
  });

  it('plays one step per tick at the speed-dependent period and stops at the end', async () => {
    const { store, timers } = await ready();
    const s = store.getState();
    s.setSpeed(8);
    s.togglePlay();
    expect(store.getState().playing).toBe(true);
    expect(timers.armed).toBe(1);
    timers.tick(5);
    expect(store.getState().cursor).toBe(5);
    timers.tick(s.steps.length + 5);
    expect(store.getState().cursor).toBe(s.steps.length);
    expect(store.getState().playing).toBe(false);
    expect(timers.armed).toBe(0);
    // Play at the end starts over.
    store.getState().togglePlay();
    expect(store.getState().cursor).toBe(0);
    store.getState().togglePlay();
    expect(timers.armed).toBe(0);
  });

  it('a dying engine leaves a failure with the last good cursor; restart runs the same scenario there', async () => {
    const { store, eng } = await ready();
    const s = store.getState();
    s.seek(40);
    const stepsBefore = s.steps;
    s.crashEngine();
    let st = store.getState();
    expect(st.engineState).toBe('failed');
    expect(st.failure).toMatchObject({ kind: 'died', lastGoodCursor: 40, midUpdate: true });
    expect(st.scenario).toBe(xarrayTour);
    expect(st.steps).toBe(stepsBefore); // what was shown stays
    await st.restart();
    st = store.getState();
    expect(eng.links).toHaveLength(2);
    expect(st.failure).toBeNull();
    expect(st.engineState).toBe('ready');
    expect(st.cursor).toBe(40);
    expect(st.steps.map((x) => x.text)).toEqual(stepsBefore.map((x) => x.text));
  });

  it('in copy mode the notice is kept and results are accepted without the shared block', async () => {
    const eng = inProcessEngine({ mode: 'copy' });
    const store = makeSimStore({ engine: eng.factory, scenario: xarrayTour, ...manualTimers() });
    await store.getState().runScenario();
    expect(store.getState().engineMode).toBe('copy');
    expect(store.getState().engineNotice).toBe('copy mode for the test');
    expect(store.getState().engineState).toBe('ready');
  });

  it('panel sizes stay within bounds and collapse toggles', async () => {
    const { store } = await ready();
    store.getState().setPanel('xarray', { size: 100 });
    expect(store.getState().panels.xarray.size).toBe(4);
    store.getState().setPanel('xarray', { size: 0 });
    expect(store.getState().panels.xarray.size).toBe(0.5);
    store.getState().toggleCollapsed('narration');
    expect(store.getState().panels.narration.collapsed).toBe(true);
  });
});

describe('step categories and markers', () => {
  const mk = (t: Partial<Step> & Pick<Step, 't'>, seq: number, op = 0): Step => ({ seq, op, depth: 0, text: `s${seq}`, ...t }) as Step;

  it('derives categories from function, tracepoint and op names; others get none', () => {
    expect(stepCategory(mk({ t: 'call', fn: 'dax_iomap_pte_fault', args: {} }, 0))).toBe('fault');
    expect(stepCategory(mk({ t: 'tp', name: 'dax_writeback_range', fields: {} }, 0))).toBe('writeback');
    expect(stepCategory(mk({ t: 'call', fn: 'dax_iomap_copy_around', args: {} }, 0))).toBe('cow');
    expect(stepCategory(mk({ t: 'op', name: 'punch_hole', args: {} }, 0))).toBe('truncate');
    expect(stepCategory(mk({ t: 'call', fn: 'memory_failure', args: {} }, 0))).toBe('failure');
    expect(stepCategory(mk({ t: 'signal', pid: 1, sig: 'SIGBUS', addr: 0, why: 'x' }, 0))).toBe('failure');
    expect(stepCategory(mk({ t: 'call', fn: 'xas_store', args: {} }, 0))).toBeNull();
    expect(stepCategory(mk({ t: 'ret', fn: 'dax_iomap_pte_fault', result: null }, 0))).toBeNull();
    expect(stepCategory(mk({ t: 'note' }, 0))).toBeNull();
  });

  it('puts one marker per operation and category, at the first such step', () => {
    const steps = [
      mk({ t: 'op', name: 'load', args: {} }, 0, 0),
      mk({ t: 'call', fn: 'handle_mm_fault', args: {} }, 1, 0),
      mk({ t: 'call', fn: 'dax_iomap_pte_fault', args: {} }, 2, 0),
      mk({ t: 'op', name: 'fsync', args: {} }, 3, 1),
      mk({ t: 'call', fn: 'dax_writeback_mapping_range', args: {} }, 4, 1),
    ];
    expect(deriveMarkers(steps).map((m) => [m.at, m.category])).toEqual([
      [2, 'fault'],
      [4, 'writeback'],
    ]);
  });

  it('the XArray demo has no marked categories (it has no faults, writeback, truncation or failures)', async () => {
    const { store } = await ready();
    expect(store.getState().markers).toEqual([]);
  });
});
