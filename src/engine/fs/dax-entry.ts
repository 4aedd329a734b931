/**
 * DAX entries: how fs/dax.c encodes what a file's XArray holds for a DAX file.
 *
 * Conventions in this file:
 *   entry - an XArray value entry v = (pfn << DAX_SHIFT) | flags. In our XArray a value entry
 *           is the JS number v itself (xa_mk_value(v) === v).
 *   pfn   - the page frame number the entry maps (0 for empty entries).
 *
 * What this model leaves out: nothing of the encoding; the raw word (v << 1 | 1) is only shown.
 */
import { PMD_ORDER } from '../constants';
import { hex } from '../trace/steps';

export const DAX_SHIFT = 4;
export const DAX_LOCKED = 1 << 0;
export const DAX_PMD = 1 << 1;
export const DAX_ZERO_PAGE = 1 << 2;
export const DAX_EMPTY = 1 << 3;

/** Kernel: fs/dax.c dax_make_entry() */
export function dax_make_entry(pfn: number, flags: number): number {
  return pfn * 16 + flags;
}
/** Kernel: fs/dax.c dax_to_pfn() */
export function dax_to_pfn(entry: number): number {
  return Math.floor(entry / 16);
}
export function daxFlags(entry: number): number {
  return entry % 16;
}
/** Kernel: fs/dax.c dax_is_locked() */
export function dax_is_locked(entry: number): boolean {
  return (entry & DAX_LOCKED) !== 0;
}
/** Kernel: fs/dax.c dax_entry_order() */
export function dax_entry_order(entry: number): number {
  return entry & DAX_PMD ? PMD_ORDER : 0;
}
/** Kernel: fs/dax.c dax_is_pmd_entry() */
export function dax_is_pmd_entry(entry: number): boolean {
  return (entry & DAX_PMD) !== 0;
}
/** Kernel: fs/dax.c dax_is_pte_entry() */
export function dax_is_pte_entry(entry: number): boolean {
  return (entry & DAX_PMD) === 0;
}
/** Kernel: fs/dax.c dax_is_zero_entry() */
export function dax_is_zero_entry(entry: number): boolean {
  return (entry & DAX_ZERO_PAGE) !== 0;
}
/** Kernel: fs/dax.c dax_is_empty_entry() */
export function dax_is_empty_entry(entry: number): boolean {
  return (entry & DAX_EMPTY) !== 0;
}
// Entries can exceed 2^32 on large devices: JS bitwise AND keeps the low bits right for any
// safe integer, but OR would truncate, so setting and clearing use arithmetic.
export function daxLock(entry: number): number {
  return entry & DAX_LOCKED ? entry : entry + DAX_LOCKED;
}
export function daxUnlocked(entry: number): number {
  return entry & DAX_LOCKED ? entry - DAX_LOCKED : entry;
}

/** "pfn 0x100200 PMD|LOCKED" — how the view and the narration name an entry. */
export function describeDaxEntry(entry: number): string {
  const f: string[] = [];
  if (entry & DAX_PMD) f.push('PMD');
  if (entry & DAX_ZERO_PAGE) f.push('ZERO_PAGE');
  if (entry & DAX_EMPTY) f.push('EMPTY');
  if (entry & DAX_LOCKED) f.push('LOCKED');
  const kind = entry & DAX_EMPTY ? 'empty' : entry & DAX_ZERO_PAGE ? 'zero' : 'data';
  return `${kind} ${entry & DAX_PMD ? 'PMD' : 'PTE'} entry${entry & DAX_EMPTY ? '' : ` pfn ${hex(dax_to_pfn(entry))}`}${f.length ? ' [' + f.join('|') + ']' : ''}`;
}

/** Decoded form for the view. */
export function decodeDaxEntry(entry: number): { pfn: number; pmd: boolean; zero: boolean; empty: boolean; locked: boolean } {
  return {
    pfn: dax_to_pfn(entry),
    pmd: dax_is_pmd_entry(entry),
    zero: dax_is_zero_entry(entry),
    empty: dax_is_empty_entry(entry),
    locked: dax_is_locked(entry),
  };
}
