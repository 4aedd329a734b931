/**
 * Test support (Node only, never imported by the app): run a scenario on the real engine the way
 * the worker session does, one op at a time, and keep what the page would receive: the steps,
 * opStarts and a machine keyframe (dumpState) at every op boundary. Also records the engine's
 * own call stack at every step, the truth the call-path panel is checked against.
 */
import { Machine } from '../../engine/machine';
import type { Json, Step } from '../../engine/trace/steps';

export interface RecordedRun {
  machine: Machine;
  steps: Step[];
  opStarts: number[];
  keyframes: Json[];
  /** the engine's call stack right after step i (outermost first) */
  stacks: string[][];
}

function slimDump(m: Machine): Json {
  const d = m.dumpState() as { [k: string]: Json };
  const { device: _d, structPages: _p, dram: _r, ...rest } = d;
  return rest;
}

export function record(m: Machine): RecordedRun {
  const stacks: string[][] = [];
  m.tr.subscribe((s) => {
    const st = [...m.tr.callStack];
    // The call step is emitted before the function is pushed.
    stacks[s.seq] = s.t === 'call' ? [...st, s.fn] : st;
  });
  // Steps emitted while the machine was built (before any op) have no stack.
  const opStarts: number[] = [];
  const keyframes: Json[] = [slimDump(m)];
  for (let k = 0; k < m.ops.length; k++) {
    opStarts.push(m.steps.length);
    m.step();
    keyframes.push(slimDump(m));
  }
  for (let i = 0; i < m.steps.length; i++) stacks[i] ??= [];
  return { machine: m, steps: m.steps, opStarts, keyframes, stacks };
}

export function runScenario(input: unknown): RecordedRun {
  const m = Machine.create(input);
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  return record(m);
}
