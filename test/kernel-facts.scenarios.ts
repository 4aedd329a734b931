/**
 * The scenarios behind test/kernel-facts.test.ts (one or more per checkable fact of
 * /work/shared/kernel-model.md §12). test/machine-invariants.test.ts runs every one of them op
 * by op and checks the machine's invariants after each operation.
 *
 * Conventions in this file:
 *   key    - "fN" or "fN.variant"; the fact test builds a machine from a key.
 *   pte    - a mapping that cannot take a PMD fault (1 MiB long), so every fault is 4 KiB.
 *   pmd    - a 4 MiB shared mapping at file offset 0, placed 2 MiB-aligned by the kernel.
 *
 * What this model leaves out: nothing; these are plain scenario operations.
 */
import { Machine } from '../src/engine/machine';
import type { MachineConfig, Op, Scenario } from '../src/engine/ops';

export const KiB4 = 4096;
export const MiB = 1 << 20;
export const MiB2 = 2 << 20;
export const MiB4 = 4 << 20;

export interface FactScenario {
  config?: Partial<MachineConfig>;
  ops: Scenario['ops'];
}

/** A file of 4 MiB of holes. */
const holeFile = (file = 'f', size = MiB4): Op[] => [
  { op: 'create', file },
  { op: 'truncate', file, size },
];
/** A 1 MiB shared mapping of file f at offset 0: 4 KiB faults only. */
const pteMap = (proc: string, as: string, file = 'f', offset = 0): Op => ({ op: 'mmap', proc, file, length: MiB, offset, as });
/** A 4 MiB shared mapping at offset 0; the kernel aligns it to 2 MiB, so PMD faults are possible. */
const pmdMap = (proc: string, as: string, file = 'f', flags: 'shared' | 'private' = 'shared'): Op => ({ op: 'mmap', proc, file, length: MiB4, as, flags });
const load = (proc: string, map: string, offset = 0, len?: number): Op => (len === undefined ? { op: 'load', proc, addr: { map, offset } } : { op: 'load', proc, addr: { map, offset }, len });
const store = (proc: string, map: string, offset = 0, data = 'x'): Op => ({ op: 'store', proc, addr: { map, offset }, data });

/** Index 1 000 000 needs four XArray levels; its byte offset is 4 096 000 000. */
export const BIG_INDEX = 1_000_000;

