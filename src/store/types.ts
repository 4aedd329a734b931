/**
 * The shape of the app's store: one zustand store per visualizer instance, made by makeSimStore()
 * and handed down through React context (src/store/context.tsx). Each slice owns one concern; the
 * combined state is their union.
 *
 * Conventions in this file:
 *   cursor   - how many steps have been applied: 0 is the moment before the first step, and
 *              steps.length is the end of the trace. The "current step" is steps[cursor - 1].
 *   boundary - a cursor value at which no operation is half done: opStarts[k] (ops 0..k-1 complete)
 *              or steps.length. Shift+arrows move between boundaries.
 */
import type { Json, Step } from '../engine/trace/steps';
import type { MachineTrace, ScenarioSpec } from '../worker/protocol';
import type { StatusSnapshot } from '../worker/status-block';
import type { StepCategory } from './categories';
import type { EditorSlice } from './editor';
import type { EmbedOptions } from '../share/embed';

export interface ScenarioSlice {
  /** The user's scenario: kept across worker failures and restarts. */
  scenario: ScenarioSpec;
  /** Replace the scenario and run it. */
  setScenario(spec: ScenarioSpec): Promise<void>;
}

export type Speed = 0.25 | 0.5 | 1 | 2 | 4 | 8;
export const SPEEDS: readonly Speed[] = [0.25, 0.5, 1, 2, 4, 8];
/** Steps per second at 1x. */
export const BASE_STEPS_PER_SECOND = 4;

export interface PlaybackSlice {
  cursor: number;
  playing: boolean;
  speed: Speed;
  seek(cursor: number): void;
  /** Move by micro-steps (±1 is one step). */
  stepBy(delta: number): void;
  /** Move to the next (+1) or previous (-1) operation boundary. */
  stepOp(direction: 1 | -1): void;
  home(): void;
  end(): void;
  setPlaying(on: boolean): void;
  togglePlay(): void;
  setSpeed(s: Speed): void;
}

export interface Marker {
  /** cursor value that shows the marked step as current (its seq + 1) */
  at: number;
  category: StepCategory;
  /** the step's text, for the tooltip */
  text: string;
}

export interface EngineFailureInfo {
  kind: 'died' | 'threw';
  message: string;
  /** The cursor to return to after a restart: the last step the user saw from a complete run. */
  lastGoodCursor: number;
  /** Whether the worker died in the middle of an operation (status block seq was odd). */
  midUpdate: boolean;
}

export interface TraceSlice {
  engineState: 'starting' | 'running' | 'ready' | 'failed';
  /** 'shared': status block in a SharedArrayBuffer; 'copy': status arrives as messages. */
  engineMode: 'shared' | 'copy' | null;
  /** Shown when not null: why the app runs without shared memory. */
  engineNotice: string | null;
  failure: EngineFailureInfo | null;
  generation: number;
  steps: Step[];
  opStarts: number[];
  /** The XArray shown first (its name in the steps); '' when the trace has none. */
  xa: string;
  /** Every XArray with keyframes (for a machine scenario: `i_pages:<ino>` of each file). */
  xas: string[];
  /** A machine scenario's keyframes and shared memory (see RunResult.machine); null otherwise. */
  machine: MachineTrace | null;
  /** Dumps of each XArray at every op boundary (see RunResult.keyframes). */
  keyframes: { [xa: string]: Json[] };
  markers: Marker[];
  /** The last status copy from the engine (copy mode) or the last one read from the block. */
  status: StatusSnapshot | null;
  /** Start the engine (if needed) and run the current scenario. */
  runScenario(): Promise<void>;
  /** After a failure: new worker, run the scenario again, return to the last good step. */
  restart(): Promise<void>;
  /** Fault injection (debug and e2e): make the worker die mid-update. */
  crashEngine(): void;
  /** Read the status block now (called from an animation frame by the status badge). */
  pollStatus(): StatusSnapshot | null;
  /**
   * Read the machine's memory (machine.memory) with `read`, under the status block's seqlock when
   * it is shared; null when the engine stayed mid-update.
   */
  readMemory<T>(read: () => T): T | null;
}

/** A kernel object the user can select or hover; see src/store/selection.ts. */
export type SelTarget =
  | { kind: 'pfn'; pfn: number }
  | { kind: 'pte'; pid: number; level: 'pte' | 'pmd'; vaddr: number }
  | { kind: 'block'; block: number }
  | { kind: 'page'; ino: number; index: number }
  | { kind: 'extent'; ino: number; off: number }
  | { kind: 'file'; ino: number };

export interface SelectionSlice {
  /** The xa_node the user clicked (by engine id), or null. */
  selectedNode: number | null;
  selectNode(id: number | null): void;
  /** The object the user picked; every panel highlights it and what is related to it. */
  selected: SelTarget | null;
  /** The object under the pointer (or keyboard focus); highlighted while set. */
  hovered: SelTarget | null;
  /** Pick `t` (picking the selected object again clears the selection). */
  select(t: SelTarget | null): void;
  hover(t: SelTarget | null): void;
  /** Escape: forget the selection, the hover and the selected xa_node. */
  clearSelection(): void;
}

export type PanelId = 'xarray' | 'narration' | 'files' | 'pagetables' | 'callpath' | 'device' | 'structpage';
export interface PanelView {
  visible: boolean;
  collapsed: boolean;
  /** grid fraction: how much of the row this panel takes relative to the others */
  size: number;
}
export type Theme = 'light' | 'dark';

export interface PanelsSlice {
  panels: Record<PanelId, PanelView>;
  /** null: follow prefers-color-scheme */
  theme: Theme | null;
  setPanel(id: PanelId, patch: Partial<PanelView>): void;
  toggleCollapsed(id: PanelId): void;
  setTheme(t: Theme | null): void;
}

/** How the app is shown: null for the full app, or an embed's options (src/share/embed.ts). Fixed for a store's life. */
export interface EmbedSlice {
  embed: EmbedOptions | null;
}

export type SimState = ScenarioSlice & PlaybackSlice & TraceSlice & SelectionSlice & PanelsSlice & EmbedSlice & EditorSlice;
