/**
 * The machine's whole state as deterministic JSON: what `npm run sim -- --json` prints after
 * the steps, what instructors compare, and what the view's tests check panels against.
 *
 * Conventions in this file:
 *   bytes  - page contents are printed as text with \xNN escapes and trailing zeros trimmed,
 *            so an untouched page prints "" and a page holding "hello" prints "hello".
 *
 * What this model leaves out: nothing is summarised away except all-zero trailing bytes.
 *
 * Options (DumpOptions): the app's worker takes a dump at every operation boundary as a keyframe
 * and leaves the page bytes out ({bytes: false}: the page reads bytes from the shared device
 * buffers instead), the per-file i_pages dumps out ({iPages: false}: it sends xaDump with node ids
 * separately) and asks for the free-space runs ({freeSpace: true}) so it can colour free blocks.
 */
import { PAGE_SIZE, CACHELINE_SIZE } from '../constants';
import { locatePage } from '../drivers/pmem';
import { hex, type Json } from '../trace/steps';
import { xaDump } from '../lib/xarray-dump';
import { bytesText as formatBytes } from '../trace/bytes';
import { vmFlagsString } from '../mm/mm';
import type { Machine } from '../machine';

/** Page contents in dumps: trailing zeros trimmed. */
export function bytesText(b: Uint8Array): string {
  return formatBytes(b, true);
}

function pteFlags(p: { present: boolean; write: boolean; dirty: boolean; huge: boolean; special: boolean; anon: boolean }): string {
  return (p.present ? 'p' : '-') + (p.write ? 'w' : '-') + (p.dirty ? 'd' : '-') + (p.huge ? 'H' : '-') + (p.special ? 's' : '-') + (p.anon ? 'a' : '-');
}

export interface DumpOptions {
  /** page contents (device media and dirty lines, DRAM); default true. With false, device pages say
   *  only whether they have media content (`hasMedia`) and list their dirty line addresses. */
  bytes?: boolean;
  /** each file's i_pages dump; default true */
  iPages?: boolean;
  /** the filesystem's free-space runs (device blocks) as `freeSpace`, and every poisoned device
   *  page as `poisonedPages` (written or not); default false */
  freeSpace?: boolean;
}

export function dumpMachine(m: Machine, opts: DumpOptions = {}): Json {
  const bytes = opts.bytes ?? true;
  const iPages = opts.iPages ?? true;
  const processes: Json[] = [];
  for (const mm of [...m.as.procs.values()].sort((a, b) => a.pid - b.pid)) {
    const leaves: Json[] = [];
    for (const l of m.as.allLeaves()) if (l.mm === mm) leaves.push({ addr: hex(l.addr), level: l.level, pfn: hex(l.pte.pfn), flags: pteFlags(l.pte) });
    processes.push({
      name: mm.name,
      pid: mm.pid,
      vmas: mm.vmas.map((v) => ({ start: hex(v.start), end: hex(v.end), flags: vmFlagsString(v.flags), pgoff: v.pgoff, file: v.ino === null ? null : m.fs.nameOf(v.ino) })),
      pagetable: leaves,
    });
  }
  const files: Json[] = [];
  for (const ino of m.fs.allInodes()) {
    const mapping = m.mappings.get(ino);
    files.push({
      ino,
      name: m.fs.nameOf(ino),
      size: m.fs.size(ino),
      dax: m.fs.isDax(ino),
      extents: m.fs.extentsOf(ino) as unknown as Json,
      cowFork: m.fs.cowExtentsOf(ino) as unknown as Json,
      reflink: m.fs.isReflinked(ino),
      nrpages: mapping?.nrpages ?? 0,
      ...(iPages ? { i_pages: mapping ? xaDump(mapping.i_pages) : null } : {}),
    });
  }
  const pages: Json[] = m.pages.nonDefaultPages().map((pfn) => m.pages.dumpPage(pfn));
  const device: Json[] = [];
  const layout = m.pmem.layout();
  for (const p of m.pmem.writtenPageList()) {
    const off = p * PAGE_SIZE;
    const dirty = m.pmem.dirtyLines(off, PAGE_SIZE);
    if (!bytes) {
      device.push({
        page: p,
        pfn: hex(m.phys.pmemOffsetToPfn(off)),
        hasMedia: locatePage(layout, p).media !== null,
        cached: dirty.map(hex),
        poisoned: m.pmem.isPoisoned(p),
      });
      continue;
    }
    device.push({
      page: p,
      pfn: hex(m.phys.pmemOffsetToPfn(off)),
      media: bytesText(m.pmem.readMedia(off, PAGE_SIZE)),
      cached: dirty.map((a) => ({ line: hex(a), data: bytesText(m.pmem.read(a, CACHELINE_SIZE)) })),
      poisoned: m.pmem.isPoisoned(p),
    });
  }
  const out: { [k: string]: Json } = {
    config: m.config as unknown as Json,
    processes,
    files,
    structPages: pages,
    device,
    dram: m.phys
      .allocations()
      .map((a): Json =>
        bytes
          ? { pfn: hex(a.pfn), order: a.order, use: a.use as string, data: a.use === 'zero-page' || a.use === 'huge-zero-page' ? '' : bytesText(m.phys.readDram(a.pfn, 0, PAGE_SIZE)) }
          : { pfn: hex(a.pfn), order: a.order, use: a.use as string },
      ),
    pins: [...m.pins.values()].map((p) => ({ label: p.label, proc: p.proc, pfns: p.pfns.map(hex) })),
    pending: m.pending.map((t) => ({ proc: t.who, op: t.what, state: t.state, on: t.sleep?.queue ?? null })),
    filesystem: m.fs.summary(),
    memmap: m.phys.memmap() as unknown as Json,
    warnings: m.warnings.map((w) => `${w.fn}: ${w.cond}`),
  };
  if (opts.freeSpace) {
    out.freeSpace = m.fs.mp.free.map((r) => ({ start: r.start, len: r.len }));
    out.poisonedPages = m.pmem.poisonedPages();
  }
  return out;
}
