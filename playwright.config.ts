// End-to-end tests (e2e/*.spec.ts) in Chromium against three ways of serving the app:
//   preview - `vite build` + `vite preview` (COOP/COEP headers from vite.config.ts)
//   dev     - the `vite` dev server (same headers)
//   static  - `vite build --outDir dist-static` behind a plain static server that sends no headers;
//             cross-origin isolation then comes from public/coi-serviceworker.js (one reload).
// See /work/shared/toolchain.md §2-§3 for why each setting is there.
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's Chromium on the project machines and in CI; on a laptop without it, Playwright's own
// browser (installed with `npx playwright install chromium`) is used.
const chromiumPath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];
const reuse = !process.env.CI;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // 2 cores: Chromium and the vite servers already use both.
  workers: 1,
  fullyParallel: false,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 720 },
    launchOptions: chromiumPath ? { executablePath: chromiumPath, args: chromiumArgs } : { args: chromiumArgs },
    // Video needs the ffmpeg shim described in toolchain.md §4.
    video: process.env.PW_VIDEO === '1' ? 'on' : 'off',
    trace: 'off',
  },
  projects: [
    { name: 'preview', use: { baseURL: 'http://localhost:4173' } },
    { name: 'dev', use: { baseURL: 'http://localhost:5173' } },
    { name: 'static', use: { baseURL: 'http://127.0.0.1:8080' } },
  ],
  webServer: [
    {
      command: 'npx vite build && npx vite preview --port 4173 --strictPort',
      url: 'http://localhost:4173',
      reuseExistingServer: reuse,
      timeout: 120_000,
    },
    {
      command: 'npx vite --port 5173 --strictPort',
      url: 'http://localhost:5173',
      reuseExistingServer: reuse,
      timeout: 60_000,
    },
    {
      command:
        'npx vite build --outDir dist-static --emptyOutDir && python3 -m http.server 8080 --bind 127.0.0.1 -d dist-static',
      url: 'http://127.0.0.1:8080',
      stderr: 'ignore',
      reuseExistingServer: reuse,
      timeout: 120_000,
    },
  ],
});
