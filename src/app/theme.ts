/**
 * Theme and motion preferences. The theme follows prefers-color-scheme until the user picks one;
 * motion follows prefers-reduced-motion (panels read it to turn their animations off).
 */
import { useSyncExternalStore } from 'react';

function mediaHook(query: string, fallback: boolean) {
  const subscribe = (cb: () => void) => {
    if (typeof matchMedia !== 'function') return () => {};
    const m = matchMedia(query);
    m.addEventListener('change', cb);
    return () => m.removeEventListener('change', cb);
  };
  const get = () => (typeof matchMedia === 'function' ? matchMedia(query).matches : fallback);
  return () => useSyncExternalStore(subscribe, get, () => fallback);
}

/** True when the system prefers a dark colour scheme. */
export const usePrefersDark = mediaHook('(prefers-color-scheme: dark)', false);

/** True when the user asked the system for reduced motion. */
export const usePrefersReducedMotion = mediaHook('(prefers-reduced-motion: reduce)', false);
