/**
 * Replays the XArray golden traces (recorded from the kernel's own lib/xarray.c) against our
 * XArray and reports the first difference of each trace.
 *
 * Usage: npm run xarray-replay -- <folder>     (every *.json below the folder, recursively)
 * Prints one line per failing trace, then `N passed, M failed`. Exit code 1 if any trace
 * failed or none was found.
 *
 * A trace split into parts (fields part/parts/step_offset) is replayed as one: parts of the
 * same name are sorted by `part` and run in order on one array.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Json } from '../src/engine/trace/steps.ts';
import { XArray, XaNode, xa_erase, xa_is_err, xa_load, xa_marked, xa_mk_value, xa_set_mark, xa_clear_mark, xa_store, xa_store_order, type XaEntry, type XaMark } from '../src/engine/lib/xarray.ts';
import { xaDump } from '../src/engine/lib/xarray-dump.ts';

export interface GoldenOp {
  op: string;
  index: number;
  value?: number;
  order?: number;
  mark?: number;
}

export interface GoldenStep {
  op: GoldenOp;
  tree: Json;
  loads: { [index: string]: number | null };
  head_marks: boolean[];
  returned: Json;
}

export interface GoldenTrace {
  name: string;
  description?: string;
  part?: number;
  parts?: number;
  step_offset?: number;
  steps: GoldenStep[];
}

export interface ReplayFailure {
  file: string;
  /** step number in the whole trace (step_offset added) */
  step: number;
  op: GoldenOp | null;
  field: string;
  expected: Json;
  got: Json;
}

export interface ReplayResult {
  /** the file (or, for a split trace, its first part) */
  file: string;
  steps: number;
  failure: ReplayFailure | null;
}

/** What an XArray call returned, in the golden notation. */
export function entryToJson(e: XaEntry): Json {
  if (e === null) return null;
  if (typeof e === 'number') return e;
  if (e instanceof XaNode) return { node: true };
  if (xa_is_err(e)) return { error: e.code };
  return { other: String(e) };
}

