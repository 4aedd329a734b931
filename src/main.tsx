/**
 * Entry point: one visualizer on the page, running a built-in scenario in the engine worker.
 * `?scenario=<name>` picks the scenario (src/scenarios/index.ts); `?debug=1` shows the debug tools
 * (fault injection for the worker).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { scenarioByName } from './scenarios';
import { makeSimStore } from './store';
import { startWorkerEngine } from './worker/client';

const params = new URLSearchParams(location.search);
const debug = params.get('debug') === '1';
const store = makeSimStore({ engine: startWorkerEngine, scenario: scenarioByName(params.get('scenario')) });

// ?debug=1 also exposes the store, for the e2e tests and `npm run bench` (browser figures).
if (debug) (window as unknown as { __daxviz: typeof store }).__daxviz = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} debug={debug} />
  </StrictMode>,
);
