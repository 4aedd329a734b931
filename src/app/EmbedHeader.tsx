import { EditorButton } from '../editor/EditorButton';
import { useSim } from '../store';

/** The address of the full app for this embed: the same scenario and fragment, without the embed's query keys. */
function fullAppHref(): string {
  const url = new URL(location.href);
  for (const k of ['embed', 'panels', 'step', 'controls', 'readonly']) url.searchParams.delete(k);
  return url.toString();
}

/**
 * An embed's one-line header: the scenario's title at the left; at the right, the editor button
 * when the embed is not read-only (its drafts are never saved: an embed has no storage), then a
 * link that opens the same scenario in the full app (a new tab), where the reader can explore,
 * edit and share.
 */
export function EmbedHeader() {
  const title = useSim((s) => s.scenario.title);
  const readOnly = useSim((s) => s.embed?.readOnly ?? true);
  return (
    <header className="dv-header dv-embed-header" data-testid="embed-header">
      <span className="dv-scenario-title" data-testid="scenario-title" title={title}>
        {title}
      </span>
      {!readOnly && <EditorButton className="dv-embed-edit" />}
      <a href={fullAppHref()} target="_blank" rel="noopener" data-testid="open-full-app">
        Open in the DAX visualizer ↗
      </a>
    </header>
  );
}
