import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine';
import type { Json } from '../../engine/trace/steps';
import { BUILTIN_SCENARIOS } from '../../scenarios/builtin';
import { Session } from '../../worker/session';
import { makeStatusBlock, StatusWriter } from '../../worker/status-block';
import { engineCells, engineStructPages } from './engine-truth';
import { buildGrid, cellShift, wholeRegion, zoomIn, type Region, type Space } from './layout';
import { MachineTimeline, structPageOf, type MachineState, type PageRecord } from './machine-view';

/** A record with every field at its default (an idle pmem page holds pmemIdleRef references). */
function isDefault(st: MachineState, pfn: number, r: PageRecord): boolean {
  const idle = pfn >= st.pmemStartPfn ? st.pmemIdleRef : 0;
  return Object.entries(r).every(([k, v]) => (k === 'pfn' ? true : k === '_refcount' ? v === idle : Array.isArray(v) ? v.length === 0 : v === null || v === 0));
}
/** Every page whose own record is not at its defaults, as the struct page panel shows it (tails read their head). */
function nonDefault(st: MachineState): Map<number, { [k: string]: Json }> {
  return new Map([...st.structPages].filter(([pfn, r]) => !isDefault(st, pfn, r)).map(([pfn]) => [pfn, structPageOf(st, pfn)!]));
}

describe('device panel replay (keyframe + steps) against the engine at every step', () => {
  for (const b of BUILTIN_SCENARIOS) {
    it(`${b.name}: cells of pmem and DRAM, and every struct page`, () => {
      const r = new Session(new StatusWriter(makeStatusBlock())).run({ v: 1, kind: 'machine', name: b.name, title: b.title, scenario: b.scenario });
      const mt = r.machine!;
      const info = { pmemStartPfn: mt.memory.pmemStartPfn, pmemPages: mt.memory.pmemPages, dramPages: mt.memory.dramPages };
      const tl = new MachineTimeline(r.steps, r.opStarts, mt.keyframes, info.pmemStartPfn);

      const m = Machine.create(b.scenario) as Machine;
      // The regions compared: both whole spaces, and the pmem region at page level around the
      // first allocated block (zoomed in until k = 0).
      const regions: [Space, Region][] = [
        ['pmem', wholeRegion('pmem', info)],
        ['dram', wholeRegion('dram', info)],
      ];
      let z: Region | null = wholeRegion('pmem', info);
      while (z && cellShift(z.size) > 0) z = zoomIn(z, 512);
      if (z) regions.push(['pmem', z]);
      const truth: { cells: string[]; pages: Map<number, { [k: string]: Json }> }[] = [];
      const record = () => truth.push({ cells: regions.map(([s, reg]) => engineCells(m, s, reg, cellShift(reg.size))), pages: engineStructPages(m) });
      // Boot steps were emitted before we could subscribe: cursor values before them are not compared.
      const boot = m.steps.length;
      record();
      m.tr.subscribe(record);
      m.run();
      expect(m.steps.length).toBe(r.steps.length);
      const cellsOf = (st: ReturnType<typeof tl.stateAt>) => regions.map(([s, reg]) => Array.from(buildGrid(s, st, info, mt.zeroPfn, reg).top, (x) => (x < 0 ? '-' : String(x))).join(''));
      // States handed out earlier, kept to check that later answers (which share their unchanged
      // parts) never change them.
      const held: { c: number; st: ReturnType<typeof tl.stateAt> }[] = [];
      for (let c = boot; c <= r.steps.length; c++) {
        const st = tl.stateAt(c);
        const t = truth[c - boot];
        const cells = cellsOf(st);
        expect(cells, `${b.name} at cursor ${c} (${r.steps[c - 1]?.text ?? 'start'})`).toEqual(t.cells);
        expect(nonDefault(st), `${b.name} struct pages at cursor ${c}`).toEqual(t.pages);
        if (c % 3 === 0) held.push({ c, st });
      }
      // Walking backwards gives the same states (no hidden mutation of the keyframes).
      for (let c = r.steps.length; c >= boot; c -= 7) {
        const cells = regions.map(([s, reg]) => Array.from(buildGrid(s, tl.stateAt(c), info, mt.zeroPfn, reg).top, (x) => (x < 0 ? '-' : String(x))).join(''));
        expect(cells).toEqual(truth[c - boot].cells);
      }
      for (const { c, st } of held) {
        expect(cellsOf(st), `${b.name}: the state handed out for cursor ${c} is unchanged`).toEqual(truth[c - boot].cells);
        expect(nonDefault(st), `${b.name}: struct pages handed out for cursor ${c} are unchanged`).toEqual(truth[c - boot].pages);
      }
    });
  }
});
