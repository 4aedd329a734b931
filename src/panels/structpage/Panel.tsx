/**
 * The struct page panel: the fields of the page inspected in the device panel and of the pages the
 * trace touched most recently, at the cursor. Fields the current step changed are highlighted with
 * their old value; fields changed earlier in the same operation are marked more quietly.
 *
 * The records come from the trace (keyframe + page steps, ../device/machine-view.ts).
 */
import { useMemo } from 'react';
import type { Json, Step } from '../../engine/trace/steps';
import { useSim, useSimShallow } from '../../store';
import { machineTimelineOf, structPageOf, type PageRecord } from '../device/machine-view';
import type { PanelProps } from '../types';
import { pagesToShow, FIELD_ORDER } from './select';
import './structpage.css';

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function show(field: string, v: Json | undefined, files: Map<number, string>): string {
  if (v === undefined) return '—';
  if (field === 'flags') return Array.isArray(v) && v.length ? v.join(' | ') : 'none';
  if (field === 'mapping' && typeof v === 'number') return files.has(v) ? `inode ${v} (${files.get(v)})` : `inode ${v}`;
  if (field === 'compound_head' && typeof v === 'number') return hex(v);
  if (v === null) return 'NULL';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function StructPagePanel(_props: PanelProps) {
  const { steps, opStarts, machine, inspectedPfn, select } = useSimShallow((s) => ({
    steps: s.steps,
    opStarts: s.opStarts,
    machine: s.machine,
    inspectedPfn: s.selected?.kind === 'pfn' ? s.selected.pfn : null,
    select: s.select,
  }));
  const cursor = useSim((s) => s.cursor);
  const timeline = useMemo(
    () => (machine ? machineTimelineOf(steps, opStarts, machine.keyframes, machine.memory.pmemStartPfn) : null),
    [machine, steps, opStarts],
  );
  const state = useMemo(() => (timeline ? timeline.stateAt(cursor) : null), [timeline, cursor]);
  if (!machine || !state) {
    return <p className="dv-sp-empty">Choose a DAX scenario to see struct pages.</p>;
  }
  const current: Step | undefined = cursor > 0 ? steps[cursor - 1] : undefined;
  const { pfns, recentFields } = pagesToShow(steps, cursor, inspectedPfn, 6);
  const files = new Map([...state.files].map(([ino, f]) => [ino, f.name]));
  const pmemStart = machine.memory.pmemStartPfn;

  return (
    <div className="dv-sp" data-testid="structpage">
      {pfns.length === 0 && <p className="dv-sp-empty">No struct page has changed yet. Click a page in the device panel to inspect it.</p>}
      {pfns.map((pfn) => {
        const rec: PageRecord | undefined = structPageOf(state, pfn);
        const where = pfn >= pmemStart ? `pmem page ${pfn - pmemStart}` : 'DRAM';
        const fields = FIELD_ORDER.filter((f) => (rec ? f in rec : f !== 'share'));
        return (
          <section key={pfn} className="dv-sp-page" data-pfn={pfn} data-testid={`structpage-${pfn}`} aria-current={pfn === inspectedPfn ? 'true' : undefined}>
            <h3>
              <span>pfn {hex(pfn)}</span>
              <span className="dv-sp-where">
                {where}
                {pfn === inspectedPfn ? ' · inspected' : ''}
              </span>
              {pfn === inspectedPfn && (
                <button type="button" onClick={() => select(null)} aria-label="Stop inspecting this page">
                  ×
                </button>
              )}
            </h3>
            <table>
              <tbody>
                {fields.map((f) => {
                  const now = current && current.t === 'page' && current.pfn === pfn && current.field === f;
                  const recent = !now && recentFields.has(`${pfn}:${f}`);
                  return (
                    <tr key={f} data-field={f} data-changed={now ? 'step' : recent ? 'op' : undefined}>
                      <th scope="row">{f}</th>
                      <td>
                        {show(f, rec ? rec[f] : f === 'flags' ? [] : f === 'mapping' || f === 'compound_head' ? null : 0, files)}
                        {now && current.t === 'page' && <span className="dv-sp-old"> (was {show(f, current.old, files)})</span>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        );
      })}
    </div>
  );
}
