/**
 * Entry point: one visualizer on the page, running the built-in XArray tour in the engine worker.
 * `?debug=1` shows the debug tools (fault injection for the worker).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { xarrayTour } from './app/demo';
import { makeSimStore } from './store';
import { startWorkerEngine } from './worker/client';

const debug = new URLSearchParams(location.search).get('debug') === '1';
const store = makeSimStore({ engine: startWorkerEngine, scenario: xarrayTour });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} debug={debug} />
  </StrictMode>,
);
