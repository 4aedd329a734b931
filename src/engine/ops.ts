/**
 * The operation list: what a scenario asks the simulated machine to do, one operation at a
 * time. This JSON form is what `npm run sim` reads today and what the scenario language parses
 * into. Documented in docs/operations.md.
 *
 * Conventions in this file:
 *   proc   - a process name ("A", "B"); created on first use.
 *   file   - a file name on the one filesystem.
 *   map    - a label for an mmap's address, so later operations can say {map, offset}
 *            instead of an address the kernel chose.
 *
 * What this model leaves out: file descriptors (a file is named directly; open and close are
 * implied), directories, permissions.
 */
import type { KernelVersion } from './version';
import { KERNEL_VERSIONS } from './version';
import type { Platform } from './drivers/pmem';
import { MiB, GiB, PMD_SIZE } from './constants';

export interface MachineConfig {
  /** pmem namespace size in bytes (multiple of 2 MiB); default 64 MiB */
  deviceSize: number;
  /** DRAM size in bytes (multiple of 2 MiB); default 256 MiB */
  dramSize: number;
  platform: Platform;
  /** mount -o dax=always | dax=never */
  dax: 'always' | 'never';
  reflink: boolean;
  /** allow PMD (2 MiB) faults (CONFIG_FS_DAX_PMD and THP enabled) */
  pmd: boolean;
  kernel: KernelVersion;
  /** where the struct pages of pmem live: DRAM (map=mem) or the device (map=dev) */
  memmap: 'ram' | 'dev';
}

export const DEFAULT_CONFIG: MachineConfig = {
  deviceSize: 64 * MiB,
  dramSize: 256 * MiB,
  platform: 'adr',
  dax: 'always',
  reflink: true,
  pmd: true,
  kernel: 'modern',
  memmap: 'ram',
};

/** Where a user address comes from: a number, or an offset into a labelled mapping. */
export type Addr = number | { map: string; offset?: number };

export type Op =
  | { op: 'create'; file: string }
  | { op: 'write'; proc?: string; file: string; offset: number; data?: string; fill?: number; len?: number }
  | { op: 'read'; proc?: string; file: string; offset: number; len: number }
  | { op: 'mmap'; proc: string; file: string; length: number; offset?: number; prot?: 'r' | 'rw'; flags?: 'shared' | 'private' | 'sync'; addr?: number; as?: string }
  | { op: 'munmap'; proc: string; addr: Addr; length: number }
  | { op: 'mprotect'; proc: string; addr: Addr; length: number; prot: 'r' | 'rw' | 'none' }
  | { op: 'load'; proc: string; addr: Addr; len?: number }
  | { op: 'store'; proc: string; addr: Addr; data?: string; value?: number; len?: number }
  | { op: 'msync'; proc: string; addr: Addr; length: number; async?: boolean }
  | { op: 'fsync'; proc?: string; file: string; datasync?: boolean }
  | { op: 'truncate'; proc?: string; file: string; size: number }
  | { op: 'punch'; proc?: string; file: string; offset: number; length: number }
  | { op: 'fallocate'; proc?: string; file: string; offset: number; length: number; keepSize?: boolean }
  | { op: 'reflink'; proc?: string; src: string; dst: string; srcOffset?: number; dstOffset?: number; length?: number }
  | { op: 'pin'; proc: string; addr: Addr; length?: number; longterm?: boolean; write?: boolean; as?: string }
  | { op: 'unpin'; proc: string; pin: string }
  | { op: 'flush'; proc: string; addr: Addr; length: number }
  | { op: 'crash' }
  | { op: 'poison'; pfn?: number; file?: string; offset?: number }
  | { op: 'unlink'; proc?: string; file: string }
  | { op: 'resume'; proc: string };

export type OpName = Op['op'];

export interface Scenario {
  /** format version of this JSON form */
  version: 1;
  config?: Partial<MachineConfig>;
  ops: (Op & { pause?: string; note?: string })[];
}

