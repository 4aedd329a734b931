import type { ReactNode } from 'react';
import { useSimShallow } from '../store';

/**
 * What the user must know about the engine: running without shared memory (and why), or a worker
 * failure with the way back. The scenario is kept in the store, so a restart runs it again.
 */
export function Notices({ debug, children }: { debug: boolean; children?: ReactNode }) {
  const { notice, failure, restart, crashEngine, engineState } = useSimShallow((s) => ({
    notice: s.engineNotice,
    failure: s.failure,
    restart: s.restart,
    crashEngine: s.crashEngine,
    engineState: s.engineState,
  }));
  return (
    <div className="dv-notices">
      {children}
      {notice && (
        <div className="dv-notice" role="status" data-testid="copy-mode-notice">
          <p>{notice}</p>
        </div>
      )}
      {failure && (
        <div className="dv-notice" data-kind="error" role="alert" data-testid="engine-failure">
          <p>
            <strong>The simulation engine stopped.</strong> {failure.message}
            {failure.midUpdate ? ' It stopped in the middle of an operation; nothing from that operation is shown.' : ''}{' '}
            Your scenario is kept. Restarting runs it again in a new worker and returns to step {failure.lastGoodCursor}, the
            last step shown from a complete run.
          </p>
          <button type="button" onClick={() => void restart()} data-testid="restart-engine">
            Restart at last good step
          </button>
        </div>
      )}
      {debug && !failure && (
        <div className="dv-notice" data-testid="debug-tools">
          <p>Debug tools: fault injection for the engine worker.</p>
          <button type="button" onClick={crashEngine} disabled={engineState !== 'ready'} data-testid="crash-engine">
            Crash the engine worker
          </button>
        </div>
      )}
    </div>
  );
}
