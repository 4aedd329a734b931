/**
 * Page bytes for the hover card, read straight from the machine's memory buffers (shared with the
 * worker, or copies without isolation): what a CPU load of the page would see. No copy of the
 * device is ever made; only the few bytes shown are read.
 *
 * Conventions in this file:
 *   load view - the media bytes with every dirty cache line laid over them (docs/device.md §2).
 *   DRAM      - SparsePages layout: top[pfn >> 12] = leaf + 1, leaf[pfn & 4095] = frame + 1, frame f
 *               in chunk f >> 6 at page f & 63.
 */
import { locatePage } from '../../engine/drivers/pmem';
import type { MemoryShare } from '../../worker/protocol';

const PAGE = 4096;

/** The first `n` bytes a load of device page `page` would see, and how many of its lines are dirty. */
export function pmemPageHead(mem: MemoryShare, page: number, n: number): { bytes: Uint8Array; dirtyLines: number; hasMedia: boolean } {
  const v = locatePage(mem.pmem, page);
  const out = new Uint8Array(n);
  if (v.media) out.set(v.media.subarray(0, n));
  let dirtyLines = 0;
  for (let line = 0; line < 64; line++) {
    if (!((v.dirty[line >> 5] >>> (line & 31)) & 1)) continue;
    dirtyLines++;
    const a = line * 64;
    if (v.cache && a < n) out.set(v.cache.subarray(a, Math.min(n, a + 64)), a);
  }
  return { bytes: out, dirtyLines, hasMedia: v.media !== null };
}

/** The first `n` bytes of DRAM page `pfn` (zeros when it has no frame). */
export function dramPageHead(mem: MemoryShare, pfn: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const top = new Int32Array(mem.dram.top);
  const leafNo = top[Math.floor(pfn / 4096)] - 1;
  if (leafNo < 0) return out;
  const f = new Int32Array(mem.dram.leaves[leafNo])[pfn % 4096] - 1;
  if (f < 0) return out;
  out.set(new Uint8Array(mem.dram.chunks[f >> 6], (f & 63) * PAGE, n));
  return out;
}

/** Printable ASCII as text, other bytes as \xNN, trailing zeros trimmed (as the engine's dumps do). */
export function bytesPreview(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  let s = '';
  for (let i = 0; i < end; i++) {
    const c = b[i];
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}
