/**
 * The engine glue: everything the worker runs. A Session turns a scenario spec into a trace, and
 * keeps the status block honest while it does (seq odd during each operation, even between them).
 * It imports only the engine and the status block, so unit tests run it in Node without a worker.
 *
 * Conventions in this file:
 *   op        - one scenario operation; the session brackets each with Tracer.beginOp() and one
 *               status update, so "between ops" is exactly "consistent".
 *   keyframe  - the XArray's dump (xaDump with ids) at an op boundary: keyframes[k] is the array
 *               before op k, keyframes[ops.length] after the last op. The page rebuilds any moment
 *               in between from the nearest keyframe plus the xa_* steps (src/panels/xarray/replay.ts).
 *
 *   machine keyframe - for a machine scenario, also dumpMachine() without page bytes at every op
 *              boundary, plus xaDump({ids: true}) of every file's i_pages under its step name
 *              `i_pages:<ino>` (null before the mapping exists). The page rebuilds every panel from
 *              the nearest keyframe plus the steps after it.
 *   memory     - the machine's device and DRAM buffers. In shared mode the Machine allocates them as
 *              SharedArrayBuffers and the page reads them directly (under the seqlock); in copy mode
 *              they are plain ArrayBuffers that the result message copies once, at the end of the run.
 */
import { xaDump } from '../engine/lib/xarray-dump';
import { XArray, xa_clear_mark, xa_erase, xa_set_mark, xa_store, xa_store_order, type XaMark } from '../engine/lib/xarray';
import { Tracer, type Json } from '../engine/trace/steps';
import { Machine } from '../engine/machine';
import { dumpMachine } from '../engine/debug/dump-machine';
import { plainMemoryProvider, sharedMemoryProvider, type MemoryProvider } from '../engine/mm/memory';
import type { MachineScenarioSpec, MemoryShare, RunResult, ScenarioSpec, XaOpSpec, XaScenarioSpec } from './protocol';
import type { StatusWriter } from './status-block';

/** The name the demo XArray has in steps and in the panel. */
export const DEMO_XA = 'demo';

/** What the op step says, for people. */
export function describeOp(op: XaOpSpec): string {
  switch (op.op) {
    case 'store':
      return op.order
        ? `Store value ${op.value} as one entry covering indices ${op.index}..${op.index + 2 ** op.order - 1} (order ${op.order}).`
        : `Store value ${op.value} at index ${op.index}.`;
    case 'erase':
      return `Erase the entry at index ${op.index}.`;
    case 'set_mark':
      return `Set mark ${op.mark} on the entry at index ${op.index}.`;
    case 'clear_mark':
      return `Clear mark ${op.mark} on the entry at index ${op.index}.`;
  }
}

function opArgs(op: XaOpSpec): { [k: string]: Json } {
  const { op: _name, ...rest } = op;
  return rest as { [k: string]: Json };
}

/** Runs one XArray operation with the kernel's API. Bad input comes back as a KErr in the trace. */
function runXaOp(xa: XArray, op: XaOpSpec): void {
  switch (op.op) {
    case 'store':
      if (op.order) xa_store_order(xa, op.index, op.order, op.value);
      else xa_store(xa, op.index, op.value);
      return;
    case 'erase':
      xa_erase(xa, op.index);
      return;
    case 'set_mark':
      xa_set_mark(xa, op.index, op.mark as XaMark);
      return;
    case 'clear_mark':
      xa_clear_mark(xa, op.index, op.mark as XaMark);
      return;
  }
}

/** The keyframe name of a file's page-cache XArray (the `xa` field its steps carry). */
export function iPagesName(ino: number): string {
  return `i_pages:${ino}`;
}

export interface SessionOptions {
  /**
   * 'shared': the machine's memory is SharedArrayBuffers (worker with cross-origin isolation, Node);
   * 'copy': plain ArrayBuffers, copied to the page with the result. Default: shared when possible.
   */
  memory?: 'shared' | 'copy';
}

export class Session {
  private generation = 0;
  private readonly status: StatusWriter;
  private readonly memory: MemoryProvider;

  constructor(status: StatusWriter, opts: SessionOptions = {}) {
    this.status = status;
    this.memory = opts.memory === 'copy' ? plainMemoryProvider() : sharedMemoryProvider();
  }

