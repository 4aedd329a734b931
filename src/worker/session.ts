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
 * The lead extends this file to run the whole Machine; the protocol (RunResult) stays.
 */
import { xaDump } from '../engine/lib/xarray-dump';
import { XArray, xa_clear_mark, xa_erase, xa_set_mark, xa_store, xa_store_order, type XaMark } from '../engine/lib/xarray';
import { Tracer, type Json } from '../engine/trace/steps';
import type { RunResult, ScenarioSpec, XaOpSpec } from './protocol';
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

export class Session {
  private generation = 0;
  private readonly status: StatusWriter;

  constructor(status: StatusWriter) {
    this.status = status;
  }

  /** Run `spec` from an empty machine and return its whole trace. */
  run(spec: ScenarioSpec): RunResult {
    const w = this.status;
    const generation = ++this.generation;
    w.update(() => {
      w.set('generation', generation);
      w.setPhase('running');
      w.set('steps', 0);
      w.set('opsDone', 0);
      w.set('opsTotal', spec.ops.length);
    });
    const tracer = new Tracer(true);
    const xa = new XArray(DEMO_XA, tracer);
    const opStarts: number[] = [];
    const keyframes: Json[] = [xaDump(xa, { ids: true })];
    spec.ops.forEach((op, k) => {
      w.begin();
      try {
        opStarts.push(tracer.steps.length);
        tracer.beginOp(`xa_${op.op}`, opArgs(op), describeOp(op));
        runXaOp(xa, op);
        keyframes.push(xaDump(xa, { ids: true }));
        w.set('steps', tracer.steps.length);
        w.set('opsDone', k + 1);
      } catch (e) {
        // An engine bug: leave the block saying so (phase failed, last good counts unchanged).
        w.setPhase('failed');
        w.end(false);
        throw e;
      }
      w.end(true);
    });
    w.update(() => w.setPhase('done'));
    return { generation, steps: tracer.steps, opStarts, xa: DEMO_XA, keyframes: { [DEMO_XA]: keyframes } };
  }

  /**
   * For the crash command: enter an update and never leave it, as an engine that dies in the
   * middle of an operation would.
   */
  beginCrash(): void {
    if (!this.status.midUpdate) this.status.begin();
  }
}
