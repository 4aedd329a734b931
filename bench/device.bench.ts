/**
 * The simulated pmem device: creation cost of large sparse devices, the memmap they would need,
 * and the speed of the cache model on a small workload.
 * Targets: a 64 GiB device in under 50 ms and under 50 MB.
 */
import type { Report } from './run.ts';
import { GiB, MiB, PAGE_SIZE, TiB } from '../src/engine/constants.ts';
import { PmemDevice } from '../src/engine/drivers/pmem.ts';
import { countingMemoryProvider, sharedMemoryProvider } from '../src/engine/mm/memory.ts';
import { memmapCost, type MemmapCost } from '../src/engine/mm/page.ts';

const gc = (globalThis as { gc?: () => void }).gc;

function mem(): { heap: number; ab: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, ab: m.arrayBuffers };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function createOnce(size: number): { ms: number; bytes: number; heapDelta: number; abDelta: number; keep: PmemDevice } {
  const before = mem();
  const provider = countingMemoryProvider(sharedMemoryProvider());
  const t0 = performance.now();
  const d = new PmemDevice({ size, memory: provider });
  const ms = performance.now() - t0;
  const after = mem();
  return { ms, bytes: provider.bytes, heapDelta: after.heap - before.heap, abDelta: after.ab - before.ab, keep: d };
}

export async function run(report: Report): Promise<void> {
  if (!gc) report('device.note', 'global.gc is absent (run node with --expose-gc): memory deltas include garbage', '');
  for (const [name, size] of [
    ['64GiB', 64 * GiB],
    ['1TiB', TiB],
  ] as const) {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(createOnce(size));
    report(`device.create-${name}.time`, median(runs.map((r) => r.ms)), 'ms');
    // Memory: what the device obtained from its MemoryProvider (exact) and the process deltas (noisy).
    report(`device.create-${name}.memory`, runs[0].bytes / 1e6, 'MB');
    report(`device.create-${name}.heapUsed-delta`, median(runs.map((r) => r.heapDelta)) / 1e6, 'MB');
    report(`device.create-${name}.arrayBuffers-delta`, median(runs.map((r) => r.abDelta)) / 1e6, 'MB');
    if (name === '64GiB') {
      const t = median(runs.map((r) => r.ms));
      report('device.create-64GiB.target', `${t < 50 && runs[0].bytes < 50 * MiB ? 'met' : 'MISSED'} (< 50 ms, < 50 MB)`, '');
    }
  }

  const c = memmapCost(64 * GiB, 'ram') as MemmapCost;
  report('memmap.64GiB.bytes', c.memmapBytes, 'bytes');
  const cd = memmapCost(64 * GiB, 'dev') as MemmapCost;
  report('memmap.64GiB.dev.dataOffset', cd.dataOffset, 'bytes');
  const c4 = memmapCost(4 * TiB, 'ram') as MemmapCost;
  report('memmap.4TiB.bytes', c4.memmapBytes, 'bytes');

  // A small store/flush workload, tracing off: 4 KiB pages written with cached stores, flushed.
  const d = new PmemDevice({ size: 64 * MiB, memory: sharedMemoryProvider() });
  const line = new Uint8Array(64).fill(7);
  const pages = 4096;
  const t0 = performance.now();
  for (let p = 0; p < pages; p++) {
    for (let l = 0; l < 64; l++) d.writeCached(p * PAGE_SIZE + l * 64, line);
    d.flush(p * PAGE_SIZE, PAGE_SIZE);
  }
  const ms = performance.now() - t0;
  report('device.store-flush.rate', (pages * 64) / (ms / 1000), 'lines/s');
}
