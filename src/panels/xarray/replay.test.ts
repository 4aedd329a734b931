// The page-side replay, checked against the real engine: every op boundary against the worker's
// keyframes, and every moment inside an op against xaDump() taken right when the step was emitted.
import { describe, expect, it } from 'vitest';
import { xaDump } from '../../engine/lib/xarray-dump';
import { XArray, xa_erase, xa_set_mark, xa_store, xa_store_order } from '../../engine/lib/xarray';
import { Tracer, type Json } from '../../engine/trace/steps';
import { xarrayTour } from '../../app/demo';
import { Session } from '../../worker/session';
import { makeStatusBlock, StatusWriter } from '../../worker/status-block';
import { XaReplay, XaTimeline } from './replay';
import type { XaTreeDump } from './tree-types';

/**
 * Keep only what the steps determine exactly at every moment: slots and marks (plus ids/shift/offset).
 * Inside an operation the kernel updates a node's count and nr_values a few steps after the slots
 * (update_node() runs after the slot loop), and no step carries those counters, so the replay shows
 * counts derived from the slots; they agree with the engine at every op boundary (tests above).
 */
function shape(t: XaTreeDump | Json): unknown {
  return JSON.parse(JSON.stringify(t), (k, v) => (k === 'count' || k === 'nr_values' ? undefined : v));
}

describe('XaTimeline on the demo tour', () => {
  const r = new Session(new StatusWriter(makeStatusBlock())).run(xarrayTour);
  const kf = r.keyframes[r.xa];

  it('shows exactly the keyframe at every op boundary and at the end', () => {
    const tl = new XaTimeline(r.xa, r.steps, r.opStarts, kf);
    r.opStarts.forEach((start, k) => expect(tl.treeAt(start)).toEqual(kf[k]));
    expect(tl.treeAt(r.steps.length)).toEqual(kf[kf.length - 1]);
  });

  it('walking forwards then backwards gives what a fresh timeline gives (reused node dumps included)', () => {
    const tl = new XaTimeline(r.xa, r.steps, r.opStarts, kf);
    const order: number[] = [];
    for (let c = 0; c <= r.steps.length; c++) order.push(c);
    for (let c = r.steps.length; c >= 0; c -= 3) order.push(c);
    for (const c of order) {
      const fresh = new XaTimeline(r.xa, r.steps, r.opStarts, kf).treeAt(c);
      expect(JSON.stringify(tl.treeAt(c))).toBe(JSON.stringify(fresh));
    }
  });

  it('going back keeps the dump objects of the nodes that did not change (the layout reuses them)', () => {
    // Each node dump by id, with where it hangs (its parent's id, or 'root').
    const byId = (t: XaTreeDump) => {
      const out = new Map<number, { d: object; at: string }>();
      const walk = (d: unknown, at: string) => {
        if (!d || typeof d !== 'object' || !('slots' in d)) return;
        const n = d as { id?: number; slots: Record<string, unknown> };
        if (n.id !== undefined) out.set(n.id, { d: n, at });
        for (const c of Object.values(n.slots)) walk(c, String(n.id));
      };
      walk(t, 'root');
      return out;
    };
    const tl = new XaTimeline(r.xa, r.steps, r.opStarts, kf);
    let kept = 0;
    for (let k = r.opStarts.length - 1; k >= 1; k--) {
      const later = byId(tl.treeAt(r.opStarts[k] + 1));
      const earlier = byId(tl.treeAt(r.opStarts[k - 1]));
      for (const [id, e] of earlier) {
        const l = later.get(id);
        if (l && l.at === e.at && JSON.stringify(l.d) === JSON.stringify(e.d)) {
          expect(e.d, `node ${id} going back to op ${k - 1}`).toBe(l.d);
          kept++;
        }
      }
    }
    expect(kept).toBeGreaterThan(0);
  });

  it('replaying an op\'s steps from its keyframe gives the next keyframe (counts included)', () => {
    r.opStarts.forEach((start, k) => {
      const end = r.opStarts[k + 1] ?? r.steps.length;
      const rep = new XaReplay(r.xa, kf[k] as XaTreeDump);
      for (let i = start; i < end; i++) rep.apply(r.steps[i]);
      expect(rep.dump()).toEqual(kf[k + 1]);
    });
  });

  it('gives the same tree walking forward one step at a time, walking backward, and seeking directly', () => {
    const fwd = new XaTimeline(r.xa, r.steps, r.opStarts, kf);
    const forward = Array.from({ length: r.steps.length + 1 }, (_, c) => fwd.treeAt(c));
    const back = new XaTimeline(r.xa, r.steps, r.opStarts, kf);
    for (let c = r.steps.length; c >= 0; c--) expect(back.treeAt(c)).toEqual(forward[c]);
    for (const c of [17, 3, r.steps.length - 2, 0, 40]) {
      expect(new XaTimeline(r.xa, r.steps, r.opStarts, kf).treeAt(c)).toEqual(forward[Math.min(c, r.steps.length)]);
    }
  });
});

describe('XaReplay mid-operation', () => {
  it('matches the engine\'s own array at the moment each step is emitted', () => {
    const tracer = new Tracer(true);
    const xa = new XArray('t', tracer);
    const truth: Json[] = [];
    tracer.subscribe(() => truth.push(xaDump(xa, { ids: true })));
    const ops: (() => void)[] = [
      () => xa_store(xa, 0, 1),
      () => xa_store(xa, 5, 2),
      () => xa_store(xa, 4096, 3),
      () => xa_store_order(xa, 1024, 6, 4),
      () => xa_set_mark(xa, 1030, 2),
      () => xa_erase(xa, 4096),
      () => xa_erase(xa, 5),
    ];
    ops.forEach((f, k) => {
      tracer.beginOp(`op${k}`, {}, `op ${k}`);
      f();
    });
    const rep = new XaReplay('t', null);
    tracer.steps.forEach((s, i) => {
      rep.apply(s);
      expect(shape(rep.dump()), `after step ${i}: ${s.text}`).toEqual(shape(truth[i]));
    });
    expect(rep.dump()).toEqual(xaDump(xa, { ids: true }));
  });
});
