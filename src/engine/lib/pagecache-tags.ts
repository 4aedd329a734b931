/**
 * Page-cache names for the three XArray marks (include/linux/fs.h).
 *
 * Conventions in this file:
 *   tag  - the page cache's word for an XArray mark; the numbers are the XA_MARK_n values.
 *
 * What this model leaves out: nothing; these are plain constants.
 */
import { XA_MARK_0, XA_MARK_1, XA_MARK_2, type XaMark } from './xarray.ts';

/** The folio (or DAX entry) has data newer than the media. */
export const PAGECACHE_TAG_DIRTY: XaMark = XA_MARK_0;
/** Writeback of the folio is in flight (never used by DAX). */
export const PAGECACHE_TAG_WRITEBACK: XaMark = XA_MARK_1;
/** The entry was dirty when a data-integrity sync started and must be written by it. */
export const PAGECACHE_TAG_TOWRITE: XaMark = XA_MARK_2;
