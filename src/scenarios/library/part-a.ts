/**
 * Guided library, part A: tours in the scenario language (see ./types.ts and docs/scenario-language.md).
 */
import type { TourDef } from './types';

export const PART_A: TourDef[] = [
  {
    name: "read-hole",
    title: "DAX read fault on a hole maps the shared zero page",
    summary: "A load from a file range with no blocks: no block is allocated, the PTE points at the zero page and i_pages gets a ZERO_PAGE entry.",
    topics: ["hole-zero-page"],
    text: `> Create an empty file f on the DAX (dax=always) filesystem.
create f
> Grow f to 1 MiB with truncate: the new range is a hole, no block is allocated.
truncate f 1M
> Process A maps the whole file shared. A mapping of 1 MiB cannot hold a 2 MiB page, so every fault here is a 4 KiB (PTE) fault.
A: mmap f 1M as m
> A reads the first page. The page table is empty, so the CPU faults; the filesystem finds a hole, and for a read DAX maps the shared zero page instead of allocating a block.
A: load m+0
> A reads page 5: another hole, another ZERO_PAGE entry in i_pages, and a second PTE pointing at the same zero page.
A: load m+20K
> Reading page 0 again needs no fault: the PTE is already there. Nothing in the kernel runs.
A: load m+0
`,
  },
  {
    name: "write-fsync",
    title: "DAX write fault allocates a block; fsync flushes the CPU cache",
    summary: "A store into a hole allocates and zeroes a block, tags the entry DIRTY; fsync tags it TOWRITE, writes the cache lines back and cleans it.",
    topics: ["write-fault","dirty-fsync"],
    text: `> Create an empty file f on the DAX filesystem.
create f
> Grow f to 1 MiB: all holes.
truncate f 1M
> Process A maps f shared, read-write (4 KiB faults only).
A: mmap f 1M as m
> A stores "hello" at offset 0. The write fault allocates a block (zeroed first, so stale data never shows), inserts a DAX entry marked DIRTY, and maps the block writable. The bytes sit in the CPU cache: not durable yet.
A: store m+0 "hello"
> fsync: DIRTY entries are tagged TOWRITE, each is written back (its PTEs are write-protected and its cache lines flushed with CLWB), and the tags are cleared. Now "hello" is on the media.
A: fsync f
> A stores again. The PTE was made read-only by writeback, so this is a write-protect fault: DAX marks the entry DIRTY again and makes the PTE writable. No block is allocated.
A: store m+64 "again"
> A second fsync flushes the new cache line; the entry is clean again.
A: fsync f
`,
  },
  {
    name: "pmd-fallback",
    title: "A PMD (2 MiB) fault, and one that falls back to 4 KiB",
    summary: "A 2 MiB-aligned store takes a PMD fault with one 2 MiB entry; in the next 2 MiB a 4 KiB entry already exists, so the PMD fault falls back.",
    topics: ["pmd-fault"],
    text: `> Create file f.
create f
> Grow f to 4 MiB of holes.
truncate f 4M
> Process B maps 1 MiB of f starting at 2 MiB: a small mapping, so B only takes 4 KiB faults.
B: mmap f 1M offset=2M as mb
> B reads file page 512: a 4 KiB zero-page entry now sits at index 512 of i_pages.
B: load mb+0
> Process A maps all 4 MiB; the kernel places the mapping 2 MiB-aligned.
A: mmap f 4M as ma
> A writes at offset 0. The fault comes in at PMD level: the filesystem allocates 2 MiB of aligned blocks, DAX stores one PMD entry covering indices 0-511, and one PMD maps all of it.
A: store ma+0 "pmd"
> A writes at 2 MiB. The PMD fault finds B's 4 KiB entry in the range: it cannot store a PMD entry over it, so it returns VM_FAULT_FALLBACK and the fault is retried as a 4 KiB fault.
A: store ma+2M "pte"
`,
  },
];
