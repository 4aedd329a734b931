/**
 * The panel grid: two rows of panels (PanelDef.row); in each row the visible panels sit side by side,
 * each with a collapse button, separated by resize handles (drag, or focus one and use the arrow
 * keys). Sizes are grid fractions kept in the store, relative to the other panels of the same row.
 */
import { Fragment, useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { PANELS } from '../panels/registry';
import { trackDrag } from './drag';
import type { PanelDef } from '../panels/types';
import { useSimShallow, useSimStore, type PanelId } from '../store';

const COLLAPSED_WIDTH = '34px';

export function PanelGrid({ reducedMotion }: { reducedMotion: boolean }) {
  const visible = useSimShallow((s) => PANELS.filter((p) => s.panels[p.id].visible).map((p) => p.id));
  // A row whose panels are all hidden (an embed that asked for a few panels) takes no room.
  const rows = [0, 1].map((r) => PANELS.filter((p) => (p.row ?? 0) === r)).filter((r) => r.some((p) => visible.includes(p.id)));
  return (
    <div className="dv-grid-rows" data-testid="panel-grid">
      {rows.map((defs, i) => (
        <PanelRow key={i} defs={defs} reducedMotion={reducedMotion} row={i} />
      ))}
    </div>
  );
}

function PanelRow({ defs, reducedMotion, row }: { defs: readonly PanelDef[]; reducedMotion: boolean; row: number }) {
  const store = useSimStore();
  const { panels, toggleCollapsed, setPanel } = useSimShallow((s) => ({
    panels: s.panels,
    toggleCollapsed: s.toggleCollapsed,
    setPanel: s.setPanel,
  }));
  const gridRef = useRef<HTMLDivElement>(null);
  const shown = defs.filter((p) => panels[p.id].visible);

  const columns = shown
    .map((p, i) => {
      const v = panels[p.id];
      const col = v.collapsed ? COLLAPSED_WIDTH : `minmax(${p.minWidth ?? 0}px, ${v.size}fr)`;
      return i === 0 ? col : `12px ${col}`;
    })
    .join(' ');

  /** Move `delta` fractions from the right panel to the left one. */
  const shiftSize = (left: PanelId, right: PanelId, delta: number) => {
    const p = store.getState().panels;
    const total = p[left].size + p[right].size;
    const l = Math.max(0.5, Math.min(total - 0.5, p[left].size + delta));
    setPanel(left, { size: l });
    setPanel(right, { size: total - l });
  };

  const startDrag = (left: PanelId, right: PanelId) => (e: PointerEvent<HTMLDivElement>) => {
    const grid = gridRef.current;
    if (!grid) return;
    e.preventDefault();
    const p = store.getState().panels;
    const fr = shown.filter((s) => !panels[s.id].collapsed).reduce((a, s) => a + p[s.id].size, 0);
    const pxPerFr = grid.clientWidth / Math.max(fr, 1e-6);
    let lastX = e.clientX;
    trackDrag(e.currentTarget, e.pointerId, (ev) => {
      const dx = ev.clientX - lastX;
      lastX = ev.clientX;
      shiftSize(left, right, dx / pxPerFr);
    });
  };

  const keyResize = (left: PanelId, right: PanelId) => (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    // The separator owns the arrows while focused; they must not also step the simulation.
    e.preventDefault();
    e.stopPropagation();
    shiftSize(left, right, e.key === 'ArrowLeft' ? -0.1 : 0.1);
  };

  return (
    <div className="dv-grid" ref={gridRef} style={{ gridTemplateColumns: columns }} data-row={row} data-testid={`panel-row-${row}`}>
      {shown.map((p, i) => {
        const v = panels[p.id];
        const prev = shown[i - 1];
        const canResize = prev && !v.collapsed && !panels[prev.id].collapsed;
        return (
          <Fragment key={p.id}>
            {i > 0 &&
              (canResize ? (
                <div
                  className="dv-resizer"
                  role="separator"
                  aria-orientation="vertical"
                  aria-label={`Resize ${prev.title} and ${p.title}`}
                  aria-valuenow={Math.round((panels[prev.id].size / (panels[prev.id].size + v.size)) * 100)}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  tabIndex={0}
                  onPointerDown={startDrag(prev.id, p.id)}
                  onKeyDown={keyResize(prev.id, p.id)}
                  data-testid={`resize-${prev.id}-${p.id}`}
                />
              ) : (
                <div />
              ))}
            <section className="dv-panel" data-collapsed={v.collapsed} data-panel={p.id} aria-label={p.title}>
              <header>
                <h2>{p.title}</h2>
                <button
                  type="button"
                  onClick={() => toggleCollapsed(p.id)}
                  aria-expanded={!v.collapsed}
                  aria-label={`${v.collapsed ? 'Expand' : 'Collapse'} ${p.title}`}
                  data-testid={`collapse-${p.id}`}
                >
                  {v.collapsed ? '▸' : '▾'}
                </button>
              </header>
              <div className="dv-panel-body">{!v.collapsed && <p.Component reducedMotion={reducedMotion} />}</div>
            </section>
          </Fragment>
        );
      })}
    </div>
  );
}
