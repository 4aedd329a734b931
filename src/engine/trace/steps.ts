/**
 * The step stream: the contract between the engine and everything that shows it.
 *
 * Conventions in this file:
 *   step    - one fine-grained event of the simulated kernel, in the order it happened.
 *   op      - one top-level operation (a system call, a CPU load or store, a power failure);
 *             every step carries the number of the op it belongs to.
 *   depth   - the kernel call depth when the step was emitted (0 = the op itself).
 *   delta   - every step that changes state says what the state was and what it became, so a
 *             viewer can rebuild any moment from the steps alone (and walk backwards by undoing).
 *
 * The schema is documented for humans in docs/trace-format.md; TRACE_VERSION changes whenever
 * a step kind or field changes meaning, and the goldens are updated in the same commit.
 */

export const TRACE_VERSION = 2;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** How a step names an XArray entry. Pointers to pages are named by the page's PFN. */
export type EntryRef =
  | null
  | { value: number }
  | { node: number }
  | { sibling: number }
  | { internal: 'retry' | 'zero' }
  | { page: number }
  | { pointer: string };

/** The kinds of step, as a discriminated union on `t`. */
export type StepBody =
  /** A top-level operation begins: a system call, a CPU access, an event such as a crash. */
  | { t: 'op'; name: string; args: { [k: string]: Json } }
  /** A kernel function is entered. */
  | { t: 'call'; fn: string; args: { [k: string]: Json } }
  /** A kernel function returns. */
  | { t: 'ret'; fn: string; result: Json }
  /** One of the kernel's tracepoints fired (fs_dax events and friends). */
  | { t: 'tp'; name: string; fields: { [k: string]: Json } }
  /** The kernel would print a WARN_ON_ONCE splat here. Never an exception. */
  | { t: 'warn'; fn: string; cond: string }
  /** An xa_node was allocated or freed. `parent` is null for the root. */
  | { t: 'xa_node'; xa: string; action: 'alloc' | 'free'; node: number; shift: number; parent: number | null; offset: number }
  /** A slot changed. `node` null means the array's head pointer (offset 0). */
  | { t: 'xa_slot'; xa: string; node: number | null; offset: number; old: EntryRef; new: EntryRef }
  /** A mark bit changed. `node` null means the array-level flag (XA_FLAGS_MARK). */
  | { t: 'xa_mark'; xa: string; node: number | null; offset: number; mark: number; set: boolean }
  /** A struct page field changed. */
  | { t: 'page'; pfn: number; field: string; old: Json; new: Json }
  /** Device blocks were allocated from or returned to the filesystem's free space. */
  | { t: 'blk'; action: 'alloc' | 'free'; start: number; len: number }
  /** A block's reference count (shared extents) changed. */
  | { t: 'refcount'; block: number; len: number; old: number; new: number }
  /** An inode's extent list changed; `old` and `new` are whole lists (they are short). */
  | { t: 'extents'; ino: number; old: ExtentRef[]; new: ExtentRef[] }
  /** An inode field changed (size, nlink, flags). */
  | { t: 'inode'; ino: number; field: string; old: Json; new: Json }
  /** A cache line of the device was dirtied in the CPU cache, flushed to media, or lost. */
  | { t: 'cache'; action: 'dirty' | 'flush' | 'discard' | 'drain'; addr: number; len: number }
  /** Bytes reached the device's media directly (a cache-bypassing copy). */
  | { t: 'media'; addr: number; len: number }
  /** A device page's media became poisoned: an uncorrectable error (device page index). */
  | { t: 'poison'; page: number }
  /** A DRAM page was allocated or freed (page cache, anonymous, CoW, zero pages). */
  | { t: 'dram'; action: 'alloc' | 'free'; pfn: number; use: string }
  /** A page-table entry changed. */
  | { t: 'pte'; pid: number; vaddr: number; level: 'pte' | 'pmd'; old: PteRef | null; new: PteRef | null }
  /** A VMA was created, removed or changed. */
  | { t: 'vma'; pid: number; action: 'add' | 'remove' | 'change'; start: number; end: number; old: Json; new: Json }
  /** A task has to sleep (entry lock, layout break) or is woken. */
  | { t: 'wait'; who: string; on: string; action: 'sleep' | 'wake' }
  /** A signal is delivered to a process. */
  | { t: 'signal'; pid: number; sig: 'SIGBUS' | 'SIGSEGV'; addr: number; why: string }
  /** Narration only: nothing changes. */
  | { t: 'note' };

