import { useEffect, useState } from 'react';
import { SCENARIO_CHOICES, scenarioSummary } from '../scenarios';
import { ScenarioFiles } from '../share/ScenarioFiles';
import { ShareButton } from '../share/ShareButton';
import { EditorButton } from '../editor/EditorButton';
import { useSimShallow, useSimStore } from '../store';
import type { Theme } from '../store';
import { rememberChoice } from './choose';
import { Library } from './Library';

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
  const { title, name, setScenario, kernel } = useSimShallow((s) => ({
    title: s.scenario.title,
    name: s.scenario.name,
    setScenario: s.setScenario,
    kernel: s.scenario.kind === 'machine' ? (s.scenario.scenario.config?.kernel ?? 'modern') : null,
  }));
  // Machine scenarios model a kernel version; the XArray tour's traces came from Linux 6.12's lib/xarray.c.
  const modelText = kernel === null ? 'lib/xarray.c (6.12)' : kernel === 'modern' ? 'Linux 6.15+' : 'Linux 6.1';
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
          ? 'worker · shared memory'
          : 'worker · copies'
        : engineState === 'running'
          ? `running${progress ? `: ${progress}` : '…'}`
          : 'starting…';
  const engineTitle =
    engineMode === 'copy'
      ? 'The simulation runs in a Web Worker. This page is not cross-origin isolated, so it reads copies of the machine memory after each run.'
      : 'The simulation runs in a Web Worker; the page reads the machine memory (the pmem device, DRAM) directly from shared memory.';
  return (
    <header className="dv-header">
      <h1>DAX visualizer</h1>
      <Library />
      <label className="dv-chooser">
        <span className="dv-sr-only">Scenario</span>
        <select
          value={name}
          data-testid="scenario-chooser"
          title={scenarioSummary(name)}
          onChange={(e) => {
            const spec = SCENARIO_CHOICES.find((c) => c.name === e.target.value);
            if (!spec) return;
            rememberChoice(spec, true);
            void setScenario(spec);
          }}
        >
          {!SCENARIO_CHOICES.some((c) => c.name === name) && <option value={name}>{name === 'custom' ? 'my scenario' : name}</option>}
          {SCENARIO_CHOICES.map((c) => (
            <option key={c.name} value={c.name}>
              {c.kind === 'xarray' ? 'XArray tour' : c.name}
            </option>
          ))}
        </select>
      </label>
      <span className="dv-scenario-title" data-testid="scenario-title" title={title}>
        {title}
      </span>
      <div className="dv-badges">
        <span
          className="dv-badge"
          title="The kernel whose behaviour the engine models, on a simulated 64-bit x86 machine: 4 KiB pages, XArray nodes of 64 slots"
          data-testid="model-badge"
        >
          model: {modelText}
        </span>
        <span className="dv-badge" data-kind="engine" data-state={engineState} data-testid="engine-badge" title={engineTitle}>
          {engineText}
        </span>
        <ScenarioFiles />
        <EditorButton />
        <ShareButton />
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
