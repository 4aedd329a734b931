import { useEffect, type ReactNode } from 'react';
import { SimProvider, type SimStore } from '../store';
import { Shell } from './Shell';
import './app.css';

/**
 * One visualizer: a store (owning its engine worker) and the shell that shows it. `notices` are
 * messages about the address (a damaged link, ignored embed options) shown in the notices row.
 */
export function App({ store, debug = false, notices }: { store: SimStore; debug?: boolean; notices?: ReactNode }) {
  useEffect(() => {
    void store.getState().runScenario();
  }, [store]);
  return (
    <SimProvider store={store}>
      <Shell debug={debug} notices={notices} />
    </SimProvider>
  );
}
