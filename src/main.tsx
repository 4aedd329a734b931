/**
 * Entry point: one visualizer on the page, running a built-in scenario in the engine worker.
 * `?scenario=<name>` picks the scenario (src/scenarios/index.ts); `?debug=1` shows the debug tools
 * (fault injection for the worker). A share link's fragment (`#v1:...`, src/share/codec.ts) opens
 * its scenario at its step instead; a damaged one shows a notice and the default scenario.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { scenarioByName } from './scenarios';
import { applySharedState, readShareFragment } from './share/open';
import { ShareNotice } from './share/ShareNotice';
import { makeSimStore } from './store';
import { startWorkerEngine } from './worker/client';

const params = new URLSearchParams(location.search);
const debug = params.get('debug') === '1';
const shared = readShareFragment(location.hash);
const store = makeSimStore({
  engine: startWorkerEngine,
  scenario: shared.kind === 'ok' ? shared.spec : scenarioByName(params.get('scenario')),
});
if (shared.kind === 'ok') applySharedState(store, shared.state);

// ?debug=1 also exposes the store, for the e2e tests and `npm run bench` (browser figures).
if (debug) (window as unknown as { __daxviz: typeof store }).__daxviz = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {shared.kind === 'error' && <ShareNotice message={shared.message} newer={shared.newer} />}
    <App store={store} debug={debug} />
  </StrictMode>,
);
