/**
 * DAX fault-path and whole-machine figures:
 *   dax.pte-faults, dax.pmd-faults   faults per second (tracing off; target >= 200,000/s each)
 *   machine.random-1M                a 1,000,000-operation random workload (ops/s and total time)
 *   steps.per-op.*                   steps emitted per operation kind with tracing on
 */
import type { Report } from './run';
import { Machine } from '../src/engine/machine';
import type { Op } from '../src/engine/ops';
import { MiB } from '../src/engine/constants';
import { handle_mm_fault } from '../src/engine/mm/fault';
import { runToEnd } from '../src/engine/kernel/sched';
import { KERNEL_EXPLAINED_RULES } from '../src/engine/debug/check-machine';
import { xorshift32 } from './prng';


function machine(config: object, trace = false): Machine {
  const m = Machine.create({ version: 1, config, ops: [] }, { trace });
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  return m;
}

function must(m: Machine, op: Op): void {
  const o = m.exec(op);
  if (o.status === 'error' || o.status === 'signal') throw new Error(`${op.op}: ${JSON.stringify(o.result)}`);
}

/**
 * Faults per second through handle_mm_fault (the kernel's fault entry), tracing off: map a
 * 64 MiB DAX file whose blocks are written, then fault every page (or every 2 MiB), zap the page
 * table and do it again. Setup and the zaps are outside the clock.
 */
function faults(pmd: boolean, target: number): { perSec: number; n: number } {
  const size = 64 * MiB;
  const m = machine({ deviceSize: 256 * MiB, pmd });
  must(m, { op: 'create', file: 'f' });
  must(m, { op: 'fallocate', file: 'f', offset: 0, length: size });
  must(m, { op: 'mmap', proc: 'A', file: 'f', length: size, as: 'r' });
  const stride = pmd ? 2 * MiB : 4096;
  for (let off = 0; off < size; off += stride) must(m, { op: 'store', proc: 'A', addr: { map: 'r', offset: off }, value: 1 });
  const mm = m.as.proc('A');
  const base = m.labels.get('r')!.addr;
  let n = 0;
  let ms = 0;
  while (n < target) {
    m.as.zapRange(mm, base, base + size, '');
    const t0 = performance.now();
    for (let off = 0; off < size && n < target; off += stride, n++) {
      const r = runToEnd(handle_mm_fault(m.faultEnv, mm, base + off, false));
      if (r & 0x42) throw new Error(`fault at +${off} failed: ${r}`);
    }
    ms += performance.now() - t0;
  }
  if (m.check().length) throw new Error('invariants broken after the fault benchmark');
  return { perSec: n / (ms / 1000), n };
}

function randomOps(n: number, seed: number): Op[] {
  const r = xorshift32(seed);
  const files = ['a', 'b', 'c'];
  const ops: Op[] = [];
  for (const f of files) ops.push({ op: 'create', file: f }, { op: 'truncate', file: f, size: 4 * MiB });
  for (const p of ['A', 'B']) for (const f of files) ops.push({ op: 'mmap', proc: p, file: f, length: 4 * MiB, as: `${p}${f}` });
  while (ops.length < n) {
    const k = r() % 100;
    const f = files[r() % 3];
    const p = r() % 2 ? 'A' : 'B';
    const off = (r() % 1024) * 4096;
    if (k < 45) ops.push({ op: 'load', proc: p, addr: { map: `${p}${f}`, offset: off }, len: 8 });
    else if (k < 85) ops.push({ op: 'store', proc: p, addr: { map: `${p}${f}`, offset: off }, value: k });
    else if (k < 90) ops.push({ op: 'write', file: f, offset: off, len: 64, fill: k });
    else if (k < 93) ops.push({ op: 'read', file: f, offset: off, len: 64 });
    else if (k < 96) ops.push({ op: 'fsync', file: f });
    else if (k < 98) ops.push({ op: 'punch', file: f, offset: off, length: 8192 });
    else ops.push({ op: 'reflink', src: f, dst: files[(files.indexOf(f) + 1) % 3], srcOffset: off, dstOffset: off, length: 4096 });
  }
  return ops;
}

export async function run(report: Report): Promise<void> {
  const pte = faults(false, 500_000);
  report('dax.pte-faults', Math.round(pte.perSec), 'faults/s');
  const pmd = faults(true, 500_000);
  report('dax.pmd-faults', Math.round(pmd.perSec), 'faults/s');
  report('dax.fault-target', 200000, 'faults/s');

  const N = 1_000_000;
  const ops = randomOps(N, 20240611);
  const m = machine({ deviceSize: 256 * MiB, pmd: false });
  const t0 = performance.now();
  for (const op of ops) m.exec(op);
  const dt = (performance.now() - t0) / 1000;
  report('machine.random-1M.ops', Math.round(N / dt), 'ops/s');
  report('machine.random-1M.time', dt, 's');
  const viol = m.check();
  report('machine.random-1M.violations', viol.filter((v) => !KERNEL_EXPLAINED_RULES.includes(v.rule)).length, 'count');
  report('machine.random-1M.kernel-explained', viol.length, 'count');

  // Steps per operation with tracing on, on a 20,000-operation prefix of the same workload.
  const traced = machine({ deviceSize: 256 * MiB, pmd: false }, true);
  const per = new Map<string, { ops: number; steps: number }>();
  for (const op of ops.slice(0, 20_000)) {
    const before = traced.steps.length;
    traced.exec(op);
    const e = per.get(op.op) ?? { ops: 0, steps: 0 };
    e.ops++;
    e.steps += traced.steps.length - before;
    per.set(op.op, e);
  }
  let all = 0;
  let allOps = 0;
  for (const [k, e] of [...per].sort()) {
    report(`steps.per-op.${k}`, e.steps / e.ops, 'steps/op');
    all += e.steps;
    allOps += e.ops;
  }
  report('steps.per-op.all', all / allOps, 'steps/op');
}
