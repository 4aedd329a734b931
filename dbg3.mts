import { chromium } from '@playwright/test';
import { preview } from 'vite';
const server = await preview({ root: '/work/main', build: { outDir: 'dist-bench' }, preview: { port: 4179, strictPort: true }, logLevel: 'error' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto('http://localhost:4179/?debug=1&scenario=bench-xarray-10k');
await page.waitForFunction(`(() => { const s = window.__daxviz && window.__daxviz.getState(); return !!s && s.engineState === 'ready'; })()`, undefined, { timeout: 180000 });
await page.evaluate(`(async () => { const st = window.__daxviz; const n = st.getState().steps.length; st.getState().seek(n - 4000); await new Promise(r => setTimeout(r, 1500)); })()`);
await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await page.evaluate(`(async () => { const st = window.__daxviz; st.getState().setSpeed(8); st.getState().setPlaying(true); await new Promise(r => setTimeout(r, 3000)); st.getState().setPlaying(false); })()`);
const buf = await browser.stopTracing();
const ev = JSON.parse(buf.toString()).traceEvents as any[];
const sum = new Map<string, number>();
for (const e of ev) if (e.ph === 'X' && e.dur) sum.set(e.name, (sum.get(e.name) || 0) + e.dur / 1000);
[...sum].sort((a, b) => b[1] - a[1]).slice(0, 20).forEach(([k, v]) => console.log(v.toFixed(0).padStart(7), k));
for (const n of ["Paint","Layerize","TimerFire","RasterTask","PrePaint"]) { const xs = ev.filter((e) => e.name === n && e.ph === "X").map((e) => e.dur / 1000).sort((a, b) => a - b); console.log(n, xs.length, "median", xs[xs.length >> 1]?.toFixed(1), "max", xs.at(-1)?.toFixed(1)); }
await browser.close(); server.httpServer.close();