export const OP_NAMES: readonly OpName[] = [
  'create', 'write', 'read', 'mmap', 'munmap', 'mprotect', 'load', 'store', 'msync', 'fsync', 'truncate',
  'punch', 'fallocate', 'reflink', 'pin', 'unpin', 'flush', 'crash', 'poison', 'unlink', 'resume',
];

/** Which fields each op takes: name → [required, optional]. */
const FIELDS: Record<OpName, [string[], string[]]> = {
  create: [['file'], []],
  write: [['file', 'offset'], ['proc', 'data', 'fill', 'len']],
  read: [['file', 'offset', 'len'], ['proc']],
  mmap: [['proc', 'file', 'length'], ['offset', 'prot', 'flags', 'addr', 'as']],
  munmap: [['proc', 'addr', 'length'], []],
  mprotect: [['proc', 'addr', 'length', 'prot'], []],
  load: [['proc', 'addr'], ['len']],
  store: [['proc', 'addr'], ['data', 'value', 'len']],
  msync: [['proc', 'addr', 'length'], ['async']],
  fsync: [['file'], ['proc', 'datasync']],
  truncate: [['file', 'size'], ['proc']],
  punch: [['file', 'offset', 'length'], ['proc']],
  fallocate: [['file', 'offset', 'length'], ['proc', 'keepSize']],
  reflink: [['src', 'dst'], ['proc', 'srcOffset', 'dstOffset', 'length']],
  pin: [['proc', 'addr'], ['length', 'longterm', 'write', 'as']],
  unpin: [['proc', 'pin'], []],
  flush: [['proc', 'addr', 'length'], []],
  crash: [[], []],
  poison: [[], ['pfn', 'file', 'offset']],
  unlink: [['file'], ['proc']],
  resume: [['proc'], []],
};

const NUMERIC = new Set(['offset', 'len', 'length', 'size', 'srcOffset', 'dstOffset', 'pfn', 'fill', 'value']);

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

export function nearest(word: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bd = Infinity;
  for (const o of options) {
    const dd = editDistance(word, o);
    if (dd < bd) {
      bd = dd;
      best = o;
    }
  }
  return bd <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

export interface ScenarioError {
  /** which operation (0-based), or -1 for the scenario itself / the config */
  index: number;
  field: string | null;
  message: string;
}

function isAddr(x: unknown): boolean {
  if (typeof x === 'number') return Number.isSafeInteger(x) && x >= 0;
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { map?: unknown; offset?: unknown };
  return typeof o.map === 'string' && (o.offset === undefined || (typeof o.offset === 'number' && Number.isSafeInteger(o.offset) && o.offset >= 0));
}

/** Check a parsed JSON value against the scenario schema; errors say where and why. */
export function validateScenario(x: unknown): { scenario: Scenario } | { errors: ScenarioError[] } {
  const errors: ScenarioError[] = [];
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    // A bare list of operations is accepted too.
    if (Array.isArray(x)) return validateScenario({ version: 1, ops: x });
    return { errors: [{ index: -1, field: null, message: 'a scenario is an object {"version": 1, "config": {...}, "ops": [...]} or a list of operations' }] };
  }
  const s = x as { version?: unknown; config?: unknown; ops?: unknown };
  if (s.version !== undefined && s.version !== 1) errors.push({ index: -1, field: 'version', message: `this program reads scenario version 1; the file says ${JSON.stringify(s.version)}` });
  const config = validateConfig(s.config, errors);
  if (!Array.isArray(s.ops)) {
    errors.push({ index: -1, field: 'ops', message: '"ops" must be a list of operations' });
    return { errors };
  }
  s.ops.forEach((o, i) => validateOp(o, i, errors));
  if (errors.length) return { errors };
  return { scenario: { version: 1, config, ops: s.ops as Scenario['ops'] } };
}

