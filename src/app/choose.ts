import type { ScenarioSpec } from '../worker/protocol';

/**
 * Switch to a scenario from the chooser or the library: keep the choice in the address (so a reload
 * opens it again) and drop a share link's fragment, which no longer describes what is shown.
 * Scenarios that have no name in the chooser (a file, the editor's text) leave `?scenario` out.
 */
export function rememberChoice(spec: ScenarioSpec, named: boolean): void {
  const url = new URL(location.href);
  if (named) url.searchParams.set('scenario', spec.name);
  else url.searchParams.delete('scenario');
  url.hash = '';
  history.replaceState(null, '', url);
}
