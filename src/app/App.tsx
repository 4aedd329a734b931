import { useEffect } from 'react';
import { SimProvider, type SimStore } from '../store';
import { Shell } from './Shell';
import './app.css';

/** One visualizer: a store (owning its engine worker) and the shell that shows it. */
export function App({ store, debug = false }: { store: SimStore; debug?: boolean }) {
  useEffect(() => {
    void store.getState().runScenario();
  }, [store]);
  return (
    <SimProvider store={store}>
      <Shell debug={debug} />
    </SimProvider>
  );
}
