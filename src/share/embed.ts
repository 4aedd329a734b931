/**
 * Embed mode: the app inside an iframe on a slide or a blog post. The page's query says what the
 * embed shows; the fragment (a share link, or `?scenario=<name>`) says which scenario. Pure: no DOM.
 *
 *   ?embed=1                       embed mode (any value but 0/false/off)
 *   &panels=xarray,narration       the panels to show, in the registry's order (default: all)
 *   &step=42                       the step to open at (default: the share link's step, else 0)
 *   &controls=full|minimal|none    full transport, step buttons and play only, or nothing
 *                                  (default: minimal)
 *   &readonly=0|1                  1 (the default): no editor, no scenario chooser; the embed
 *                                  only shows. 0: the viewer may edit and run in the editor.
 *
 * Whatever it says, an embed never reads or writes the user's saved work (local storage): the store
 * is made without storage. Unknown values are not fatal: the embed opens with the default and a
 * notice says what was ignored and why.
 *
 * Conventions in this file:
 *   option   - one query key of the list above.
 */
import { nearest } from '../engine/ops';
import type { PanelId } from '../store/types';

export type EmbedControls = 'full' | 'minimal' | 'none';

export interface EmbedOptions {
  /** the panels to show; null = all */
  panels: PanelId[] | null;
  /** the step to open at; null = the link's own step */
  step: number | null;
  controls: EmbedControls;
  readOnly: boolean;
}

const CONTROLS: readonly EmbedControls[] = ['full', 'minimal', 'none'];

/** Is this page an embed? */
export function isEmbed(search: string): boolean {
  const v = new URLSearchParams(search).get('embed');
  return v !== null && !['0', 'false', 'off'].includes(v.toLowerCase());
}

/**
 * The embed options of a query string, plus a message for every part that was ignored. Returns
 * null options when the page is not an embed.
 */
export function readEmbed(search: string, panelIds: readonly PanelId[]): { options: EmbedOptions | null; problems: string[] } {
  if (!isEmbed(search)) return { options: null, problems: [] };
  const q = new URLSearchParams(search);
  const problems: string[] = [];
  let panels: PanelId[] | null = null;
  const p = q.get('panels');
  if (p !== null) {
    const wanted = p.split(',').map((s) => s.trim()).filter(Boolean);
    const ok: PanelId[] = [];
    for (const w of wanted) {
      if ((panelIds as readonly string[]).includes(w)) {
        if (!ok.includes(w as PanelId)) ok.push(w as PanelId);
      } else {
        const near = nearest(w, panelIds);
        problems.push(`there is no panel "${w}"${near ? ` (did you mean "${near}"?)` : ''}; the panels are ${panelIds.join(', ')}`);
      }
    }
    if (ok.length > 0) panels = ok;
    else problems.push('none of the panels named exists, so all are shown');
  }
  let step: number | null = null;
  const s = q.get('step');
  if (s !== null) {
    if (/^\d{1,9}$/.test(s)) step = Number(s);
    else problems.push(`step: "${s}" is not a step number (0, 1, 2, ...); opening at the link's step`);
  }
  let controls: EmbedControls = 'minimal';
  const c = q.get('controls');
  if (c !== null) {
    if ((CONTROLS as readonly string[]).includes(c)) controls = c as EmbedControls;
    else problems.push(`controls: "${c}" is not one of ${CONTROLS.join(', ')}; using minimal`);
  }
  let readOnly = true;
  const r = q.get('readonly');
  if (r !== null) {
    if (['0', 'false', 'off'].includes(r)) readOnly = false;
    else if (!['1', 'true', 'on', ''].includes(r)) problems.push(`readonly: "${r}" is not 0 or 1; the embed stays read-only`);
  }
  return { options: { panels, step, controls, readOnly }, problems };
}

/** The query string of an embed with these options (what the snippet builder writes). */
export function embedQuery(o: EmbedOptions): string {
  const q = new URLSearchParams();
  q.set('embed', '1');
  if (o.panels) q.set('panels', o.panels.join(','));
  if (o.step !== null) q.set('step', String(o.step));
  if (o.controls !== 'minimal') q.set('controls', o.controls);
  if (!o.readOnly) q.set('readonly', '0');
  return `?${q.toString().replace(/%2C/g, ',')}`;
}

/** Escape text for an HTML attribute value in double quotes. */
function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The HTML to paste into a slide or a post: an iframe of the embed, lazily loaded, with a title for
 * screen readers. `src` is the embed's full address.
 */
export function iframeSnippet(src: string, title: string, width = 960, height = 540): string {
  return `<iframe src="${attr(src)}" title="${attr(title)}" width="${width}" height="${height}" style="border:0" loading="lazy" allow="clipboard-write"></iframe>`;
}
