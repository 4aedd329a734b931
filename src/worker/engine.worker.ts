/**
 * The engine worker's entry point: wires a Session (src/worker/session.ts, all the engine glue) to
 * comlink and owns the status block. Nothing else lives here.
 */
import { expose, type Endpoint } from 'comlink';
import type { EngineApi, EngineHello } from './protocol';
import { Session } from './session';
import { makeStatusBlock, STATUS_INTS, StatusWriter, type StatusSnapshot } from './status-block';

const isolated = typeof crossOriginIsolated === 'boolean' ? crossOriginIsolated : false;
const canShare = typeof SharedArrayBuffer === 'function' && isolated;

let session: Session | null = null;

const api: EngineApi = {
  hello(onStatus: ((s: StatusSnapshot) => void) | null): EngineHello {
    const shared = canShare ? new SharedArrayBuffer(STATUS_INTS * 4) : null;
    const block = makeStatusBlock(shared ?? new ArrayBuffer(STATUS_INTS * 4));
    // In copy mode every completed update is posted; comlink turns the call into a message.
    const writer = new StatusWriter(block, shared ? null : (s) => void onStatus?.(s));
    // The machine's memory follows the status block: shared with the page, or copied once per run.
    session = new Session(writer, { memory: shared ? 'shared' : 'copy' });
    return {
      status: shared,
      crossOriginIsolated: isolated,
      copyReason: shared
        ? null
        : isolated
          ? 'SharedArrayBuffer is missing in this browser even though the page is cross-origin isolated.'
          : 'The page is not cross-origin isolated (the server sent no Cross-Origin-Opener-Policy / ' +
            'Cross-Origin-Embedder-Policy headers and the coi-serviceworker could not add them), so the ' +
            'browser hides SharedArrayBuffer.',
    };
  },
  run(spec) {
    if (!session) throw new Error('run() before hello()');
    return session.run(spec);
  },
  crash(message) {
    if (!session) throw new Error('crash() before hello()');
    session.beginCrash();
    // Thrown from a task of its own, outside comlink's call handling: the page gets an 'error' event.
    setTimeout(() => {
      throw new Error(message);
    }, 0);
  },
};

// The project's tsconfig types `self` as a Window; in a worker it is the worker's global scope.
expose(api, self as unknown as Endpoint);
