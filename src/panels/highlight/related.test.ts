import { describe, expect, it } from 'vitest';
import { xaDump } from '../../engine/lib/xarray-dump';
import type { XaTreeDump } from '../xarray/tree-types';
import { related } from './related';
import { runScenario } from './testing';
import { WorldTimeline } from './world';
import { litSlots, slotTarget } from './xa';

const SCN = {
  version: 1,
  config: { pmd: false },
  ops: [
    { op: 'create', file: 'f' },
    { op: 'write', file: 'f', offset: 0, len: 8192, fill: 65 },
    { op: 'create', file: 'g' },
    { op: 'mmap', proc: 'A', file: 'f', length: 8192, flags: 'shared', prot: 'rw', as: 'm' },
    { op: 'reflink', src: 'f', dst: 'g' },
    { op: 'load', proc: 'A', addr: { map: 'm', offset: 4096 }, len: 8 },
  ],
};

describe('related: one page in every view', () => {
  const r = runScenario(SCN);
  const w = new WorldTimeline(r.steps, r.opStarts, r.keyframes).at(r.steps.length);
  const pmem = r.machine.phys.pmemStartPfn;
  const [leaf] = [...w.procs.procs.get(100)!.leaves.values()];

  it('a PTE lights its pfn, the shared block and both files that own it', () => {
    expect(w.pmemStartPfn).toBe(pmem);
    const h = related({ kind: 'pte', pid: 100, level: 'pte', vaddr: leaf.vaddr }, w);
    expect([...h.pfns]).toEqual([leaf.pte.pfn]);
    const block = leaf.pte.pfn - pmem;
    expect([...h.blocks]).toEqual([block]);
    expect([...h.pages].sort()).toEqual(['131:1', '132:1']);
    expect([...h.files].sort()).toEqual([131, 132]);
    expect([...h.ptes]).toEqual([`100:pte:${leaf.vaddr.toString(16)}`]);
  });

  it('a device block and a file page lead back to the same PTE', () => {
    const block = leaf.pte.pfn - pmem;
    expect([...related({ kind: 'block', block }, w).ptes]).toEqual([`100:pte:${leaf.vaddr.toString(16)}`]);
    expect([...related({ kind: 'page', ino: 132, index: 1 }, w).ptes]).toEqual([`100:pte:${leaf.vaddr.toString(16)}`]);
    expect(related({ kind: 'page', ino: 132, index: 0 }, w).ptes.size).toBe(0);
  });

  it('lights the XArray slot holding the pfn, and a slot click picks its file page', () => {
    const tree = xaDump(r.machine.mapping(131).i_pages, { ids: true }) as unknown as XaTreeDump;
    const h = related({ kind: 'pfn', pfn: leaf.pte.pfn }, w);
    const lit = [...litSlots(tree, 'i_pages:131', h)];
    expect(lit).toHaveLength(1);
    const [node, slot] = lit[0].split(':').map(Number);
    expect(slot).toBe(1);
    expect(slotTarget(tree, 'i_pages:131', node, slot)).toEqual({ kind: 'page', ino: 131, index: 1 });
    expect(litSlots(tree, 'demo', h).size).toBe(0);
  });
});