/** First difference between two JSON values: a path and both sides, or null if equal. */
export function firstDiff(expected: Json, got: Json, path = ''): { path: string; expected: Json; got: Json } | null {
  if (expected === got) return null;
  if (expected === null || got === null || typeof expected !== 'object' || typeof got !== 'object') {
    return { path, expected, got };
  }
  if (Array.isArray(expected) !== Array.isArray(got)) return { path, expected, got };
  if (Array.isArray(expected) && Array.isArray(got)) {
    const n = Math.max(expected.length, got.length);
    for (let i = 0; i < n; i++) {
      if (i >= expected.length || i >= got.length) return { path: `${path}[${i}]`, expected: expected[i] ?? null, got: got[i] ?? null };
      const d = firstDiff(expected[i], got[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const e = expected as { [k: string]: Json };
  const g = got as { [k: string]: Json };
  const keys = [...new Set([...Object.keys(e), ...Object.keys(g)])];
  for (const k of keys) {
    if (!(k in e)) return { path: `${path}.${k}`, expected: '(absent)', got: g[k] };
    if (!(k in g)) return { path: `${path}.${k}`, expected: e[k], got: '(absent)' };
    const d = firstDiff(e[k], g[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/** Apply one golden op to the array; returns what the call returned, or an error string. */
export function applyOp(xa: XArray, op: GoldenOp): XaEntry | string {
  switch (op.op) {
    case 'store':
      if (typeof op.value !== 'number') return 'store without a value';
      if (op.order !== undefined) return xa_store_order(xa, op.index, op.order, xa_mk_value(op.value));
      return xa_store(xa, op.index, xa_mk_value(op.value));
    case 'erase':
      return xa_erase(xa, op.index);
    case 'set_mark':
    case 'clear_mark': {
      const r = op.op === 'set_mark' ? xa_set_mark(xa, op.index, op.mark as XaMark) : xa_clear_mark(xa, op.index, op.mark as XaMark);
      return r === undefined ? null : r;
    }
    default:
      return `unknown op ${JSON.stringify(op.op)}`;
  }
}

/**
 * Replay steps on `xa`, comparing after each op. Returns the first failure or null.
 * `stepOffset` numbers the steps of a later part of a split trace.
 */
export function replaySteps(xa: XArray, steps: GoldenStep[], file: string, stepOffset = 0): ReplayFailure | null {
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const n = stepOffset + i;
    const fail = (field: string, expected: Json, got: Json): ReplayFailure => ({ file, step: n, op: s.op, field, expected, got });
    const r = applyOp(xa, s.op);
    if (typeof r === 'string') return fail('op', 'a known op', r);
    if (xa_is_err(r)) return fail('returned', s.returned, { error: r.code, why: r.why });
    const d0 = firstDiff(s.returned, entryToJson(r));
    if (d0) return fail('returned', s.returned, entryToJson(r));
    const d1 = firstDiff(s.tree, xaDump(xa));
    if (d1) return fail(`tree${d1.path}`, d1.expected, d1.got);
    for (const [k, v] of Object.entries(s.loads)) {
      const got = entryToJson(xa_load(xa, Number(k)));
      if (firstDiff(v, got)) return fail(`loads[${k}]`, v, got);
    }
    const marks = [0, 1, 2].map((m) => xa_marked(xa, m as XaMark));
    const d2 = firstDiff(s.head_marks, marks);
    if (d2) return fail(`head_marks${d2.path}`, d2.expected, d2.got);
  }
  return null;
}

/** Every *.json file below `dir`, sorted. */
export function findTraceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Replay a list of trace files (split traces are joined by name). */
export function replayFiles(files: string[], base = ''): ReplayResult[] {
  const groups = new Map<string, { file: string; trace: GoldenTrace }[]>();
  const order: string[] = [];
  const results: ReplayResult[] = [];
  for (const f of files) {
    const shown = base ? relative(base, f) : f;
    let trace: GoldenTrace;
    try {
      trace = JSON.parse(readFileSync(f, 'utf8')) as GoldenTrace;
    } catch (e) {
      results.push({ file: shown, steps: 0, failure: { file: shown, step: -1, op: null, field: 'json', expected: 'valid JSON', got: String(e) } });
      continue;
    }
    if (!Array.isArray(trace.steps)) {
      results.push({ file: shown, steps: 0, failure: { file: shown, step: -1, op: null, field: 'steps', expected: 'an array', got: null } });
      continue;
    }
    const key = trace.parts && trace.parts > 1 ? `split:${trace.name}` : `file:${f}`;
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
    groups.get(key)!.push({ file: shown, trace });
  }
  for (const key of order) {
    const parts = groups.get(key)!.sort((a, b) => (a.trace.part ?? 0) - (b.trace.part ?? 0));
    const xa = new XArray(parts[0].trace.name ?? 'golden');
    let failure: ReplayFailure | null = null;
    let steps = 0;
    const want = parts[0].trace.parts;
    if (want && want > 1 && parts.length !== want) {
      failure = { file: parts[0].file, step: -1, op: null, field: 'parts', expected: want, got: parts.length };
    }
    let offset = 0;
    for (const p of parts) {
      if (failure) break;
      const start = p.trace.step_offset ?? offset;
      failure = replaySteps(xa, p.trace.steps, p.file, start);
      offset = start + p.trace.steps.length;
      steps += p.trace.steps.length;
    }
    results.push({ file: parts[0].file, steps, failure });
  }
  return results;
}

/** Replay every trace below `dir`. */
export function replayFolder(dir: string): ReplayResult[] {
  return replayFiles(findTraceFiles(dir), dir);
}

function compact(j: Json): string {
  const s = JSON.stringify(j) ?? 'undefined';
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** One line describing a failure. */
export function formatFailure(f: ReplayFailure): string {
  return `FAIL ${f.file} step ${f.step} ${f.op ? compact(f.op as unknown as Json) : ''}: ${f.field} expected ${compact(f.expected)} got ${compact(f.got)}`;
}

function main(): number {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npm run xarray-replay -- <folder>');
    return 1;
  }
  const abs = resolve(dir);
  let files: string[];
  try {
    files = findTraceFiles(abs);
  } catch (e) {
    console.error(`cannot read ${abs}: ${String(e)}`);
    console.log('0 passed, 0 failed');
    return 1;
  }
  const results = replayFiles(files, abs);
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    if (r.failure) {
      failed++;
      console.log(formatFailure(r.failure));
    } else {
      passed++;
    }
  }
  if (results.length === 0) console.error(`no *.json trace found under ${abs}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || results.length === 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main();
}
