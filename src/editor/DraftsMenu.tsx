/**
 * The editor toolbar's "Drafts (n)" button and its popover: the put-aside drafts, newest first, each
 * named by its title, the time it was put aside and its first operation line. The popover is
 * placed with `position: fixed` under the button (kept inside the window), so the pane's narrow,
 * clipped box does not cut it. It closes on Escape (focus goes back to the button), on a click
 * outside, on a window resize or scroll, and when a draft is chosen.
 */
import { useEffect, useId, useLayoutEffect, useState, type KeyboardEvent } from 'react';
import { usePopover } from '../app/usePopover';
import { draftSummary, formatSavedAt, type Draft } from './persistence';

/** The popover's width in CSS pixels (less on a window too narrow for it). */
export const DRAFTS_MENU_WIDTH = 360;
const MARGIN = 8;

interface Place {
  left: number;
  top: number;
  width: number;
  maxHeight: number;
}

/** Where the popover goes for a button at `r` in a `vw` x `vh` window: under it, right edges aligned, inside the window. */
export function placeDraftsMenu(r: Pick<DOMRect, 'left' | 'right' | 'bottom'>, vw: number, vh: number): Place {
  const width = Math.max(Math.min(DRAFTS_MENU_WIDTH, vw - 2 * MARGIN), 0);
  const left = Math.max(MARGIN, Math.min(r.right - width, vw - width - MARGIN));
  const top = r.bottom + 4;
  return { left, top, width, maxHeight: Math.max(vh - top - MARGIN, 120) };
}

export function DraftsMenu({
  drafts,
  baseTitle,
  onRestore,
}: {
  drafts: readonly Draft[];
  /** a scenario's title from its name, for drafts without a `# ` line */
  baseTitle: (name: string) => string | null;
  /** bring back draft `index`; the menu closes first */
  onRestore: (index: number) => void;
}) {
  // Escape from anywhere and a press outside close it (src/app/usePopover.ts); so do a resize and
  // a scroll, which would leave it away from its button.
  const { open, setOpen, close, triggerRef: buttonRef, panelRef: popRef } = usePopover();
  const [place, setPlace] = useState<Place | null>(null);
  const id = useId();

  // Placed before paint, then the first draft takes the focus.
  useLayoutEffect(() => {
    if (!open || !buttonRef.current) return;
    setPlace(placeDraftsMenu(buttonRef.current.getBoundingClientRect(), innerWidth, innerHeight));
  }, [open, buttonRef]);
  useEffect(() => {
    if (open && place) popRef.current?.querySelector('button')?.focus();
  }, [open, place, popRef]);

  useEffect(() => {
    if (!open) return;
    const away = (e: Event) => {
      if (e.type === 'scroll' && e.target instanceof Node && popRef.current?.contains(e.target)) return;
      setOpen(false);
    };
    addEventListener('resize', away);
    document.addEventListener('scroll', away, true);
    return () => {
      removeEventListener('resize', away);
      document.removeEventListener('scroll', away, true);
    };
  }, [open, setOpen, popRef]);

  // The transport's keys (Space, arrows, E) must not act while the menu has the focus.
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    e.stopPropagation();
    const items = [...(popRef.current?.querySelectorAll('button') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number) => items[(i + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      go(at + 1);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      go(at - 1);
    } else if (e.key === 'Home') {
      e.preventDefault();
      go(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      go(items.length - 1);
    } else if (e.key === 'Tab') {
      // Leaving the menu closes it; the focus moves on as usual.
      setOpen(false);
    }
  };

  return (
    <div className="dv-editor-drafts" data-testid="editor-drafts">
      <button
        type="button"
        ref={buttonRef}
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => (open ? close() : setOpen(true))}
        title="Drafts put aside by switching scenario, Reset or bringing back another draft"
        data-testid="editor-drafts-toggle"
      >
        Drafts ({drafts.length})
      </button>
      {open && (
        <div
          className="dv-editor-drafts-pop"
          id={id}
          ref={popRef}
          role="group"
          aria-label="Put-aside drafts"
          style={place ? { left: place.left, top: place.top, width: place.width, maxHeight: place.maxHeight } : { visibility: 'hidden' }}
          onKeyDown={onKeyDown}
          data-testid="editor-drafts-list"
        >
          <p className="dv-editor-drafts-head">Put-aside drafts, newest first</p>
          <ul>
            {drafts.map((d, i) => {
              const sum = draftSummary(d, baseTitle);
              return (
                <li key={`${d.savedAt}-${i}`}>
                  <button
                    type="button"
                    onClick={() => {
                      close(false);
                      onRestore(i);
                    }}
                    title={d.text.slice(0, 400)}
                  >
                    <span className="dv-editor-draft-top">
                      <span className="dv-editor-draft-name">{sum.title}</span>
                      <span className="dv-editor-draft-time">{formatSavedAt(d.savedAt)}</span>
                    </span>
                    <span className="dv-editor-draft-op">{sum.firstOp ?? '(no operations)'}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
