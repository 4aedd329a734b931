/**
 * `npm run bench`: every benchmark module prints `name: value unit` lines.
 * Timing thresholds live here (as targets printed beside the figures), never in unit tests.
 * Usage: npm run bench [-- <filter>]   (filter = substring of the module name)
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

export type Report = (name: string, value: number | string, unit: string) => void;

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const report: Report = (name, value, unit) => {
  const v = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1)) : value;
  console.log(`${name}: ${v} ${unit}`);
};

const modules = readdirSync(here).filter((f) => f.endsWith('.bench.ts') && f.includes(filter)).sort();
for (const m of modules) {
  const mod = (await import(pathToFileURL(join(here, m)).href)) as { run: (r: Report) => Promise<void> | void };
  await mod.run(report);
}
