import { useRef, useState } from 'react';
import { rememberChoice } from '../app/choose';
import { SCENARIO_EXT } from '../engine/lang';
import { MAX_SCENARIO_BYTES, specFromFile } from '../scenarios/custom';
import { useSim, useSimStore } from '../store';
import { sourceText } from '../editor/source';

/**
 * "Save" writes the scenario shown to a `.scn` file (the scenario language, with its narration and
 * chapters); "Open" reads a `.scn` (or the engine's `.json`) file and runs it. A file that does not
 * parse changes nothing: the message says where and why.
 */
export function ScenarioFiles() {
  const store = useSimStore();
  const kind = useSim((s) => s.scenario.kind);
  const setScenario = useSim((s) => s.setScenario);
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const save = () => {
    const st = store.getState();
    const text = sourceText(st.scenario);
    if (text === null) return;
    const blob = new Blob([text.endsWith('\n') ? text : text + '\n'], { type: 'text/plain;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${st.scenario.name || 'scenario'}${SCENARIO_EXT}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const open = async (file: File) => {
    setProblem(null);
    if (file.size > MAX_SCENARIO_BYTES) {
      setProblem(`${file.name} is ${file.size.toLocaleString('en')} bytes; a scenario file is at most ${MAX_SCENARIO_BYTES.toLocaleString('en')}. Nothing was changed.`);
      return;
    }
    let contents: string;
    try {
      contents = await file.text();
    } catch (e) {
      setProblem(`${file.name} could not be read (${(e as Error).message}). Nothing was changed.`);
      return;
    }
    const r = specFromFile(file.name, contents);
    if ('errors' in r) {
      const e = r.errors[0];
      const more = r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : '';
      setProblem(`${file.name}, line ${e.line}, column ${e.column}: ${e.message}${more}. Nothing was changed.`);
      return;
    }
    rememberChoice(r.spec, false);
    void setScenario(r.spec);
  };

  return (
    <span className="dv-pop-anchor dv-files-buttons">
      <button type="button" onClick={() => input.current?.click()} title={`Open a scenario file (${SCENARIO_EXT} or .json)`} data-testid="open-file">
        Open…
      </button>
      <input
        ref={input}
        type="file"
        accept={`${SCENARIO_EXT},.json,.txt,text/plain,application/json`}
        hidden
        data-testid="open-file-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void open(f);
        }}
      />
      <button type="button" onClick={save} disabled={kind !== 'machine'} title={`Save this scenario as a ${SCENARIO_EXT} file`} data-testid="save-file">
        Save
      </button>
      {problem && (
        <div className="dv-popover" role="alert" data-testid="file-problem">
          <div className="dv-pop-row">
            <span>{problem}</span>
            <button type="button" onClick={() => setProblem(null)} aria-label="Close this message">
              ✕
            </button>
          </div>
        </div>
      )}
    </span>
  );
}
