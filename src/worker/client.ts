/**
 * The page's side of the engine worker: starts the module worker, connects with comlink, reads the
 * shared status block, and turns every way the worker can fail into one `onFailure` call.
 *
 * Conventions in this file:
 *   link     - an EngineLink, the page's handle on one worker. A dead worker's link is never reused:
 *              restarting means a new link (and a new worker).
 *   copy mode - no cross-origin isolation, hence no SharedArrayBuffer: the worker posts copies of its
 *              status instead, and `notice` says so and why.
 */
import { wrap, proxy, releaseProxy, type Remote } from 'comlink';
import type { EngineApi, RunResult, ScenarioSpec } from './protocol';
import { makeStatusBlock, readStatus, readStatusAfterDeath, readUnderSeqlock, type StatusSnapshot } from './status-block';

export interface EngineFailure {
  /** 'died': an uncaught error or a load failure ended the worker; 'threw': a call raised an error. */
  kind: 'died' | 'threw';
  message: string;
  /** The status block as the worker left it (null if it never connected). */
  status: (StatusSnapshot & { midUpdate: boolean }) | null;
}

export interface EngineEvents {
  onFailure(f: EngineFailure): void;
  /** Copy mode only: a status copy arrived. */
  onStatus?(s: StatusSnapshot): void;
}

/** The page's handle on an engine (a worker, or in unit tests an in-process session). */
export interface EngineLink {
  readonly mode: 'shared' | 'copy';
  /** Shown to the user when not null (copy mode says why memory is not shared). */
  readonly notice: string | null;
  run(spec: ScenarioSpec): Promise<RunResult>;
  /** A consistent status copy, or null while the engine is mid-update. */
  readStatus(): StatusSnapshot | null;
  /**
   * Runs `read` (which reads the machine's memory from a RunResult) under the status block's
   * seqlock, so it never sees an operation half done; null if the engine stayed busy. In copy mode
   * the buffers are private copies and `read` simply runs.
   */
  readMemory<T>(read: () => T): T | null;
  /** Fault injection: make the engine die mid-update. */
  crash(message: string): void;
  dispose(): void;
}

export type EngineFactory = (events: EngineEvents) => Promise<EngineLink>;

/** Starts the real module worker. */
export const startWorkerEngine: EngineFactory = async (events) => {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'dax-engine' });
  let dead = false;
  let block: Int32Array | null = null;
  let lastCopy: StatusSnapshot | null = null;
  const pending = new Set<(e: Error) => void>();

  const die = (message: string) => {
    if (dead) return;
    dead = true;
    worker.terminate();
    const err = new Error(message);
    for (const reject of pending) reject(err);
    pending.clear();
    const status = block ? readStatusAfterDeath(block) : lastCopy ? { ...lastCopy, midUpdate: false } : null;
    events.onFailure({ kind: 'died', message, status });
  };
  worker.addEventListener('error', (e: ErrorEvent) => {
    e.preventDefault();
    die(e.message ? `The engine worker stopped: ${e.message}` : 'The engine worker failed to load or stopped with an unknown error.');
  });
  worker.addEventListener('messageerror', () => die('The engine worker sent a message the page could not read.'));

  const api: Remote<EngineApi> = wrap<EngineApi>(worker);
  /** Races a call against the worker's death so no promise hangs forever. */
  const guard = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (dead) return reject(new Error('The engine worker is not running.'));
      pending.add(reject);
      p.then(resolve, reject).finally(() => pending.delete(reject));
    });

  const onStatus = proxy((s: StatusSnapshot) => {
    lastCopy = s;
    events.onStatus?.(s);
  });
  const hello = await guard(api.hello(onStatus));
  if (hello.status) block = makeStatusBlock(hello.status);
  const notice = hello.status
    ? null
    : `Running without shared memory. ${hello.copyReason ?? ''} The engine's status reaches the page as copied ` +
      'messages instead of a shared status block; the simulation is the same, the progress display is just less immediate.';

  return {
    mode: hello.status ? 'shared' : 'copy',
    notice,
    async run(spec) {
      try {
        return await guard(api.run(spec));
      } catch (e) {
        if (!dead) {
          const message = e instanceof Error ? e.message : String(e);
          events.onFailure({ kind: 'threw', message: `The engine threw: ${message}`, status: block ? readStatusAfterDeath(block) : null });
        }
        throw e;
      }
    },
    readStatus() {
      return block ? readStatus(block) : lastCopy;
    },
    readMemory<T>(read: () => T): T | null {
      return block ? readUnderSeqlock(block, read) : read();
    },
    crash(message) {
      void guard(api.crash(message)).catch(() => {});
    },
    dispose() {
      if (!dead) {
        dead = true;
        api[releaseProxy]();
        worker.terminate();
      }
    },
  };
};
