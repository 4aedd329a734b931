/**
 * Browser figures, measured through Playwright on a production build (vite build + vite preview):
 *   browser.js-gzip            JavaScript a visitor's browser loads to open the app, gzip: the
 *                              scripts requested until the first trace is on screen (target < 250 KB)
 *   browser.js-gzip-all        every script of the build, gzip, including chunks loaded only on
 *                              demand (the scenario editor's CodeMirror, when the editor opens)
 *   browser.first-render       navigation start → the app's first rendered trace (ms)
 *   browser.frame-p95          95th percentile frame time while playing a scenario whose XArray
 *                              holds 10,000 entries (target < 16.7 ms on this 2-core machine; frame
 *                              intervals are whole display refreshes, so 16.7 ms means no frame
 *                              of the 95 % came late)
 *   browser.frames-late        the share of frame intervals longer than 1.5 refreshes (late frames)
 *   browser.jump-back-10000    time for the panels to show the state 10,000 steps back (target < 50 ms)
 * Skipped, with a line saying why, when no Chromium is available.
 */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from './run';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = 4179;

function chromiumPath(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  return undefined;
}

/** Every script of the build by its path under dist ('assets/index-….js'), with its gzip size. */
function jsGzipSizes(dist: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string, rel: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p, `${rel}${f.name}/`);
      else if (f.name.endsWith('.js')) out.set(`${rel}${f.name}`, gzipSync(readFileSync(p), { level: 9 }).length);
    }
  };
  walk(dist, '');
  return out;
}

const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;

export async function run(report: Report): Promise<void> {
  const dist = join(root, 'dist-bench');
  execSync(`npx vite build --outDir ${dist} --emptyOutDir --logLevel error`, { cwd: root, stdio: 'inherit' });
  const gz = jsGzipSizes(dist);

  const exe = chromiumPath();
  const { chromium } = await import('@playwright/test');
  const { preview } = await import('vite');
  const server = await preview({ root, build: { outDir: dist }, preview: { port: PORT, strictPort: true }, logLevel: 'error' });
  const browser = await chromium.launch({
    executablePath: exe,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    // Polled on every animation frame, as page.waitForFunction() polls, but from a function handed
    // to page.evaluate (compiled by the debugger protocol): the built page's Content-Security-Policy
    // forbids the string evaluation that waitForFunction() does inside the page.
    const readyOnce = () =>
      page.evaluate(`new Promise((resolve, reject) => {
        const t0 = performance.now();
        const check = () => {
          const s = window.__daxviz && window.__daxviz.getState();
          if (s && s.engineState === 'ready' && s.steps.length > 0) resolve(true);
          else if (performance.now() - t0 > 180000) reject(new Error('the app did not become ready within 180 s'));
          else requestAnimationFrame(check);
        };
        check();
      })`);
    // (A navigation, such as a service worker reloading the page, destroys the context: ask again.)
    const ready = async () => {
      for (let i = 0; ; i++) {
        try {
          return await readyOnce();
        } catch (e) {
          if (i >= 5 || !/context|navigat/i.test(String(e))) throw e;
        }
      }
    };

    // The scripts a first visit loads (the worker's included), until the trace is on screen.
    const loaded = new Set<string>();
    const onResponse = (r: { url(): string }) => {
      const path = new URL(r.url()).pathname.replace(/^\//, '');
      if (gz.has(path)) loaded.add(path);
    };
    page.on('response', onResponse);
    await page.goto(`http://localhost:${PORT}/?debug=1`);
    await ready();
    page.off('response', onResponse);
    report('browser.js-gzip', kb([...loaded].reduce((a, p) => a + gz.get(p)!, 0)), 'KB');
    report('browser.js-gzip.target', 250, 'KB');
    report('browser.js-gzip-all', kb([...gz.values()].reduce((a, b) => a + b, 0)), 'KB');

    // Time to first render: navigation start until a built-in scenario's trace is on screen.
    const renders: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`http://localhost:${PORT}/?debug=1`);
      await ready();
      renders.push((await page.evaluate('performance.now()')) as number);
    }
    renders.sort((a, b) => a - b);
    report('browser.first-render', Math.round(renders[1]), 'ms');

    // Frame times while playing the 10,000-entry scenario at 8x.
    await page.goto(`http://localhost:${PORT}/?debug=1&scenario=bench-xarray-10k`);
    await ready();
    // (Functions handed to page.evaluate are passed as source text: tsx would wrap named
    // functions in a helper the page does not have.)
    const frames = (await page.evaluate(`(async () => {
      const st = window.__daxviz;
      const s = st.getState();
      s.seek(Math.max(0, s.steps.length - 4000));
      s.setSpeed(8);
      s.setPlaying(true);
      const deltas = [];
      await new Promise((done) => {
        let last = performance.now();
        const t0 = last;
        const tick = (t) => {
          deltas.push(t - last);
          last = t;
          if (t - t0 < 4000) requestAnimationFrame(tick);
          else done();
        };
        requestAnimationFrame(tick);
      });
      st.getState().setPlaying(false);
      return deltas.slice(1).sort((a, b) => a - b);
    })()`)) as number[];
    const p95 = frames[Math.floor(frames.length * 0.95)];
    report('browser.frame-p95', Math.round(p95 * 10) / 10, 'ms');
    report('browser.frame-count', frames.length, 'frames');
    // Frames are shown at the display's refresh (60 Hz here): a frame interval is one refresh
    // (16.7 ms) unless the page missed one. The share of intervals longer than 1.5 refreshes is
    // the share of frames that came late.
    report('browser.frames-late', Math.round((frames.filter((d) => d > 25).length / frames.length) * 1000) / 10, '%');

    // Jump 10,000 steps back: from the end, seek, then wait for the next frame after React commits.
    const jumps: number[] = [];
    for (let i = 0; i < 5; i++) {
      jumps.push(
        (await page.evaluate(`(async () => {
          const st = window.__daxviz;
          const n = st.getState().steps.length;
          st.getState().seek(n);
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          const t0 = performance.now();
          st.getState().seek(n - 10000);
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          return performance.now() - t0;
        })()`)) as number,
      );
    }
    jumps.sort((a, b) => a - b);
    report('browser.jump-back-10000', Math.round(jumps[2] * 10) / 10, 'ms');
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.httpServer.close(() => r()));
  }
}
