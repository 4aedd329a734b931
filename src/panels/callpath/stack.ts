/**
 * The kernel call path at a cursor, from the trace's call/ret steps, per task: the task that is
 * running, and those asleep (an entry lock, a layout break) or stopped by the scenario, each
 * with the calls it is inside. Functions link to their source on elixir.bootlin.com.
 *
 * Conventions in this file:
 *   task   - a process running one operation ("kernel" when the op names no process). A task
 *            that sleeps keeps its stack; when it runs again its steps continue at its depth.
 *   frame  - one open call: the function, its arguments and the seq of its call step.
 *
 * The steps do not say which task a step belongs to; this follows the engine's scheduler: an
 * `op` step starts the op's task, `wait` sleep/wake steps name the task, and a step whose depth
 * does not fit the running stack belongs to the woken task whose saved stack it continues.
 */
import { formatValue } from '../../engine/trace/format';
import type { Json, Step } from '../../engine/trace/steps';
import { elixirTag, type KernelVersion } from '../../engine/version';

export interface Frame {
  fn: string;
  args: { [k: string]: Json };
  /** seq of the call step */
  seq: number;
}

export interface TaskStack {
  who: string;
  frames: Frame[];
  state: 'running' | 'sleeping' | 'runnable';
  /** the wait queue it sleeps on (entry lock, page, pause point) */
  on: string | null;
}

export interface CallPath {
  /** the task the step at the cursor belongs to (null before the first op or between tasks) */
  running: TaskStack | null;
  /** every other unfinished task, oldest first */
  others: TaskStack[];
}

interface ScanState {
  tasks: Map<string, TaskStack>;
  cur: string | null;
}

function expectedDepth(t: TaskStack, s: Step): number {
  return s.t === 'ret' ? t.frames.length - 1 : t.frames.length;
}

function fits(t: TaskStack, s: Step): boolean {
  if (expectedDepth(t, s) !== s.depth) return false;
  return s.t !== 'ret' || t.frames[t.frames.length - 1]?.fn === s.fn;
}

function scan(st: ScanState, s: Step): void {
  const { tasks } = st;
  if (s.t === 'op') {
    // Tasks that finished with the previous op are gone; sleepers stay.
    for (const [k, t] of tasks) if (t.state === 'running') tasks.delete(k);
    st.cur = null;
    if (s.name === 'resume') return;
    const who = typeof s.args.proc === 'string' ? s.args.proc : 'kernel';
    if (tasks.has(who)) return; // still asleep: the engine refuses the op
    tasks.set(who, { who, frames: [], state: 'running', on: null });
    st.cur = who;
    return;
  }
  if (s.t === 'wait') {
    const t = tasks.get(s.who);
    if (!t) return;
    if (s.action === 'sleep') {
      t.state = 'sleeping';
      t.on = s.on;
      if (st.cur === s.who) st.cur = null;
    } else {
      t.state = 'runnable';
      t.on = null;
    }
    return;
  }
  if (s.t !== 'call' && s.t !== 'ret' && s.depth === 0 && (st.cur === null || tasks.get(st.cur)?.frames.length === 0)) return;
  let cur = st.cur !== null ? tasks.get(st.cur) : undefined;
  if (!cur || !fits(cur, s)) {
    // A woken task continues where it slept.
    const next = [...tasks.values()].find((t) => t.state === 'runnable' && fits(t, s));
    if (next) {
      if (cur && cur.state === 'running' && cur.frames.length === 0 && cur !== next) tasks.delete(cur.who);
      next.state = 'running';
      st.cur = next.who;
      cur = next;
    }
  }
  if (!cur) return;
  if (s.t === 'call') cur.frames.push({ fn: s.fn, args: s.args, seq: s.seq });
  else if (s.t === 'ret') {
    const at = cur.frames.map((f) => f.fn).lastIndexOf(s.fn);
    if (at >= 0) cur.frames.length = at;
  }
}

function snapshot(st: ScanState): CallPath {
  const copy = (t: TaskStack): TaskStack => ({ ...t, frames: t.frames.slice() });
  const running = st.cur !== null && st.tasks.get(st.cur) ? copy(st.tasks.get(st.cur)!) : null;
  const others = [...st.tasks.values()].filter((t) => t.who !== st.cur && t.state !== 'running').map(copy);
  return { running, others };
}

function cloneScan(st: ScanState): ScanState {
  const tasks = new Map<string, TaskStack>();
  for (const [k, t] of st.tasks) tasks.set(k, { ...t, frames: t.frames.slice() });
  return { tasks, cur: st.cur };
}

/** Steps between two saved scan states (checkpoints). */
export const CHECKPOINT_EVERY = 512;

/**
 * Call paths at any cursor. Moving forward continues from the last answer; moving back restarts
 * from the checkpoint saved at or before the cursor (one every CHECKPOINT_EVERY steps, taken while
 * scanning forward), so a jump costs at most that many steps (the steps carry no task ids, so
 * there is no exact undo).
 */
export class CallPathTimeline {
  private st: ScanState = { tasks: new Map(), cur: null };
  private at = 0;
  /** checkpoints[i]: the scan state after i * CHECKPOINT_EVERY steps (read-only copies) */
  private readonly checkpoints: ScanState[] = [{ tasks: new Map(), cur: null }];

  constructor(
    private readonly steps: readonly Step[],
    /** steps between checkpoints */
    private readonly every: number = CHECKPOINT_EVERY,
  ) {}

  /** The call path after `cursor` steps: what is open while the step at cursor - 1 happens. */
  pathAt(cursor: number): CallPath {
    const c = Math.max(0, Math.min(this.steps.length, cursor));
    const every = this.every;
    if (c < this.at) {
      const i = Math.min(Math.floor(c / every), this.checkpoints.length - 1);
      this.st = cloneScan(this.checkpoints[i]);
      this.at = i * every;
    }
    for (; this.at < c; ) {
      scan(this.st, this.steps[this.at]);
      this.at++;
      if (this.at % every === 0 && this.checkpoints.length === this.at / every) this.checkpoints.push(cloneScan(this.st));
    }
    return snapshot(this.st);
  }
}

/** The call path after `cursor` steps (one-off). */
export function callPathAt(steps: readonly Step[], cursor: number): CallPath {
  return new CallPathTimeline(steps).pathAt(cursor);
}

/** How a frame links to the kernel source. */
export interface SourceLink {
  href: string;
  /** the identifier the link looks up */
  ident: string;
  title: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The elixir.bootlin.com page of a function for the modelled kernel, or null for simulator-only
 * names. "ops.method" (an iomap_ops table's method) links to the ops table, where the method's
 * function is named; names that are not C identifiers ("clwb+sfence": CPU instructions) get none.
 */
export function sourceLink(fn: string, version: KernelVersion): SourceLink | null {
  const tag = elixirTag(version);
  const url = (ident: string) => `https://elixir.bootlin.com/linux/${tag}/A/ident/${ident}`;
  if (IDENT.test(fn)) return { href: url(fn), ident: fn, title: `${fn} in Linux ${tag} (elixir.bootlin.com)` };
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(fn);
  if (m) return { href: url(m[1]), ident: m[1], title: `${m[1]} (the ops table whose ->${m[2]} runs here) in Linux ${tag}` };
  return null;
}

/** A short argument list: "ino=131, pgoff=1". */
export function formatArgs(args: { [k: string]: Json }): string {
  // Addresses and pfns in hex, as the kernel prints them (the same rule as the step log).
  return Object.entries(args)
    .map(([k, v]) => `${k}=${formatValue(v, k)}`)
    .join(', ');
}
