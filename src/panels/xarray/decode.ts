/**
 * Entry decoders: how the panel labels what a slot holds. The XArray itself only knows entries;
 * what they mean belongs to the user of the array (the page cache stores folios, DAX stores value
 * entries that pack a pfn and flag bits). A panel instance is given one decoder.
 */
import type { XaEntryDump } from './tree-types';

export interface EntryDecoder {
  /** A short label for a chip (a few characters). */
  label(e: XaEntryDump): string;
  /** A full sentence for the tooltip. */
  title(e: XaEntryDump): string;
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** The plain XArray decoder: value entries by their value, pages by pfn. */
export const plainDecoder: EntryDecoder = {
  label(e) {
    if ('value' in e && typeof e.value === 'number') return `v${e.value}`;
    if ('page' in e && typeof e.page === 'number') return `pfn ${hex(e.page)}`;
    if ('internal' in e) return String(e.internal);
    if ('pointer' in e) return String(e.pointer);
    return JSON.stringify(e);
  },
  title(e) {
    if ('value' in e && typeof e.value === 'number') return `value entry xa_mk_value(${e.value})`;
    if ('page' in e && typeof e.page === 'number') return `pointer to the struct page of pfn ${hex(e.page)}`;
    if ('internal' in e) return `internal entry (${String(e.internal)})`;
    if ('pointer' in e) return `pointer ${String(e.pointer)}`;
    return JSON.stringify(e);
  },
};
