/**
 * Entry point: one visualizer on the page, running a built-in scenario in the engine worker.
 * `?scenario=<name>` picks the scenario (src/scenarios/index.ts); `?debug=1` shows the debug tools
 * (fault injection for the worker). A share link's fragment (`#v1:...`, src/share/codec.ts) opens
 * its scenario at its step instead; a damaged one shows a notice and the default scenario.
 * `?embed=1&...` (src/share/embed.ts) shows the app as an embed: only the panels asked for, minimal
 * controls, read-only, and never the user's saved work.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { DEFAULT_SCENARIO, knownScenario, scenarioByName, SCENARIO_CHOICES } from './scenarios';
import { nearest } from './engine/ops';
import { readEmbed } from './share/embed';
import { isShareFragment } from './share/codec';
import { applyEmbedPanels, applySharedState, openAtStep, readShareFragment } from './share/open';
import { ShareNotice } from './share/ShareNotice';
import { makeSimStore, type PanelId } from './store';
import { DEFAULT_PANELS } from './store/panels';
import { startWorkerEngine } from './worker/client';

const params = new URLSearchParams(location.search);
const debug = params.get('debug') === '1';
const shared = readShareFragment(location.hash);
// A damaged link stays readable in the notice; the address drops it, so a reload opens cleanly.
// (Not while a reload is still to come: on a static host coi-serviceworker reloads the page once
// to make it cross-origin isolated, and the notice must survive that reload.)
const settled = self.crossOriginIsolated || !('serviceWorker' in navigator) || navigator.serviceWorker.controller !== null;
if (shared.kind === 'error' && settled) history.replaceState(null, '', location.pathname + location.search);
const asked = params.get('scenario');
const unknownScenario = shared.kind !== 'ok' && asked !== null && !knownScenario(asked) ? asked : null;
const embed = readEmbed(location.search, Object.keys(DEFAULT_PANELS) as PanelId[]);
const store = makeSimStore({
  engine: startWorkerEngine,
  scenario: shared.kind === 'ok' ? shared.spec : scenarioByName(params.get('scenario')),
  embed: embed.options,
  // An embed never reads or writes the user's saved drafts.
  storage: embed.options ? null : undefined,
  // A draft resumes when the page reopens what it was drafted from; a share link or another
  // scenario's name leaves it in the editor's Drafts.
  resumeDraft: (d) => shared.kind !== 'ok' && (asked === null || d.base === asked),
});
if (shared.kind === 'ok') applySharedState(store, shared.state);
if (embed.options) {
  // A read-only embed shows; it has no editor (nor any other way to change the scenario).
  store.getState().setEditorReadOnly(embed.options.readOnly);
  if (embed.options.readOnly) store.getState().setEditorOpen(false);
  if (embed.options.panels) applyEmbedPanels(store, embed.options.panels);
  if (embed.options.step !== null) openAtStep(store, embed.options.step);
}

// A share link pasted into the address bar of this open page only changes the fragment (no new
// page load): open it as the link it is.
addEventListener('hashchange', () => {
  if (isShareFragment(location.hash)) location.reload();
});

// ?debug=1 also exposes the store, for the e2e tests and `npm run bench` (browser figures).
if (debug) (window as unknown as { __daxviz: typeof store }).__daxviz = store;

const near = unknownScenario === null ? null : nearest(unknownScenario, SCENARIO_CHOICES.map((c) => c.name));
const notices = (
  <>
    {shared.kind === 'error' && <ShareNotice message={shared.message} newer={shared.newer} />}
    {embed.problems.length > 0 && <ShareNotice heading="Some embed options were ignored." message={embed.problems.join('; ') + '.'} tail="" testId="embed-notice" />}
    {unknownScenario !== null && (
      <ShareNotice
        heading="No such scenario."
        message={`There is no built-in scenario called "${unknownScenario}"${near ? ` (did you mean "${near}"?)` : ''}; the Library lists them all.`}
        tail={` "${DEFAULT_SCENARIO}" is shown instead.`}
        testId="scenario-notice"
      />
    )}
  </>
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} debug={debug} notices={notices} />
  </StrictMode>,
);
