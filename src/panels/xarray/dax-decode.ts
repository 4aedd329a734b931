/**
 * The DAX entry decoder: what a file's i_pages holds, in DAX terms. A DAX file's entries are value
 * entries packing a pfn and four flag bits (src/engine/fs/dax-entry.ts); a page-cache file's entries
 * (dax=never, or the DRAM page cache) are pointers to pages, which the engine names by pfn.
 *
 * Conventions in this file:
 *   label - short chip text: "0x40200" for a PTE-sized entry, "0x40200 PMD" for a 2 MiB one,
 *           "zero" / "zero PMD" for the shared zero page, "empty" for a placeholder, "page 0x…"
 *           for a page-cache page; a trailing "locked" means a task holds the entry lock
 *           (DAX_LOCKED: a fault or writeback is working on it, and others wait).
 */
import { decodeDaxEntry, describeDaxEntry } from '../../engine/fs/dax-entry';
import type { EntryDecoder } from './decode';
import { plainDecoder } from './decode';

function hex(n: number): string {
  return '0x' + n.toString(16);
}

export const daxDecoder: EntryDecoder = {
  label(e) {
    if ('value' in e && typeof e.value === 'number') {
      const d = decodeDaxEntry(e.value);
      const base = d.empty ? 'empty' : d.zero ? 'zero' : hex(d.pfn);
      return `${base}${d.pmd ? ' PMD' : ''}${d.locked ? ' locked' : ''}`;
    }
    if ('page' in e && typeof e.page === 'number') return `page ${hex(e.page)}`;
    return plainDecoder.label(e);
  },
  title(e) {
    if ('value' in e && typeof e.value === 'number') {
      const d = decodeDaxEntry(e.value);
      const flags = [d.pmd && 'PMD (one entry for 2 MiB)', d.zero && 'ZERO_PAGE (a hole read through the zero page)', d.empty && 'EMPTY (a placeholder: the fault that put it here is still working)', d.locked && 'LOCKED (someone holds the entry lock)'].filter(Boolean);
      return `DAX entry ${hex(e.value)}: ${describeDaxEntry(e.value)}${flags.length ? `. Flags: ${flags.join('; ')}` : ''}.`;
    }
    if ('page' in e && typeof e.page === 'number') return `page-cache entry: pointer to the struct page (folio) of DRAM pfn ${hex(e.page)}`;
    return plainDecoder.title(e);
  },
};
