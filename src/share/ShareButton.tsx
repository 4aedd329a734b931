import { useId, useState } from 'react';
import { usePopover } from '../app/usePopover';
import { sourceText } from '../editor/source';
import { PANELS } from '../panels/registry';
import { useSim, useSimStore, type PanelId, type SimState } from '../store';
import { encodeShare } from './codec';
import { embedQuery, iframeSnippet, type EmbedControls } from './embed';

/** The share fragment of the store's current state, or null for a scenario that has no text form. */
function currentFragment(state: SimState): string | null {
  const spec = state.scenario;
  // The link carries the user's text exactly (comments and chapters included).
  const text = sourceText(spec);
  if (spec.kind !== 'machine' || text === null) return null;
  return encodeShare({
    scenarioText: text,
    step: state.cursor,
    panels: state.panels,
    model: spec.scenario.config?.kernel ?? 'modern',
    name: spec.name,
    title: spec.title,
  });
}

const appBase = () => `${location.origin}${location.pathname}`;

async function copy(text: string): Promise<boolean> {
  try {
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The panels an embed starts with: the tree and the story. */
const DEFAULT_EMBED_PANELS: readonly PanelId[] = ['xarray', 'narration'];

interface EmbedChoice {
  panels: PanelId[];
  atStep: boolean;
  controls: EmbedControls;
  readOnly: boolean;
}

/**
 * "Share": a popover with the link to this scenario at this step (copied to the clipboard when the
 * browser allows, with its length), and an embed builder: which panels, the start step, the
 * controls and read-only, giving an iframe snippet to paste into slides or a post.
 */
export function ShareButton() {
  const store = useSimStore();
  const kind = useSim((s) => s.scenario.kind);
  const pop = usePopover();
  const [shown, setShown] = useState<{ fragment: string; copied: boolean; title: string; step: number } | null>(null);
  const [embed, setEmbed] = useState<EmbedChoice | null>(null);
  const [snippetCopied, setSnippetCopied] = useState(false);
  const headingId = useId();
  const open = pop.open ? shown : null;

  const share = async () => {
    if (pop.open) {
      pop.close();
      return;
    }
    const st = store.getState();
    const fragment = currentFragment(st);
    if (fragment === null) return;
    const copied = await copy(appBase() + fragment);
    setShown({ fragment, copied, title: st.scenario.title, step: st.cursor });
    // An embed is small (a slide, a column of a post): two panels read well at 960x540.
    const visible = PANELS.filter((p) => st.panels[p.id].visible).map((p) => p.id);
    setEmbed({ panels: DEFAULT_EMBED_PANELS.filter((id) => visible.includes(id)), atStep: true, controls: 'minimal', readOnly: true });
    setSnippetCopied(false);
    pop.setOpen(true);
  };

  const url = open ? appBase() + open.fragment : '';
  // No panel ticked means every panel: the query leaves `panels` out rather than naming none.
  const chosen = embed && embed.panels.length > 0 && embed.panels.length < PANELS.length ? embed.panels : null;
  const embedSrc =
    open && embed
      ? appBase() +
        embedQuery({
          panels: chosen,
          step: embed.atStep ? open.step : null,
          controls: embed.controls,
          readOnly: embed.readOnly,
        }) +
        open.fragment
      : '';
  // Panels of both rows need more height than one row.
  const rows = new Set((chosen ?? PANELS.map((p) => p.id)).map((id) => PANELS.find((p) => p.id === id)?.row ?? 0));
  const snippet = open ? iframeSnippet(embedSrc, open.title, 960, rows.size > 1 ? 720 : 540) : '';

  return (
    <span className="dv-share">
      <button
        type="button"
        ref={pop.triggerRef}
        onClick={() => void share()}
        disabled={kind !== 'machine'}
        aria-expanded={open !== null}
        title={kind === 'machine' ? 'Copy a link to this scenario at this step, or make an embed' : 'The XArray tour has no text form to share; its link is ?scenario=xarray-tour'}
        data-testid="share-button"
      >
        Share
      </button>
      {open && embed && (
        <div className="dv-popover dv-share-pop" role="dialog" aria-labelledby={headingId} data-testid="share-status" ref={pop.panelRef}>
          <div className="dv-pop-row">
            <strong id={headingId}>{open.copied ? 'Link copied' : 'Copy this link'}</strong>
            <span data-testid="share-length">({url.length.toLocaleString('en')} characters)</span>
            <button type="button" onClick={() => pop.close()} aria-label="Close the share box" data-testid="share-close">
              ✕
            </button>
          </div>
          <input
            type="text"
            readOnly
            value={url}
            aria-label="Share link"
            data-testid="share-url"
            ref={(el) => {
              if (el && !open.copied) el.select();
            }}
            onFocus={(e) => e.currentTarget.select()}
          />
          <fieldset data-testid="embed-builder">
            <legend>Embed in slides or a page</legend>
            <div className="dv-pop-panels">
              {PANELS.map((p) => (
                <label key={p.id}>
                  <input
                    type="checkbox"
                    checked={embed.panels.includes(p.id)}
                    onChange={(e) =>
                      setEmbed({
                        ...embed,
                        panels: e.target.checked ? PANELS.filter((q) => q.id === p.id || embed.panels.includes(q.id)).map((q) => q.id) : embed.panels.filter((id) => id !== p.id),
                      })
                    }
                    data-testid={`embed-panel-${p.id}`}
                  />
                  {p.title}
                </label>
              ))}
            </div>
            <div className="dv-pop-row">
              <label>
                <input type="checkbox" checked={embed.atStep} onChange={(e) => setEmbed({ ...embed, atStep: e.target.checked })} data-testid="embed-at-step" />
                open at step {open.step}
              </label>
              <label>
                controls{' '}
                <select value={embed.controls} onChange={(e) => setEmbed({ ...embed, controls: e.target.value as EmbedControls })} data-testid="embed-controls">
                  <option value="minimal">minimal</option>
                  <option value="full">full</option>
                  <option value="none">none</option>
                </select>
              </label>
              <label>
                <input type="checkbox" checked={embed.readOnly} onChange={(e) => setEmbed({ ...embed, readOnly: e.target.checked })} data-testid="embed-readonly" />
                read-only
              </label>
            </div>
            {embed.panels.length === 0 && <p className="dv-pop-warn">No panel chosen: the embed will show all of them.</p>}
            {embed.panels.length > 3 && <p className="dv-pop-warn">{embed.panels.length} panels are a lot for an embed: at 960 pixels wide each gets little room.</p>}
            <textarea readOnly value={snippet} rows={3} aria-label="Embed snippet" data-testid="embed-snippet" onFocus={(e) => e.currentTarget.select()} />
            <div className="dv-pop-row">
              <button
                type="button"
                onClick={() => void copy(snippet).then(setSnippetCopied)}
                data-testid="embed-copy"
              >
                Copy snippet
              </button>
              {snippetCopied && <span role="status">Snippet copied</span>}
              <a href={embedSrc} target="_blank" rel="noopener" data-testid="embed-preview">
                Preview the embed ↗
              </a>
            </div>
          </fieldset>
        </div>
      )}
    </span>
  );
}