  /** Run `spec` from an empty machine and return its whole trace. */
  run(spec: ScenarioSpec): RunResult {
    const generation = ++this.generation;
    this.startRun(generation, spec.kind === 'xarray' ? spec.ops.length : spec.scenario.ops.length);
    return spec.kind === 'xarray' ? this.runXa(spec, generation) : this.runMachine(spec, generation);
  }

  private startRun(generation: number, opsTotal: number): void {
    const w = this.status;
    w.update(() => {
      w.set('generation', generation);
      w.setPhase('running');
      w.set('steps', 0);
      w.set('opsDone', 0);
      w.set('opsTotal', opsTotal);
    });
  }

  /** One op inside a status update: seq odd while `body` runs; an exception leaves phase failed. */
  private op(k: number, body: () => number): void {
    const w = this.status;
    w.begin();
    try {
      const steps = body();
      w.set('steps', steps);
      w.set('opsDone', k + 1);
    } catch (e) {
      // An engine bug: leave the block saying so (phase failed, last good counts unchanged).
      w.setPhase('failed');
      w.end(false);
      throw e;
    }
    w.end(true);
  }

  private runMachine(spec: MachineScenarioSpec, generation: number): RunResult {
    const m = Machine.create(spec.scenario, { memory: this.memory });
    if ('errors' in m) {
      const first = m.errors[0];
      this.status.update(() => this.status.setPhase('failed'), false);
      throw new Error(
        `The scenario "${spec.name}" is not valid: ${first ? `${first.index >= 0 ? `operation ${first.index}` : 'scenario'}${first.field ? ` field ${first.field}` : ''}: ${first.message}` : 'unknown error'}`,
      );
    }
    const n = spec.scenario.ops.length;
    const opStarts: number[] = [];
    const machineKfs: Json[] = [];
    const xaKfs = new Map<string, Json[]>();
    const snapshot = (k: number) => {
      machineKfs.push(dumpMachine(m, { bytes: false, iPages: false, freeSpace: true }));
      for (const [ino, mapping] of [...m.mappings].sort((a, b) => a[0] - b[0])) {
        const name = iPagesName(ino);
        let list = xaKfs.get(name);
        if (!list) {
          list = new Array<Json>(k).fill(null);
          xaKfs.set(name, list);
        }
        list.push(xaDump(mapping.i_pages, { ids: true }));
      }
      // A mapping that went away (unlink) is an empty array from then on.
      for (const list of xaKfs.values()) if (list.length === k) list.push(null);
    };
    snapshot(0);
    for (let k = 0; k < n; k++) {
      this.op(k, () => {
        opStarts.push(m.steps.length);
        m.step();
        snapshot(k + 1);
        return m.steps.length;
      });
    }
    this.status.update(() => this.status.setPhase('done'));
    const xas = [...xaKfs.keys()];
    const memory: MemoryShare = {
      shared: this.memory.shared,
      pmem: m.pmem.layout(),
      dram: m.phys.dramLayout(),
      pmemStartPfn: m.phys.pmemStartPfn,
      pmemPages: m.phys.pmemPages,
      dramPages: m.phys.dramPages,
    };
    return {
      generation,
      steps: m.steps,
      opStarts,
      xa: xas[0] ?? '',
      xas,
      keyframes: Object.fromEntries(xaKfs),
      machine: {
        keyframes: machineKfs,
        outcomes: m.outcomes.map((o) => ({ status: o.status, result: o.result })),
        memory,
        zeroPfn: m.phys.zeroPagePfn,
      },
    };
  }

  private runXa(spec: XaScenarioSpec, generation: number): RunResult {
    const w = this.status;
    const tracer = new Tracer(true);
    const xa = new XArray(DEMO_XA, tracer);
    const opStarts: number[] = [];
    const keyframes: Json[] = [xaDump(xa, { ids: true })];
    spec.ops.forEach((op, k) => {
      this.op(k, () => {
        opStarts.push(tracer.steps.length);
        tracer.beginOp(`xa_${op.op}`, opArgs(op), describeOp(op));
        runXaOp(xa, op);
        keyframes.push(xaDump(xa, { ids: true }));
        return tracer.steps.length;
      });
    });
    w.update(() => w.setPhase('done'));
    return { generation, steps: tracer.steps, opStarts, xa: DEMO_XA, xas: [DEMO_XA], keyframes: { [DEMO_XA]: keyframes }, machine: null };
  }

  /**
   * For the crash command: enter an update and never leave it, as an engine that dies in the
   * middle of an operation would.
   */
  beginCrash(): void {
    if (!this.status.midUpdate) this.status.begin();
  }
}
