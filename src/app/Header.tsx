import { useSim, useSimShallow } from '../store';
import type { Theme } from '../store';

/** Title, scenario name, what is modelled, the engine's state, and the theme toggle. */
export function Header({ theme }: { theme: Theme }) {
  const title = useSim((s) => s.scenario.title);
  const { engineState, engineMode, setTheme } = useSimShallow((s) => ({
    engineState: s.engineState,
    engineMode: s.engineMode,
    setTheme: s.setTheme,
  }));
  const engineText =
    engineState === 'failed'
      ? 'engine stopped'
      : engineState === 'ready'
        ? engineMode === 'shared'
          ? 'engine: worker, shared status'
          : 'engine: worker, copied status'
        : engineState === 'running'
          ? 'engine running…'
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
          x86-64 · 4 KiB pages · XA_CHUNK_SHIFT 6
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
