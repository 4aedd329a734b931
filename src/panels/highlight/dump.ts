/**
 * The machine keyframe as the page reads it: the JSON of src/engine/debug/dump-machine.ts
 * (Machine.dumpState()), taken at every operation boundary. Declared structurally here, with
 * only the fields the files, page-table and highlight code use, so a panel never needs an
 * engine object.
 *
 * Conventions in this file:
 *   hex     - addresses and pfns in the dump are strings such as "0x40200"; parseHex() reads them.
 *   pmemStartPfn - the first pfn of the pmem device. The filesystem's block b is at pfn
 *            pmemStartPfn + b (the data area starts at device offset 0). Taken from the dump
 *            when it says so, else derived from config.dramSize as the engine's PhysMap does.
 */
import type { ExtentRef, PteRef } from '../../engine/trace/steps';
import type { KernelVersion } from '../../engine/version';

export interface DumpVma {
  start: string;
  end: string;
  flags: string;
  pgoff: number;
  file: string | null;
}

export interface DumpLeaf {
  addr: string;
  level: 'pte' | 'pmd';
  pfn: string;
  /** "pwdHsa": present, write, dirty, Huge, special, anon; '-' for a clear bit */
  flags: string;
}

export interface DumpProcess {
  name: string;
  pid: number;
  vmas: DumpVma[];
  pagetable: DumpLeaf[];
}

export interface DumpFile {
  ino: number;
  name: string;
  size: number;
  dax: boolean;
  extents: ExtentRef[];
  /** the copy-on-write staging fork, when the dump carries it */
  cowFork?: ExtentRef[];
  nrpages: number;
}

export interface MachineDump {
  config: { dramSize: number; deviceSize: number; kernel: KernelVersion; dax: 'always' | 'never'; [k: string]: unknown };
  processes: DumpProcess[];
  files: DumpFile[];
  filesystem: { blocks: number; freeBlocks: number; refcount: [number, number][] };
  /** present when the dump says where pmem starts */
  pmemStartPfn?: number;
}

export function parseHex(s: string | number): number {
  return typeof s === 'number' ? s : parseInt(s, 16);
}

const GiB = 1024 * 1024 * 1024;

/** The first pmem pfn: from the dump if it has it, else as PhysMap places pmem (the GiB after DRAM). */
export function pmemStartPfnOf(d: Pick<MachineDump, 'config' | 'pmemStartPfn'>): number {
  if (typeof d.pmemStartPfn === 'number') return d.pmemStartPfn;
  return (Math.ceil(d.config.dramSize / GiB) * GiB) / 4096;
}

/** Parse the dump's "pwdHsa" flag string into a PteRef. */
export function pteFromDump(l: DumpLeaf): PteRef {
  const f = l.flags;
  return {
    pfn: parseHex(l.pfn),
    present: f[0] === 'p',
    write: f[1] === 'w',
    dirty: f[2] === 'd',
    huge: f[3] === 'H',
    special: f[4] === 's',
    anon: f[5] === 'a',
  };
}

/** Whether a JSON value looks like a machine dump (the keyframes may be of another kind). */
export function isMachineDump(j: unknown): j is MachineDump {
  return typeof j === 'object' && j !== null && 'processes' in j && 'files' in j && 'config' in j;
}