function validateConfig(c: unknown, errors: ScenarioError[]): Partial<MachineConfig> {
  if (c === undefined) return {};
  if (typeof c !== 'object' || c === null) {
    errors.push({ index: -1, field: 'config', message: '"config" must be an object' });
    return {};
  }
  const cfg = c as Record<string, unknown>;
  const keys = Object.keys(DEFAULT_CONFIG);
  for (const k of Object.keys(cfg)) {
    if (!keys.includes(k)) {
      const n = nearest(k, keys);
      errors.push({ index: -1, field: `config.${k}`, message: `unknown setting "${k}"${n ? ` (did you mean "${n}"?)` : ''}` });
    }
  }
  const size = (k: 'deviceSize' | 'dramSize', max: number) => {
    const v = cfg[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v % PMD_SIZE !== 0 || v > max)
      errors.push({ index: -1, field: `config.${k}`, message: `${k} must be a positive multiple of 2 MiB up to ${max / GiB} GiB, not ${JSON.stringify(v)}` });
  };
  size('deviceSize', 1024 * 1024 * GiB);
  size('dramSize', 64 * GiB);
  const oneOf = (k: string, vals: readonly unknown[]) => {
    if (cfg[k] !== undefined && !vals.includes(cfg[k])) errors.push({ index: -1, field: `config.${k}`, message: `${k} must be one of ${vals.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(cfg[k])}` });
  };
  oneOf('platform', ['adr', 'eadr']);
  oneOf('dax', ['always', 'never']);
  oneOf('reflink', [true, false]);
  oneOf('pmd', [true, false]);
  oneOf('kernel', KERNEL_VERSIONS);
  oneOf('memmap', ['ram', 'dev']);
  return cfg as Partial<MachineConfig>;
}

function validateOp(o: unknown, i: number, errors: ScenarioError[]): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    errors.push({ index: i, field: null, message: 'an operation is an object such as {"op": "load", "proc": "A", "addr": {"map": "m"}}' });
    return;
  }
  const r = o as Record<string, unknown>;
  const name = r.op;
  if (typeof name !== 'string' || !(OP_NAMES as readonly string[]).includes(name)) {
    const n = typeof name === 'string' ? nearest(name, OP_NAMES) : null;
    errors.push({ index: i, field: 'op', message: `unknown operation ${JSON.stringify(name)}${n ? ` (did you mean "${n}"?)` : ''}; the operations are ${OP_NAMES.join(', ')}` });
    return;
  }
  const [req, opt] = FIELDS[name as OpName];
  const allowed = new Set(['op', 'pause', 'note', ...req, ...opt]);
  for (const f of req) if (r[f] === undefined) errors.push({ index: i, field: f, message: `"${name}" needs "${f}"` });
  for (const f of Object.keys(r)) {
    if (!allowed.has(f)) {
      const n = nearest(f, [...allowed]);
      errors.push({ index: i, field: f, message: `"${name}" has no field "${f}"${n ? ` (did you mean "${n}"?)` : ''}` });
      continue;
    }
    const v = r[f];
    if (NUMERIC.has(f) && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0))
      errors.push({ index: i, field: f, message: `"${f}" must be a whole number of 0 or more, not ${JSON.stringify(v)}` });
    if (f === 'addr' && !isAddr(v)) errors.push({ index: i, field: f, message: `"addr" is a number or {"map": "<label>", "offset": <bytes>}, not ${JSON.stringify(v)}` });
    if ((f === 'proc' || f === 'file' || f === 'src' || f === 'dst' || f === 'as' || f === 'pin' || f === 'pause' || f === 'note' || f === 'data') && typeof v !== 'string')
      errors.push({ index: i, field: f, message: `"${f}" must be a string` });
    if (f === 'prot' && !['r', 'rw', 'none'].includes(v as string)) errors.push({ index: i, field: f, message: `"prot" is "r", "rw" or "none", not ${JSON.stringify(v)}` });
    if (f === 'flags' && !['shared', 'private', 'sync'].includes(v as string)) errors.push({ index: i, field: f, message: `"flags" is "shared", "private" or "sync", not ${JSON.stringify(v)}` });
  }
}
