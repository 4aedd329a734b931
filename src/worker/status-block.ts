/**
 * The status block: a few 32-bit integers that the engine worker writes and the page reads, so the
 * page always knows whether the engine's state is consistent and how far a run has got.
 *
 * Conventions in this file:
 *   block    - an Int32Array of STATUS_INTS integers. With cross-origin isolation it is a view of a
 *              SharedArrayBuffer owned by the worker and shared with the page; without it, the
 *              worker keeps a private block and posts copies of it (see StatusWriter.publish).
 *   seq      - a seqlock counter: odd while the engine is in the middle of an operation, even when
 *              the engine's state is consistent. Writers bump it before and after each update.
 *   good     - "last good": the step and op counts of the last moment the engine was consistent.
 *              They are the last fields written before seq goes even again, so even a worker that
 *              died mid-operation leaves them describing a completed operation.
 *
 * Reading follows the seqlock rule: read seq, read the fields, read seq again; the copy is good only
 * if both reads are equal and even. Only Atomics touch the block, so no read is ever torn.
 */

/** Index of each field in the block. */
export const StatusField = {
  seq: 0,
  generation: 1,
  phase: 2,
  steps: 3,
  opsDone: 4,
  opsTotal: 5,
  goodSteps: 6,
  goodOps: 7,
} as const;

export const STATUS_INTS = 8;

/** What the engine is doing. Numbers are what the block holds. */
export const Phase = { idle: 0, running: 1, done: 2, failed: 3 } as const;
export type PhaseName = keyof typeof Phase;
const phaseNames: PhaseName[] = ['idle', 'running', 'done', 'failed'];

/** A consistent copy of the block. */
export interface StatusSnapshot {
  seq: number;
  /** How many runs the worker has completed or started since it began; each run's trace carries it. */
  generation: number;
  phase: PhaseName;
  /** Steps emitted so far in the current run. */
  steps: number;
  opsDone: number;
  opsTotal: number;
  goodSteps: number;
  goodOps: number;
}

export function phaseName(n: number): PhaseName {
  return phaseNames[n] ?? 'failed';
}

/** A fresh block over `buffer` (a SharedArrayBuffer or, in the fallback, a plain ArrayBuffer). */
export function makeStatusBlock(buffer: ArrayBufferLike = new ArrayBuffer(STATUS_INTS * 4)): Int32Array {
  return new Int32Array(buffer, 0, STATUS_INTS);
}

function copyFields(block: Int32Array, seq: number): StatusSnapshot {
  return {
    seq,
    generation: Atomics.load(block, StatusField.generation),
    phase: phaseName(Atomics.load(block, StatusField.phase)),
    steps: Atomics.load(block, StatusField.steps),
    opsDone: Atomics.load(block, StatusField.opsDone),
    opsTotal: Atomics.load(block, StatusField.opsTotal),
    goodSteps: Atomics.load(block, StatusField.goodSteps),
    goodOps: Atomics.load(block, StatusField.goodOps),
  };
}

/**
 * Reads a consistent copy of the block, or null when the writer is mid-update (seq odd) or changed
 * the block while we read, `tries` times in a row. The page calls it once per frame, so null just
 * means "draw what you drew last frame".
 */
export function readStatus(block: Int32Array, tries = 4): StatusSnapshot | null {
  for (let i = 0; i < tries; i++) {
    const s1 = Atomics.load(block, StatusField.seq);
    if (s1 & 1) continue;
    const snap = copyFields(block, s1);
    const s2 = Atomics.load(block, StatusField.seq);
    if (s1 === s2) return snap;
  }
  return null;
}

/**
 * Reads the block after its writer has died. The `good*` fields are trustworthy whatever `seq` says
 * (see the file comment); the other fields may describe a half-done operation, and `midUpdate`
 * says so.
 */
export function readStatusAfterDeath(block: Int32Array): StatusSnapshot & { midUpdate: boolean } {
  const seq = Atomics.load(block, StatusField.seq);
  return { ...copyFields(block, seq), midUpdate: (seq & 1) === 1 };
}

/** The writer side, used only by the worker's session. */
export class StatusWriter {
  readonly block: Int32Array;
  /** Called with a copy after every completed update (the copy channel when memory is not shared). */
  private readonly publish: ((s: StatusSnapshot) => void) | null;

  constructor(block: Int32Array, publish: ((s: StatusSnapshot) => void) | null = null) {
    this.block = block;
    this.publish = publish;
  }

  /** True between begin() and end(): the engine's state is not consistent. */
  get midUpdate(): boolean {
    return (Atomics.load(this.block, StatusField.seq) & 1) === 1;
  }

  /** Enter an update: seq becomes odd. */
  begin(): void {
    if (this.midUpdate) throw new Error('StatusWriter.begin() inside an update');
    Atomics.add(this.block, StatusField.seq, 1);
  }

  /** Set a field inside an update (only `steps`, `opsDone`, `opsTotal`, `phase`, `generation`). */
  set(field: 'generation' | 'steps' | 'opsDone' | 'opsTotal', value: number): void {
    if (!this.midUpdate) throw new Error(`StatusWriter.set(${field}) outside an update`);
    Atomics.store(this.block, StatusField[field], value);
  }

  setPhase(phase: PhaseName): void {
    if (!this.midUpdate) throw new Error('StatusWriter.setPhase() outside an update');
    Atomics.store(this.block, StatusField.phase, Phase[phase]);
  }

  /**
   * Leave an update. When `consistent`, the current counts become the last good ones (written last,
   * just before seq goes even).
   */
  end(consistent: boolean): void {
    if (!this.midUpdate) throw new Error('StatusWriter.end() outside an update');
    if (consistent) {
      Atomics.store(this.block, StatusField.goodSteps, Atomics.load(this.block, StatusField.steps));
      Atomics.store(this.block, StatusField.goodOps, Atomics.load(this.block, StatusField.opsDone));
    }
    Atomics.add(this.block, StatusField.seq, 1);
    if (this.publish) {
      const snap = readStatus(this.block);
      if (snap) this.publish(snap);
    }
  }

  /** begin(), `body`, end(consistent) in one call. */
  update(body: () => void, consistent = true): void {
    this.begin();
    body();
    this.end(consistent);
  }
}

/**
 * Runs `read` under the seqlock: only while seq is even, and again if seq changed during the read
 * (up to `tries` times). For reading the engine's shared memory (device and DRAM bytes) from the
 * page: a result is returned only if no operation ran while it was read. Null when the engine stayed
 * busy for every try.
 */
export function readUnderSeqlock<T>(block: Int32Array, read: () => T, tries = 4): T | null {
  for (let i = 0; i < tries; i++) {
    const s1 = Atomics.load(block, StatusField.seq);
    if (s1 & 1) continue;
    const v = read();
    if (Atomics.load(block, StatusField.seq) === s1) return v;
  }
  return null;
}
