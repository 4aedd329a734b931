import { useState } from 'react';
import { print } from '../engine/lang';
import { useSim, useSimStore } from '../store';
import { encodeShare } from './codec';

/** The link to the app at the store's current state, or null for a scenario that has no text form. */
function currentLink(state: ReturnType<ReturnType<typeof useSimStore>['getState']>): string | null {
  const spec = state.scenario;
  if (spec.kind !== 'machine') return null;
  const frag = encodeShare({
    scenarioText: print(spec.scenario),
    step: state.cursor,
    panels: state.panels,
    model: spec.scenario.config?.kernel ?? 'modern',
    name: spec.name,
    title: spec.title,
  });
  return `${location.origin}${location.pathname}${frag}`;
}

/**
 * "Share": puts a link to this scenario at this step (with the panel layout) on the clipboard and
 * says how long it is. Without clipboard access it shows the link in a selected read-only field.
 */
export function ShareButton() {
  const store = useSimStore();
  const kind = useSim((s) => s.scenario.kind);
  const [shown, setShown] = useState<{ url: string; copied: boolean } | null>(null);
  const share = async () => {
    const url = currentLink(store.getState());
    if (url === null) return;
    let copied = false;
    try {
      if (navigator.clipboard) {
        await navigator.clipboard.writeText(url);
        copied = true;
      }
    } catch {
      copied = false;
    }
    setShown({ url, copied });
  };
  return (
    <span className="dv-share" style={{ position: 'relative', display: 'inline-flex', alignItems: 'center', gap: 6 }}>
      <button
        type="button"
        onClick={() => void share()}
        disabled={kind !== 'machine'}
        title={kind === 'machine' ? 'Copy a link to this scenario at this step' : 'The XArray tour has no text form to share; its link is ?scenario=xarray-tour'}
        data-testid="share-button"
      >
        Share
      </button>
      {shown && (
        <span
          role="status"
          data-testid="share-status"
          style={{
            position: 'absolute',
            top: 'calc(100% + 6px)',
            right: 0,
            zIndex: 20,
            display: 'flex',
            alignItems: 'center',
            gap: 6,
            padding: '6px 8px',
            whiteSpace: 'nowrap',
            background: 'var(--surface)',
            color: 'var(--text)',
            border: '1px solid var(--border)',
            borderRadius: 6,
            boxShadow: '0 2px 8px rgba(0,0,0,0.2)',
          }}
        >
          {shown.copied ? 'Link copied' : 'Copy this link'} ({shown.url.length.toLocaleString('en')} characters)
          <input
            type="text"
            readOnly
            value={shown.url}
            aria-label="Share link"
            data-testid="share-url"
            size={36}
            ref={(el) => {
              if (el && !shown.copied) el.select();
            }}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={() => setShown(null)} aria-label="Hide the share link" data-testid="share-close">
            ✕
          </button>
        </span>
      )}
    </span>
  );
}
