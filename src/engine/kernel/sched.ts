/**
 * Tasks, sleeping and waking: how the model shows one process waiting for another.
 *
 * Conventions in this file:
 *   task    - one simulated process running one operation (a system call or a CPU access).
 *   KGen<T> - a kernel path that may sleep is written as a generator: it `yield`s a Sleep when
 *             it must wait and is resumed when woken; `yield*` calls another such path.
 *   queue   - the name of what a sleeper waits for ("dax-entry:<ino>:<index>", "page:<pfn>", ...).
 *             It plays the part of a wait_queue_head_t (or a hashed wait table bucket).
 *   pause   - a preemption point a scenario can stop a task at, so that a second process can
 *             run into the first one's lock. Real kernels get there by timing; we get there on
 *             purpose, deterministically.
 *
 * What this model leaves out: real preemption, timers and signals interrupting sleeps; wake-ups
 * are exact (no spurious wake-ups), and runnable tasks run in FIFO order.
 */

/** What a sleeping kernel path is waiting for. */
export interface Sleep {
  queue: string;
  /** one sentence: why the task sleeps */
  why: string;
  /** 'pause' sleeps end only with an explicit resume */
  kind: 'wait' | 'pause';
}

export type KGen<T> = Generator<Sleep, T, void>;

/** Wrap a plain value as a kernel path that never sleeps. */
// eslint-disable-next-line require-yield
export function* kreturn<T>(v: T): KGen<T> {
  return v;
}

/** Run a kernel path that must not sleep (e.g. a benchmark or a path under a spinlock). */
export function runToEnd<T>(g: KGen<T>): T {
  const r = g.next();
  if (!r.done) throw new Error(`a non-sleeping path tried to sleep on ${r.value.queue}: ${r.value.why}`);
  return r.value;
}

export type TaskState = 'running' | 'sleeping' | 'paused' | 'runnable' | 'done';

export interface Task<T = unknown> {
  id: number;
  /** the process the task runs for (its name, e.g. "A") */
  who: string;
  /** the operation's name, for messages */
  what: string;
  gen: KGen<T>;
  state: TaskState;
  sleep: Sleep | null;
  result?: T;
  /** preemption points this task should stop at (by name) */
  pauseAt: Set<string>;
  /** the task's kernel call stack while it sleeps (saved by the scheduler) */
  ctx?: { stack: string[]; depth: number };
}