export const SCENARIOS: Record<string, FactScenario> = {
  f1: { ops: [...holeFile(), pteMap('A', 'm'), load('A', 'm')] },
  f2: { ops: [...holeFile(), pteMap('A', 'm'), load('A', 'm', 0), load('A', 'm', 5 * KiB4)] },
  f3: { ops: [...holeFile(), pteMap('A', 'm'), load('A', 'm', 64 * KiB4)] },
  f4: { ops: [...holeFile(), pmdMap('A', 'm'), store('A', 'm', 0)] },
  f5: { ops: [...holeFile(), pmdMap('A', 'm'), store('A', 'm', MiB2)] },
  // The VMA starts one page past a 2 MiB boundary while mapping file offset 0: at the 2 MiB
  // boundary inside it, pgoff 511 sits at address colour 0.
  f7: {
    ops: [...holeFile(), { op: 'mmap', proc: 'A', file: 'f', length: MiB4, addr: 0x40001000, as: 'm' }, load('A', 'm', MiB2 - KiB4)],
  },
  'f7.match': {
    ops: [...holeFile(), { op: 'mmap', proc: 'A', file: 'f', length: MiB4, addr: 0x40000000, as: 'm' }, load('A', 'm', 0)],
  },
  f8: { ops: [...holeFile(), pmdMap('A', 'm', 'f', 'private'), store('A', 'm', 0)] },
  'f9.short': { ops: [...holeFile('f', MiB2 - KiB4), { op: 'mmap', proc: 'A', file: 'f', length: MiB2, as: 'm' }, load('A', 'm', 0)] },
  'f9.ok': { ops: [...holeFile('f', MiB2 - 1), { op: 'mmap', proc: 'A', file: 'f', length: MiB2, as: 'm' }, load('A', 'm', 0)] },
  f10: { ops: [...holeFile(), pteMap('B', 'b'), load('B', 'b', 5 * KiB4), pmdMap('A', 'm'), load('A', 'm', 0)] },
  f11: {
    ops: [...holeFile(), { op: 'write', file: 'f', offset: KiB4, data: 'data' }, pmdMap('A', 'm'), load('A', 'm', 0)],
  },
  'f12.pmd': { ops: [...holeFile('f', MiB2), pmdMap('A', 'm'), load('A', 'm', MiB2)] },
  'f12.pte': { ops: [...holeFile('f', 2 * KiB4), pteMap('A', 'm'), load('A', 'm', 2 * KiB4)] },
  f13: { ops: [...holeFile(), pteMap('A', 'm')] },
  f14: { ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0)] },
  f15: { ops: [...holeFile(), { op: 'write', file: 'f', offset: 0, data: 'old' }, pteMap('A', 'm'), load('A', 'm', 0), store('A', 'm', 0, 'new')] },
  f16: { ops: [...holeFile(), pteMap('A', 'a'), pteMap('B', 'b'), load('A', 'a'), load('B', 'b'), store('A', 'a', 0, 'new')] },
  f17: {
    ops: [...holeFile(), { op: 'write', file: 'f', offset: 0, len: MiB2, fill: 0x61 }, pmdMap('A', 'm'), load('A', 'm', 0), pteMap('B', 'b'), store('B', 'b', 2 * KiB4, 'B')],
  },
  f18: { ops: [...holeFile(), pmdMap('A', 'a'), pmdMap('C', 'c'), load('A', 'a'), load('C', 'c'), pteMap('B', 'b'), load('B', 'b', KiB4)] },
  f19: { ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0), { op: 'fsync', file: 'f' }] },
  f20: { ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0)] },
  f21: { ops: [...holeFile(), pmdMap('A', 'm'), store('A', 'm', 0), { op: 'msync', proc: 'A', addr: { map: 'm', offset: MiB }, length: KiB4 }] },
  'f22.eadr': { config: { platform: 'eadr' }, ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0, 'persist'), { op: 'fsync', file: 'f' }] },
  'f22.adr': { config: { platform: 'adr' }, ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0, 'persist'), { op: 'fsync', file: 'f' }] },
  f23: { ops: [...holeFile(), { op: 'mmap', proc: 'A', file: 'f', length: MiB, flags: 'sync', as: 'm' }, store('A', 'm', 0)] },
  f24: {
    ops: [
      ...holeFile(),
      { op: 'read', file: 'f', offset: 0, len: 16 },
      { op: 'write', file: 'f', offset: 2 * KiB4, data: 'abc' },
      { op: 'write', file: 'f', offset: 2 * KiB4, data: 'xyz' },
      { op: 'read', file: 'f', offset: 2 * KiB4, len: 3 },
    ],
  },
  f25: { ops: [...holeFile(), pteMap('A', 'm'), load('A', 'm', 0), { op: 'write', file: 'f', offset: 0, data: 'hi' }] },
  f26: { ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0), load('A', 'm', KiB4), { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: MiB }] },
  // A write(2) that allocates a block invalidates exactly the written index
  // (invalidate_inode_pages2_range); a hole punch would not do, as XFS breaks the layout of the
  // whole file.
  f27: { ops: [...holeFile(), pmdMap('A', 'm'), load('A', 'm', 0), { op: 'write', file: 'f', offset: 300 * KiB4, data: 'w' }] },
  f28: { ops: [...holeFile(), pteMap('A', 'm'), load('A', 'm', 0), load('A', 'm', 64 * KiB4), { op: 'write', file: 'f', offset: 64 * KiB4, data: 'w' }] },
  f29: {
    ops: [
      ...holeFile('f', 8 * 1024 * MiB),
      { op: 'mmap', proc: 'A', file: 'f', length: MiB, offset: BIG_INDEX * KiB4, as: 'm' },
      store('A', 'm', 0),
      { op: 'fsync', file: 'f' },
    ],
  },
  f30: { ops: [...holeFile(), pteMap('A', 'a'), store('A', 'a', 0), pteMap('B', 'b'), load('B', 'b', 0), { op: 'punch', file: 'f', offset: 0, length: KiB4 }] },
  f31: {
    ops: [
      ...holeFile(),
      pmdMap('A', 'a'),
      // B maps file pages 256..511 only: 4 KiB faults inside A's 2 MiB.
      pteMap('B', 'b', 'f', MiB),
      { op: 'store', proc: 'A', addr: { map: 'a', offset: 0 }, data: 'A', pause: 'dax_iomap_pmd_fault:iomap_begin' },
      load('B', 'b', (300 - 256) * KiB4),
      { op: 'resume', proc: 'A' },
    ],
  },
  f32: {
    ops: [
      ...holeFile(),
      pteMap('A', 'm'),
      { op: 'pin', proc: 'A', addr: { map: 'm' }, longterm: true, write: true, as: 'rdma' },
      { op: 'pin', proc: 'A', addr: { map: 'm' }, write: true, as: 'odirect' },
    ],
  },
  f33: {
    ops: [
      ...holeFile(),
      pteMap('A', 'm'),
      store('A', 'm', 0),
      { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'p' },
      { op: 'unpin', proc: 'A', pin: 'p' },
      { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: MiB },
    ],
  },
  'f33.legacy': {
    config: { kernel: '6.1' },
    ops: [...holeFile(), pteMap('A', 'm'), store('A', 'm', 0), { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'p' }, { op: 'unpin', proc: 'A', pin: 'p' }],
  },
  f34: {
    ops: [
      ...holeFile(),
      pteMap('A', 'm'),
      store('A', 'm', 0),
      { op: 'pin', proc: 'A', addr: { map: 'm' }, write: true, as: 'dma' },
      { op: 'punch', proc: 'K', file: 'f', offset: 0, length: 2 * KiB4 },
      { op: 'unpin', proc: 'A', pin: 'dma' },
    ],
  },
  // The pinned page lies outside the punched range: XFS still waits (xfs_break_dax_layouts
  // breaks the layout of the whole file, dax_break_layout_inode).
  'f34.outside': {
    ops: [
      ...holeFile(),
      pteMap('A', 'm'),
      store('A', 'm', 5 * KiB4),
      { op: 'pin', proc: 'A', addr: { map: 'm', offset: 5 * KiB4 }, write: true, as: 'dma' },
      { op: 'punch', proc: 'K', file: 'f', offset: 0, length: 2 * KiB4 },
      { op: 'unpin', proc: 'A', pin: 'dma' },
    ],
  },
  f35: {
    ops: [
      { op: 'create', file: 'a' },
      { op: 'write', file: 'a', offset: 2 * KiB4, data: 'AAAA' },
      { op: 'truncate', file: 'a', size: MiB4 },
      { op: 'create', file: 'b' },
      { op: 'reflink', src: 'a', dst: 'b' },
      pteMap('A', 'ma', 'a'),
      pteMap('B', 'mb', 'b'),
      load('A', 'ma', 2 * KiB4, 4),
      load('B', 'mb', 2 * KiB4, 4),
    ],
  },
};
SCENARIOS.f36 = {
  ops: [...SCENARIOS.f35.ops, store('B', 'mb', 2 * KiB4, 'BB'), load('B', 'mb', 2 * KiB4, 4), load('A', 'ma', 2 * KiB4, 4)],
};
SCENARIOS.f37 = { ops: [...SCENARIOS.f35.ops, { op: 'poison', file: 'a', offset: 2 * KiB4 }] };
// Device block 0 holds the superblock (a metadata owner in the reverse map).
SCENARIOS['f37.meta'] = { ops: [...holeFile(), { op: 'poison', pfn: -1 }] };
SCENARIOS.f39 = {
  ops: [...holeFile(), pmdMap('A', 'm'), store('A', 'm', 0), { op: 'munmap', proc: 'A', addr: { map: 'm' }, length: MiB4 }, { op: 'punch', file: 'f', offset: 0, length: MiB2 }],
};
SCENARIOS.f40 = { ops: [...holeFile(), pmdMap('A', 'm'), store('A', 'm', 0), { op: 'punch', file: 'f', offset: 0, length: MiB2 }] };

/** The scenario for `key`, with placeholders resolved against a fresh machine (pfn -1 = device block 0). */
export function buildMachine(key: string): Machine {
  const s = SCENARIOS[key];
  if (!s) throw new Error(`no scenario ${key}`);
  const probe = Machine.create({ version: 1, config: s.config ?? {}, ops: [] });
  if ('errors' in probe) throw new Error(JSON.stringify(probe.errors));
  const ops = s.ops.map((o) => (o.op === 'poison' && o.pfn === -1 ? { ...o, pfn: probe.phys.pmemOffsetToPfn(0) } : o));
  const m = Machine.create({ version: 1, config: s.config ?? {}, ops });
  if ('errors' in m) throw new Error(`${key}: ${JSON.stringify(m.errors)}`);
  return m;
}
