/**
 * React access to the machine at the cursor and to the cross-panel highlight. One WorldTimeline
 * per trace is shared by every panel of the same store (cached by the steps array), so stepping
 * applies each step once however many panels read the world.
 */
import { useMemo } from 'react';
import type { Step } from '../../engine/trace/steps';
import { useSim, useSimShallow } from '../../store';
import type { SelTarget, SimState } from '../../store/types';
import { emptyHighlight, related, type Highlight } from './related';
import { WorldTimeline, type World } from './world';

const timelines = new WeakMap<readonly Step[], { key: unknown; tl: WorldTimeline }>();

/** The timeline for the store's current trace. */
export function timelineOf(s: Pick<SimState, 'steps' | 'opStarts' | 'machine'>): WorldTimeline {
  const key = s.machine;
  const hit = timelines.get(s.steps);
  if (hit && hit.key === key) return hit.tl;
  const tl = new WorldTimeline(s.steps, s.opStarts, s.machine?.keyframes ?? null, s.machine?.memory.pmemStartPfn);
  timelines.set(s.steps, { key, tl });
  return tl;
}

/** The machine at the cursor (null for a run without machine keyframes). */
export function useWorld(): World | null {
  const { steps, opStarts, machine } = useSimShallow((s) => ({ steps: s.steps, opStarts: s.opStarts, machine: s.machine }));
  const cursor = useSim((s) => s.cursor);
  return useMemo(() => (machine ? timelineOf({ steps, opStarts, machine }).at(cursor) : null), [steps, opStarts, machine, cursor]);
}

/** The hovered object if any, else the selected one. */
export function useFocusTarget(): SelTarget | null {
  const { hovered, selected } = useSimShallow((s) => ({ hovered: s.hovered, selected: s.selected }));
  return hovered ?? selected;
}

/** Nothing lit: one shared object, so that panels' memos keyed on the highlight hold while nothing is picked. */
const NOTHING: Highlight = emptyHighlight();

/** What every panel should light up now (treat it as read-only). */
export function useHighlight(world: World | null): Highlight {
  const target = useFocusTarget();
  return useMemo(() => (world && target ? related(target, world) : NOTHING), [target, world]);
}

/** Props that make an element pick and hover `t` (mouse and keyboard focus alike). */
export function usePickProps() {
  const { select, hover } = useSimShallow((s) => ({ select: s.select, hover: s.hover }));
  return useMemo(
    () => (t: SelTarget) => ({
      onClick: (e: { stopPropagation(): void }) => {
        e.stopPropagation();
        select(t);
      },
      onMouseEnter: () => hover(t),
      onMouseLeave: () => hover(null),
      onFocus: () => hover(t),
      onBlur: () => hover(null),
    }),
    [select, hover],
  );
}
