/**
 * Call path: the kernel functions open at the cursor, outermost first, for the task the current
 * step belongs to, and the stacks of tasks that sleep (an entry lock, a layout break) or were
 * stopped by the scenario. Each function links to its source on elixir.bootlin.com for the
 * modelled kernel version; simulator-only names link to their ops table or not at all.
 */
import { useMemo } from 'react';
import { useSim, useSimShallow } from '../../store';
import '../highlight/highlight.css';
import { timelineOf } from '../highlight/hooks';
import type { PanelProps } from '../types';
import { CallPathTimeline, formatArgs, sourceLink, type TaskStack } from './stack';
import { elixirTag, type KernelVersion } from '../../engine/version';

const timelines = new WeakMap<object, CallPathTimeline>();

function Stack({ t, version, current }: { t: TaskStack; version: KernelVersion; current: boolean }) {
  return (
    <ol aria-label={`call stack of ${t.who}`} data-testid={current ? 'callpath-current' : 'callpath-other'}>
      {t.frames.map((f, i) => {
        const link = sourceLink(f.fn, version);
        const last = current && i === t.frames.length - 1;
        return (
          <li key={f.seq} style={{ ['--depth' as string]: Math.min(i, 12) }} aria-current={last ? 'step' : undefined} data-fn={f.fn} title={`${f.fn}(${formatArgs(f.args)})`}>
            {i > 0 ? '↳ ' : ''}
            {link ? (
              <a href={link.href} target="_blank" rel="noopener noreferrer" title={link.title}>
                {f.fn}
              </a>
            ) : (
              <span title="a simulator step with no kernel identifier of its own">{f.fn}</span>
            )}
            <span className="dv-args">({formatArgs(f.args)})</span>
          </li>
        );
      })}
    </ol>
  );
}

export function CallPathPanel(_props: PanelProps) {
  const { steps, opStarts, machine } = useSimShallow((s) => ({ steps: s.steps, opStarts: s.opStarts, machine: s.machine }));
  const cursor = useSim((s) => s.cursor);
  const version: KernelVersion = machine ? timelineOf({ steps, opStarts, machine }).version : 'modern';
  const path = useMemo(() => {
    let tl = timelines.get(steps);
    if (!tl) {
      tl = new CallPathTimeline(steps);
      timelines.set(steps, tl);
    }
    return tl.pathAt(cursor);
  }, [steps, cursor]);
  const run = path.running;
  return (
    <div className="dv-cp" data-testid="callpath-panel">
      <h3>{run ? run.who : cursor === 0 ? 'Before the first step' : 'No task is running (between tasks)'}</h3>
      {run && run.frames.length === 0 && (
        <p className="dv-cp-idle" data-testid="callpath-idle">
          No kernel function is running at this step: the operation itself (the system call or CPU access) is at work.
        </p>
      )}
      {run && run.frames.length > 0 && <Stack t={run} version={version} current />}
      {path.others.map((t) => (
        <section key={t.who}>
          <h3>
            {t.who} {t.state === 'sleeping' ? `sleeps on ${t.on ?? '?'}` : 'is woken, waiting to run'}
          </h3>
          <Stack t={t} version={version} current={false} />
        </section>
      ))}
      <p className="dv-meta">Links open the modelled kernel ({elixirTag(version)}) on elixir.bootlin.com in a new tab.</p>
    </div>
  );
}
