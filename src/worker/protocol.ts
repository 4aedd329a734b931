/**
 * The messages between the page and the engine worker. Both sides import only these types; the
 * transport is comlink (the worker exposes an EngineApi, the page holds a Remote<EngineApi>).
 *
 * Conventions in this file:
 *   spec        - a scenario: the user's input, never the engine's output. It is what the app keeps
 *                 (and will put in share links) and what a restarted worker runs again.
 *   run         - one execution of a spec from an empty machine; it produces one trace.
 *   generation  - the worker's count of runs; every trace says which run made it, and the status
 *                 block says which run is current, so the page never mixes two runs.
 */
import type { Json, Step } from '../engine/trace/steps';
import type { Scenario } from '../engine/ops';
import type { Chapter } from '../engine/lang';
import type { PmemLayout } from '../engine/drivers/pmem';
import type { StatusSnapshot } from './status-block';

/** One XArray operation, in the format of the golden traces (/work/shared/xarray-golden/README.md). */
export type XaOpSpec =
  | { op: 'store'; index: number; value: number; order?: number }
  | { op: 'erase'; index: number }
  | { op: 'set_mark' | 'clear_mark'; index: number; mark: number };

/** A scenario the session can run. The lead will add machine scenarios as more kinds. */
export interface XaScenarioSpec {
  v: 1;
  kind: 'xarray';
  /** short id, e.g. "xarray-tour" */
  name: string;
  /** what the header shows */
  title: string;
  ops: XaOpSpec[];
}

/** A scenario for the whole simulated machine (src/engine/machine.ts), in the engine's JSON form. */
export interface MachineScenarioSpec {
  v: 1;
  kind: 'machine';
  /** short id, e.g. "write-fsync" */
  name: string;
  title: string;
  scenario: Scenario;
  /** Chapter markers of the scenario's text (src/engine/lang): chapter i starts at op chapters[i].index. */
  chapters?: Chapter[];
  /**
   * The scenario-language source the user sees in the editor, when there is one (a built-in tour,
   * an imported file, the editor's text). Without it the app shows print(scenario, chapters).
   */
  text?: string;
}

export type ScenarioSpec = XaScenarioSpec | MachineScenarioSpec;

/** DRAM contents' buffers (SparsePages.layout(), see docs/device.md §2). */
export interface DramLayout {
  top: ArrayBuffer | SharedArrayBuffer;
  leaves: (ArrayBuffer | SharedArrayBuffer)[];
  chunks: (ArrayBuffer | SharedArrayBuffer)[];
}

/**
 * The machine's memory, handed to the page once per run. With cross-origin isolation the buffers are
 * the engine's own SharedArrayBuffers (`shared`: read them under the status block's seqlock); without
 * it they are copies taken when the run ended.
 */
export interface MemoryShare {
  shared: boolean;
  pmem: PmemLayout;
  dram: DramLayout;
  /** first pfn of the pmem range; device page p is pfn pmemStartPfn + p */
  pmemStartPfn: number;
  pmemPages: number;
  dramPages: number;
}

/** What a machine run adds to its RunResult. */
export interface MachineTrace {
  /**
   * The machine at every op boundary: dumpMachine(m, {bytes: false, iPages: false, freeSpace: true})
   * (src/engine/debug/dump-machine.ts). keyframes[k] is the machine before op k.
   */
  keyframes: Json[];
  /** Each op's outcome (status and result), as Machine.outcomes says after the run. */
  outcomes: { status: string; result: Json }[];
  memory: MemoryShare;
  zeroPfn: number;
}

/** What one run returns. */
export interface RunResult {
  generation: number;
  steps: Step[];
  /** opStarts[k] is the seq of the 'op' step that begins op k. */
  opStarts: number[];
  /** The XArray shown first: its name in the steps (`xa` field of xa_* steps); '' when there is none. */
  xa: string;
  /** Every XArray that has keyframes, in display order (`i_pages:<ino>` for a machine run). */
  xas: string[];
  /**
   * Per XArray name: its dump (xaDump with ids) at every op boundary. keyframes[xa][k] is the array
   * before op k; keyframes[xa][opStarts.length] is the array after the last op.
   */
  keyframes: { [xa: string]: Json[] };
  /** The machine's keyframes and memory; null for an XArray-only run. */
  machine: MachineTrace | null;
}

/** What the worker says when the page connects. */
export interface EngineHello {
  /** The worker's status block, shared with the page; null when memory cannot be shared. */
  status: SharedArrayBuffer | null;
  crossOriginIsolated: boolean;
  /** Why the status block is not shared (null when it is). */
  copyReason: string | null;
}

/** The worker's API. Every method may also fail by the worker dying (see src/worker/client.ts). */
export interface EngineApi {
  /** Connect; `onStatus` receives status copies when the block is not shared. */
  hello(onStatus: ((s: StatusSnapshot) => void) | null): EngineHello;
  /** Run a scenario from an empty machine. */
  run(spec: ScenarioSpec): RunResult;
  /**
   * Fault injection for tests and demos: the worker enters an update (status seq goes odd) and
   * then throws outside any call, as an engine bug would, so the page sees the worker die.
   */
  crash(message: string): void;
}
