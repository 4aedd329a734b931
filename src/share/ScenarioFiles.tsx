import { useState } from 'react';
import { rememberChoice } from '../app/choose';
import { usePopover } from '../app/usePopover';
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
  const [input, setInput] = useState<HTMLInputElement | null>(null);
  const [problem, setProblemText] = useState<{ file: string; text: string } | null>(null);
  // The message is a small popover under Open…: Escape or a press elsewhere closes it.
  const pop = usePopover();
  const setProblem = (p: { file: string; text: string } | null) => {
    setProblemText(p);
    if (p) pop.setOpen(true);
    else pop.close();
  };

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
    const fail = (text: string) => setProblem({ file: file.name, text: `${text} Nothing was changed.` });
    if (file.size > MAX_SCENARIO_BYTES) {
      fail(`It is ${file.size.toLocaleString('en')} bytes; a scenario file is at most ${MAX_SCENARIO_BYTES.toLocaleString('en')}.`);
      return;
    }
    let contents: string;
    try {
      contents = await file.text();
    } catch (e) {
      fail(`It could not be read (${(e as Error).message}).`);
      return;
    }
    // NUL bytes or undecodable sequences: not text, whatever its name says.
    if (contents.includes('\u0000') || contents.includes('\uFFFD')) {
      fail(`It is not a text file: a scenario is text in the scenario language (${SCENARIO_EXT}) or the engine's JSON form (.json).`);
      return;
    }
    const r = specFromFile(file.name, contents);
    if ('errors' in r) {
      const e = r.errors[0];
      const more = r.errors.length > 1 ? ` (${r.errors.length - 1} more error${r.errors.length > 2 ? 's' : ''} after it.)` : '';
      fail(`Line ${e.line}, column ${e.column}: ${e.message}.${more}`);
      return;
    }
    rememberChoice(r.spec, false);
    void setScenario(r.spec);
  };

  return (
    <span className="dv-pop-anchor dv-files-buttons">
      <button type="button" ref={pop.triggerRef} onClick={() => input?.click()} title={`Open a scenario file (${SCENARIO_EXT} or .json)`} data-testid="open-file">
        Open…
      </button>
      <input
        ref={setInput}
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
      {problem && pop.open && (
        <div className="dv-popover dv-file-problem" role="alert" data-testid="file-problem" ref={pop.panelRef}>
          <div className="dv-pop-row">
            <strong>Could not open {problem.file}</strong>
            <button type="button" onClick={() => setProblem(null)} aria-label="Close this message">
              ✕
            </button>
          </div>
          <p>{problem.text}</p>
        </div>
      )}
    </span>
  );
}
