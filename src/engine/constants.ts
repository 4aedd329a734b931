/**
 * Constants of the modelled machine: x86-64 with 4 KiB pages (see ../shared/kernel-model.md §1).
 * Names are the kernel's.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PMD_SHIFT = 21;
export const PMD_SIZE = 1 << PMD_SHIFT;
export const PMD_ORDER = PMD_SHIFT - PAGE_SHIFT; // 9
export const PG_PMD_NR = 1 << PMD_ORDER; // 512 pages per PMD
export const PG_PMD_COLOUR = PG_PMD_NR - 1; // 511
export const CACHELINE_SIZE = 64;
export const SIZEOF_STRUCT_PAGE = 64;

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
