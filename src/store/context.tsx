/**
 * React access to the store: <SimProvider store={...}> and hooks. Using a hook outside a provider
 * throws, as React Flow's useStore does, instead of silently reading some other instance.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { SimStore } from './makeSimStore';
import type { SimState } from './types';

const SimContext = createContext<SimStore | null>(null);

export function SimProvider({ store, children }: { store: SimStore; children: ReactNode }) {
  return <SimContext.Provider value={store}>{children}</SimContext.Provider>;
}

/** The store itself, for actions and transient subscriptions (no re-render). */
export function useSimStore(): SimStore {
  const s = useContext(SimContext);
  if (!s) throw new Error('useSim* used outside <SimProvider>');
  return s;
}

/** Select one value; re-renders when it changes (Object.is). */
export function useSim<T>(selector: (s: SimState) => T): T {
  return useStore(useSimStore(), selector);
}

/** Select several fields as an object or array; re-renders only when one of them changes. */
export function useSimShallow<T>(selector: (s: SimState) => T): T {
  return useStore(useSimStore(), useShallow(selector));
}
