import { useEffect, useState } from 'react';
import { useSim, useSimShallow, useSimStore } from '../store';
import type { Theme } from '../store';

/**
 * While a run is in progress, read the engine's status once per animation frame (the shared block,
 * or the last copy in copy mode) and say how far it has got. Between runs it costs nothing.
 */
function useRunProgress(running: boolean): string | null {
  const store = useSimStore();
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    if (!running) {
      setText(null);
      return;
    }
    let raf = 0;
    const tick = () => {
      const st = store.getState().pollStatus();
      // A null read means the engine is mid-operation: keep the last consistent text.
      if (st && st.phase === 'running') setText(`op ${st.opsDone}/${st.opsTotal}, ${st.steps} steps`);
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [running, store]);
  return text;
}

/** Title, scenario name, what is modelled, the engine's state, and the theme toggle. */
export function Header({ theme }: { theme: Theme }) {
  const title = useSim((s) => s.scenario.title);
  const { engineState, engineMode, setTheme } = useSimShallow((s) => ({
    engineState: s.engineState,
    engineMode: s.engineMode,
    setTheme: s.setTheme,
  }));
  const progress = useRunProgress(engineState === 'running');
  const engineText =
    engineState === 'failed'
      ? 'engine stopped'
      : engineState === 'ready'
        ? engineMode === 'shared'
          ? 'engine: worker, shared status'
          : 'engine: worker, copied status'
        : engineState === 'running'
          ? `engine running${progress ? `: ${progress}` : '…'}`
          : 'engine starting…';
  return (
    <header className="dv-header">
      <h1>DAX visualizer</h1>
      <span className="dv-scenario-title" data-testid="scenario-title">
        {title}
      </span>
      <div className="dv-badges">
        <span className="dv-badge" title="The kernel whose behaviour the engine models">
          model: Linux 6.12
        </span>
        <span className="dv-badge" title="The simulated machine: 64-bit x86, 4 KiB pages, XArray nodes of 64 slots">
          x86-64 · 4 KiB pages · 64-slot nodes
        </span>
        <span className="dv-badge" data-kind="engine" data-state={engineState} data-testid="engine-badge">
          {engineText}
        </span>
        <button
          type="button"
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          data-testid="theme-toggle"
        >
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </div>
    </header>
  );
}