export interface ExtentRef {
  /** first file block (4 KiB units) */
  off: number;
  /** device block the extent starts at */
  block: number;
  len: number;
  state: 'written' | 'unwritten';
}

export interface PteRef {
  pfn: number;
  present: boolean;
  write: boolean;
  dirty: boolean;
  huge: boolean;
  /** pte_special / devmap-style entry with no refcount (zero page, legacy DAX) */
  special: boolean;
  /** points at an anonymous page (a MAP_PRIVATE copy), not at the file's page */
  anon: boolean;
}

export type StepKind = StepBody['t'];

/** A step as it appears in the stream. */
export type Step = StepBody & {
  /** position in the whole stream, from 0 */
  seq: number;
  /** which top-level operation this belongs to, from 0 (-1 before the first op) */
  op: number;
  /** kernel call depth */
  depth: number;
  /** the task (one process's operation) that emitted it; 0 outside any task */
  task: number;
  /** one sentence that says what happened and why */
  text: string;
};

/**
 * Collects steps. Every engine component holds the machine's Tracer and emits through it.
 * Hot paths check `on` first so that an untraced run (benchmarks, property tests) allocates
 * nothing for steps.
 */
/** The step kinds muteCalls() drops: everything that is not a change of state. */
const MUTED_KINDS: ReadonlySet<string> = new Set(['call', 'ret', 'tp', 'warn', 'note']);

export class Tracer {
  readonly steps: Step[] = [];
  /** When false, emit() does nothing; components test it before building a step. */
  on: boolean;
  private depth = 0;
  private opIndex = -1;
  /** Set by the scheduler to the running task's id (0 = none). */
  task = 0;
  private listeners: ((s: Step) => void)[] = [];
  private stack: string[] = [];
  /** > 0 inside muteCalls(): only state changes are emitted. */
  private muted = 0;
  /** Inside muteCalls(): rewrites each state change's text, or null to keep it. */
  private retext: ((body: StepBody, text: string) => string) | null = null;

  constructor(on = true) {
    this.on = on;
  }

  /** Number of the current top-level operation (-1 before the first). */
  get currentOp(): number {
    return this.opIndex;
  }

  /** The kernel call stack at this moment, outermost first. */
  get callStack(): readonly string[] {
    return this.stack;
  }

  /**
   * The call stack and depth of the running task. A task that sleeps keeps its own; the
   * scheduler saves it here and restores it when the task runs again.
   */
  saveContext(): { stack: string[]; depth: number } {
    return { stack: [...this.stack], depth: this.depth };
  }

  restoreContext(ctx: { stack: string[]; depth: number }): void {
    this.stack = [...ctx.stack];
    this.depth = ctx.depth;
  }

