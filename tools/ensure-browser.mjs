#!/usr/bin/env node
// Makes sure the e2e tests have a Chromium to drive, before `playwright test` starts.
// Order: $CHROMIUM_PATH, /usr/bin/chromium (Debian), Playwright's own browser if one is installed.
// On a Debian machine where we are root and none is found, installs Debian's chromium with apt
// (Playwright may not download its own browser on these machines). Otherwise it explains what to do.
import { existsSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
if (candidates.some((p) => existsSync(p))) process.exit(0);

const pwCache = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
if (existsSync(pwCache) && readdirSync(pwCache).some((d) => d.startsWith('chromium'))) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && existsSync('/usr/bin/apt-get')) {
  console.log('No Chromium found: installing Debian\'s chromium for the e2e tests (apt-get install chromium)...');
  try {
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    process.exit(0);
  } catch {
    console.error('apt-get could not install chromium.');
  }
}
console.error(
  'The e2e tests need Chromium or Chrome. Install one (Debian: apt-get install chromium) or point ' +
    'CHROMIUM_PATH at a Chrome/Chromium binary, or run `npx playwright install chromium` where downloads are allowed.',
);
process.exit(1);
