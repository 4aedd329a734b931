/**
 * The machine's whole state as deterministic JSON: what `npm run sim -- --json` prints after
 * the steps, what instructors compare, and what the view's tests check panels against.
 *
 * Conventions in this file:
 *   bytes  - page contents are printed as text with \xNN escapes and trailing zeros trimmed,
 *            so an untouched page prints "" and a page holding "hello" prints "hello".
 *
 * What this model leaves out: nothing is summarised away except all-zero trailing bytes.
 */
import { PAGE_SIZE, CACHELINE_SIZE } from '../constants';
import { hex, type Json } from '../trace/steps';
import { xaDump } from '../lib/xarray-dump';
import { vmFlagsString } from '../mm/mm';
import type { Machine } from '../machine';

export function bytesText(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  let s = '';
  for (let i = 0; i < end; i++) {
    const c = b[i];
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

function pteFlags(p: { present: boolean; write: boolean; dirty: boolean; huge: boolean; special: boolean; anon: boolean }): string {
  return (p.present ? 'p' : '-') + (p.write ? 'w' : '-') + (p.dirty ? 'd' : '-') + (p.huge ? 'H' : '-') + (p.special ? 's' : '-') + (p.anon ? 'a' : '-');
}

export function dumpMachine(m: Machine): Json {
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
      nrpages: mapping?.nrpages ?? 0,
      i_pages: mapping ? xaDump(mapping.i_pages) : null,
    });
  }
  const pages: Json[] = m.pages.nonDefaultPages().map((pfn) => m.pages.dumpPage(pfn));
  const device: Json[] = [];
  for (const p of m.pmem.writtenPageList()) {
    const off = p * PAGE_SIZE;
    const dirty = m.pmem.dirtyLines(off, PAGE_SIZE);
    device.push({
      page: p,
      pfn: hex(m.phys.pmemOffsetToPfn(off)),
      media: bytesText(m.pmem.readMedia(off, PAGE_SIZE)),
      cached: dirty.map((a) => ({ line: hex(a), data: bytesText(m.pmem.read(a, CACHELINE_SIZE)) })),
      poisoned: m.pmem.isPoisoned(p),
    });
  }
  return {
    config: m.config as unknown as Json,
    processes,
    files,
    structPages: pages,
    device,
    dram: m.phys.allocations().map((a) => ({ pfn: hex(a.pfn), order: a.order, use: a.use, data: a.use === 'zero-page' || a.use === 'huge-zero-page' ? '' : bytesText(m.phys.readDram(a.pfn, 0, PAGE_SIZE)) })),
    pins: [...m.pins.values()].map((p) => ({ label: p.label, proc: p.proc, pfns: p.pfns.map(hex) })),
    pending: m.pending.map((t) => ({ proc: t.who, op: t.what, state: t.state, on: t.sleep?.queue ?? null })),
    filesystem: m.fs.summary(),
    memmap: m.phys.memmap() as unknown as Json,
    warnings: m.warnings.map((w) => `${w.fn}: ${w.cond}`),
  };
}