  subscribe(fn: (s: Step) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  emit(body: StepBody, text: string): void {
    if (!this.on) return;
    if (this.muted > 0) {
      if (MUTED_KINDS.has(body.t)) return;
      if (this.retext) text = this.retext(body, text);
    }
    const step = { ...body, seq: this.steps.length, op: this.opIndex, depth: this.depth, task: this.task, text } as Step;
    this.steps.push(step);
    for (const l of this.listeners) l(step);
  }

  /** Start a top-level operation. Resets the call depth. */
  beginOp(name: string, args: { [k: string]: Json }, text: string): void {
    this.opIndex++;
    this.depth = 0;
    this.stack = [];
    this.emit({ t: 'op', name, args }, text);
  }

  /** Start a top-level operation without emitting anything (tracing is off). */
  skipOp(): void {
    this.opIndex++;
    this.depth = 0;
    this.stack = [];
  }

  /** A kernel function is entered: emits a call step and deepens the call depth. */
  enter(fn: string, args: { [k: string]: Json }, text: string): void {
    if (this.muted > 0) return;
    this.emit({ t: 'call', fn, args }, text);
    this.depth++;
    this.stack.push(fn);
  }

  /** A kernel function returns: emits a ret step. `fn` must be the innermost open call. */
  leave(fn: string, result: Json, text: string): void {
    if (this.muted > 0) return;
    const top = this.stack.pop();
    if (top !== fn) throw new Error(`Tracer.leave(${fn}) but the innermost call is ${top ?? 'none'}`);
    this.depth--;
    this.emit({ t: 'ret', fn, result }, text);
  }

  /**
   * Run `body` emitting only its state changes: no call, ret, tracepoint, warning or note steps.
   * For work the simulator does that no kernel code does, such as forgetting everything in DRAM
   * at a power failure: the state changes must still be steps (a viewer replays them), but a
   * call path through kernel functions would be a lie. `retext` rewrites each state change's
   * sentence (whose usual wording names the kernel function that makes it).
   */
  muteCalls<T>(body: () => T, retext: ((body: StepBody, text: string) => string) | null = null): T {
    const outer = this.retext;
    this.muted++;
    this.retext = retext ?? outer;
    try {
      return body();
    } finally {
      this.muted--;
      this.retext = outer;
    }
  }

  /**
   * Run `body` as kernel function `fn`: call step, body, ret step. The ret step's result is
   * `describe(result)`; the ret text is `done(result)` when given. `args` and `text` may be
   * functions, so an untraced run does not build them.
   */
  call<T>(
    fn: string,
    args: { [k: string]: Json } | (() => { [k: string]: Json }),
    text: string | (() => string),
    body: () => T,
    describe: (r: T) => Json = defaultDescribe,
    done?: (r: T) => string,
  ): T {
    if (!this.on) return body();
    this.enter(fn, typeof args === 'function' ? args() : args, typeof text === 'function' ? text() : text);
    let r: T;
    try {
      r = body();
    } catch (e) {
      // Keep the stack balanced so a caught engine error does not corrupt later steps.
      while (this.stack.length && this.stack[this.stack.length - 1] !== fn) this.stack.pop();
      if (this.stack.length) {
        this.stack.pop();
        this.depth = this.stack.length;
      }
      throw e;
    }
    this.leave(fn, describe(r), done ? done(r) : `${fn} returns ${formatJson(describe(r))}.`);
    return r;
  }
}

function defaultDescribe(r: unknown): Json {
  if (r === undefined || r === null) return null;
  if (typeof r === 'number' || typeof r === 'string' || typeof r === 'boolean') return r;
  if (typeof r === 'object' && r !== null && 'errno' in r) return `-${String((r as { errno: string }).errno)}`;
  if (Array.isArray(r) || (typeof r === 'object' && r !== null && Object.getPrototypeOf(r) === Object.prototype)) return r as Json;
  return String(r);
}

/** Keys whose numbers are addresses, page frame numbers or byte offsets: printed in hex. */
const HEX_KEYS = new Set(['addr', 'address', 'vaddr', 'pfn', 'offset', 'dev']);
/**
 * Keys printed in hex from one page (4096) up: byte lengths, and range bounds, which the engine
 * also uses for block numbers ({start: 512, len: 1} is a block run, kept in the decimal that
 * extent lists use); an address bound is always far above 4096.
 */
const BIG_KEYS = new Set(['length', 'len', 'start', 'end']);
/** A string that reads unambiguously without quotes inside a list or record (a name, a flag set). */
const PLAIN = /^[A-Za-z0-9_.|:/+-]+$/;

function formatNumber(n: number, key: string | null): string {
  if (!Number.isInteger(n) || n <= 0 || key === null) return String(n);
  if (HEX_KEYS.has(key) || (BIG_KEYS.has(key) && n >= 4096)) return hex(n);
  return String(n);
}

function formatValue(j: Json, key: string | null, top: boolean): string {
  if (j === null) return top ? 'nothing' : 'none';
  if (typeof j === 'string') return top || PLAIN.test(j) ? j : JSON.stringify(j);
  if (typeof j === 'number') return formatNumber(j, key);
  if (typeof j === 'boolean') return String(j);
  if (Array.isArray(j)) return `[${j.map((x) => formatValue(x, key, false)).join(', ')}]`;
  const keys = Object.keys(j);
  // An error as the engine reports it ({errno, code, why}): the way the kernel returns it, then why.
  if (typeof j.errno === 'string' && keys.every((k) => k === 'errno' || k === 'code' || k === 'why'))
    return typeof j.why === 'string' && j.why ? `-${j.errno} (${j.why})` : `-${j.errno}`;
  return `{${keys.map((k) => `${k}: ${formatValue(j[k], k, false)}`).join(', ')}}`;
}

/**
 * A JSON value as step text reads it: a string as is, null as "nothing", records and lists
 * without JSON's quotes (`{addr: 0x200000, type: HOLE}`), numbers that name addresses, pfns,
 * offsets, or byte lengths and range bounds of a page or more in hex (0 and negative ones, such
 * as -1 for "no address", stay decimal), and an engine error as `-ERRNO (why)`. Deterministic:
 * keys keep their order.
 */
export function formatJson(j: Json): string {
  return formatValue(j, null, true);
}

/** Hexadecimal with 0x, as the kernel prints addresses and pfns. */
export function hex(n: number): string {
  return '0x' + n.toString(16);
}
