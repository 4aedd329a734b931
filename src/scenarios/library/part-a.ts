/**
 * Guided library, part A: DAX basics, holes, write faults, PMD faults, dirty tracking and
 * MAP_SYNC. Tours in the scenario language (see ./types.ts and docs/scenario-language.md); the
 * stories each tour promises are checked against the engine in ./part-a.test.ts.
 */
import type { TourDef } from './types';

export const PART_A: TourDef[] = [
  {
    name: "dax-direct",
    title: "DAX: loads, stores, read and write go straight to pmem",
    summary: "The successor of XIP: write(2) and read(2) copy to and from pmem, a load maps the pmem block itself, i_pages holds a value entry naming its PFN, and no DRAM page is used. Run pagecache-twin next to compare.",
    topics: ["xip-direct", "pagecache-vs-dax"],
    text: `machine dax=always platform=adr pmd=on

## From XIP to DAX
> XIP (execute in place, ext2 -o xip since 2.6.13) let ext2 on memory-like block devices, such as s390 shared memory segments, map their pages straight into user space. DAX replaced it in Linux 4.0 with the same goal: direct access with little change to the filesystem. Create f on a dax=always mount.
create f

## write(2) and read(2)
> write(2) goes to dax_iomap_rw: XFS allocates a block, zeroes it, and the bytes are copied into pmem with non-temporal stores that bypass the CPU cache. Files and extents: one block, 512. No page-cache page in Memory (pfn 0x0 is the zero page), and XArray stays empty.
A: write f 0 "hello"
> read(2) copies straight from pmem to the user buffer. Still no entry.
A: read f 0 5

## A load maps pmem itself
> A maps f. Compare with pagecache-twin, which runs these same steps on dax=never. This 1 MiB mapping cannot take a 2 MiB (PMD) fault: each fault first tries one and falls back (Call path).
A: mmap f 1M as m
> The read fault maps the block itself: the PTE holds pmem pfn 0x40200 (Page tables), and i_pages gets a value entry that names that PFN, not a pointer to a DRAM folio. The load reads pmem directly.
A: load m 5

## A store and fsync
> The store makes the PTE writable and tags the entry DIRTY. The byte lands in the CPU cache, on its way to pmem: there is no copy to write back.
A: store m+8 "!"
> fsync makes the PTE read-only again, writes the one dirty cache line back (CLWB) and forces the log. Compare: on dax=never, fsync copies a whole page to the device.
A: fsync f
`,
  },
  {
    name: "pagecache-twin",
    title: "The same steps through the page cache (dax=never)",
    summary: "The steps of dax-direct on a dax=never mount: a DRAM folio with a pointer entry, PG_dirty, a PTE to DRAM, and an fsync that copies the page to the device.",
    topics: ["pagecache-vs-dax", "dirty-fsync"],
    text: `machine dax=never platform=adr

## The page cache
> The same steps as dax-direct, on a dax=never mount: every file goes through the page cache in DRAM. Create f.
create f

## write(2) and read(2)
> write(2) allocates a DRAM page (Memory), adds it to i_pages as a pointer entry (XArray), copies the bytes into it and sets PG_dirty (struct page) and the DIRTY mark. No data reaches the device. (Files and extents shows an unwritten block: XFS would only reserve one here, delayed allocation; the model allocates it now.)
A: write f 0 "hello"
> read(2) is a page-cache hit: it copies from the DRAM page.
A: read f 0 5

## A load maps the DRAM copy
> A maps f.
A: mmap f 1M as m
> The read fault maps the page-cache folio: the PTE holds a DRAM pfn. DAX would map the pmem block itself.
A: load m 5

## A store and writeback
> The store goes through ->page_mkwrite and the PTE becomes writable. The byte lands in DRAM.
A: store m+8 "!"
> fsync writes the dirty folio back: TOWRITE, then PG_writeback (mark 1, never used by DAX), a 4 KiB copy from DRAM to the device, and the unwritten extent becomes written. DAX only flushed one cache line here.
A: fsync f
`,
  },
  {
    name: "read-hole",
    title: "DAX read fault on a hole maps the shared zero page",
    summary: "Loads from a file range with no blocks: nothing is allocated, each PTE points at the shared zero page and i_pages gets ZERO_PAGE entries; read(2) of a hole adds no entry.",
    topics: ["hole-zero-page"],
    text: `machine dax=always pmd=on

## A file of holes
> Create an empty file f on a DAX filesystem (mount -o dax=always).
create f
> Grow f to 1 MiB. Truncate only sets i_size: no block is allocated, the whole range is a hole. Files and extents stays empty.
truncate f 1M

## A read fault on a hole
> Process A maps f shared. Nothing is mapped yet; pages come in at the first access.
A: mmap f 1M as m
> A reads page 0. The CPU faults. DAX first tries a 2 MiB fault, which falls back: this 1 MiB mapping is not 2 MiB-aligned and too small (Call path names the first check that fails). The 4 KiB fault asks XFS for the block (->iomap_begin) and gets IOMAP_HOLE. For a read, dax_load_hole maps the shared zero page read-only: watch Page tables (pfn 0x0) and XArray (i_pages, the file's page index, gets a ZERO_PAGE value entry). No block, no DRAM copy.
A: load m+0

## The same zero page again
> A reads page 5: another hole, a second ZERO_PAGE entry in i_pages (the head becomes a node), and a second PTE to the very same zero page.
A: load m+20K
> Page 0 again: the PTE is present, the CPU reads without faulting. Call path shows no kernel code.
A: load m+0

## read(2) of a hole
> read(2) goes through dax_iomap_rw: ->iomap_begin answers HOLE (Call path) and zeros are copied to the user. read(2) never adds XArray entries. Each iomap answer carries a length, so the filesystem tells DAX how large the hole is; seed 001 (2016) is ext2 learning to do that.
A: read f 64K 16
`,
  },
  {
    name: "hole-then-write",
    title: "A write replaces the zero page",
    summary: "Two processes map a hole through the zero page; a store allocates a block and unmaps the zero page from both; write(2) over a zero entry deletes it.",
    topics: ["hole-zero-page", "write-fault"],
    text: `machine dax=always pmd=on

## Two readers of a hole
> Create f and grow it to 1 MiB of holes.
create f
> Truncate sets the size only; no blocks.
truncate f 1M
> A maps f shared.
A: mmap f 1M as a
> B maps it too.
B: mmap f 1M as b
> A reads page 0: dax_load_hole stores a ZERO_PAGE entry and maps the zero page read-only.
A: load a
> B reads page 0: the ZERO_PAGE entry is found and B's PTE points at the same zero page.
B: load b

## A write replaces the zero page
> A stores to page 0. The zero-page PTE is read-only, so this is a write fault. XFS allocates a block and zeroes it (IOMAP_F_NEW). dax_insert_entry sees the old entry is a zero entry: it calls unmap_mapping_pages, which removes the zero-page PTE from EVERY process (watch B's PTE vanish), and stores a data entry with the block's PFN, tagged DIRTY. A's PTE maps the block writable.
A: store a "new data"
> B reads again. Its PTE is gone, so B faults and gets the real block, read-only: it sees A's bytes (still in the CPU cache, which is coherent).
B: load b 8

## write(2) over a zero entry
> B reads page 3: one more ZERO_PAGE entry.
B: load b+12K
> write(2) to page 3 allocates a block. Before copying, DAX calls invalidate_inode_pages2_range: the clean zero entry is deleted and B's zero-page PTE is unmapped, so no one keeps seeing zeros.
A: write f 12K "via write"
> B faults again and maps the new block.
B: load b+12K 9
`,
  },
  {
    name: "write-fsync",
    title: "DAX write fault allocates a block; fsync flushes the CPU cache",
    summary: "A store into a hole allocates and zeroes a block, tags the entry DIRTY; fsync tags it TOWRITE, writes the cache lines back and cleans it; the next store write-faults and re-dirties it.",
    topics: ["write-fault", "dirty-fsync"],
    text: `machine dax=always platform=adr pmd=on

## An empty mapping
> Create an empty file f on the DAX filesystem.
create f
> Grow f to 1 MiB: all holes.
truncate f 1M
> Process A maps f shared, read-write. This 1 MiB mapping cannot take 2 MiB faults, so every fault ends as a 4 KiB (PTE) fault.
A: mmap f 1M as m

## A write fault allocates
> A stores "hello" at offset 0. The write fault asks XFS for the block with IOMAP_WRITE: XFS allocates one block, zeroes it (so stale data never shows) and answers IOMAP_F_NEW, so the fault counts as major. dax_insert_entry stores a value entry holding the block's PFN, tagged DIRTY (mark 0), and the PTE is writable. The bytes sit in the CPU cache: not durable yet.
A: store m+0 "hello"

## fsync
> fsync: tag_pages_for_writeback copies DIRTY to TOWRITE (mark 2), then dax_writeback_one write-protects the PTE, flushes the entry's cache lines with CLWB, and clears both marks. Then the log is forced. Now "hello" and the block mapping are durable.
A: fsync f

## The next store is tracked again
> A stores again. The PTE is read-only since writeback, so this is a write-protect fault (->page_mkwrite): DAX marks the entry DIRTY again and makes the PTE writable. No block is allocated.
A: store m+64 "again"
> A store to the same page now: the PTE is writable, no fault, nothing in the kernel runs; the entry stays DIRTY.
A: store m+128 "more"
> A second fsync flushes the dirty lines; the entry is clean again.
A: fsync f
`,
  },
  {
    name: "msync-dirty",
    title: "msync: MS_ASYNC does nothing, MS_SYNC writes back a range",
    summary: "Two DIRTY entries; msync MS_ASYNC changes nothing, msync MS_SYNC of one page writes back only that entry, fsync writes back the rest.",
    topics: ["dirty-fsync"],
    text: `machine dax=always platform=adr pmd=on

## Two dirty pages
> Create f with 1 MiB of holes.
create f
> Grow it; no blocks yet.
truncate f 1M
> A maps it shared (4 KiB faults only).
A: mmap f 1M as m
> A store allocates page 0: its entry is tagged DIRTY (mark 0 in XArray).
A: store m "page 0"
> A store allocates page 2: a second DIRTY entry. Both lines wait in the CPU cache.
A: store m+8K "page 2"

## msync(MS_ASYNC)
> msync with MS_ASYNC returns at once: since Linux 2.6.19 it starts no writeback, and even background writeback (WB_SYNC_NONE) skips DAX in dax_writeback_mapping_range. Marks, PTEs and cache lines do not change.
A: msync m 1M async

## msync(MS_SYNC) on one page
> msync MS_SYNC of the first 4 KiB calls vfs_fsync_range for that range only: page 0 is tagged TOWRITE (mark 2), written back (PTE made read-only, line flushed with CLWB), and cleaned. Page 2 keeps DIRTY and its dirty line.
A: msync m 4K

## Re-dirtying and fsync
> A writes page 0 again: a write-protect fault (->page_mkwrite) marks the entry DIRTY again.
A: store m+16 "again"
> fsync covers the whole file: both DIRTY entries get TOWRITE, both are written back, all marks clear.
A: fsync f
`,
  },
  {
    name: "pmd-fault",
    title: "A PMD (2 MiB) fault: huge zero page, 2 MiB block, one entry",
    summary: "A 2 MiB read of a hole maps the huge zero page; a store allocates 2 MiB and maps it with one PMD; a 4 KiB fault inside keeps the PMD entry; fsync writes back all 2 MiB.",
    topics: ["pmd-fault", "write-fault"],
    text: `machine dax=always platform=adr pmd=on

## A 2 MiB mapping
> Create f and grow it to 4 MiB of holes.
create f
> Truncate allocates nothing.
truncate f 4M
> A maps all 4 MiB. The mapping holds at least one whole 2 MiB of the file, so XFS's get_unmapped_area (thp_get_unmapped_area) picks an address at the same offset inside 2 MiB as the file offset: here 2 MiB-aligned, so PMD faults are possible.
A: mmap f 4M as a

## A PMD read fault on a hole
> A reads offset 0. The PMD is empty, so the core MM calls ->huge_fault first: dax_iomap_pmd_fault. XFS reports a hole covering the whole 2 MiB, so dax_pmd_load_hole maps the huge zero page (allocated on first use: DRAM pfn 0x200 in Memory) with one read-only PMD. i_pages gets one ZERO_PAGE|PMD entry: slot 0 plus 7 sibling slots cover indices 0-511.
A: load a

## A PMD write fault
> A writes at 8 KiB. The huge zero PMD is read-only, so the write fault goes to ->huge_fault again. XFS allocates 512 blocks, 2 MiB-aligned on the device, and zeroes them. dax_insert_entry unmaps the huge zero page, replaces the entry with a data PMD entry (one PFN, 0x40200, for 2 MiB), tags it DIRTY, and one writable PMD maps it all.
A: store a+8K "big"

## A 4 KiB fault inside it
> B maps 1 MiB at file offset 1 MiB: no aligned 2 MiB fits inside this VMA, so B's PMD attempts will fall back.
B: mmap f 1M offset=1M as b
> B writes. The 4 KiB fault finds the data PMD entry and keeps it (PTE faults do not split data PMD entries); B's PTE maps one 4 KiB piece of the same 2 MiB block.
B: store b+4K "pte"

## Writeback of a PMD entry
> fsync writes back the PMD entry as a whole: both the PMD and B's PTE are write-protected and all 2 MiB are flushed (dax_writeback_one, pglen 512).
A: fsync f
> A writes again: the PMD is read-only after writeback, so the fault marks the PMD entry DIRTY again and makes the PMD writable.
A: store a+1M "again"
`,
  },
  {
    name: "pmd-fallback",
    title: "PMD faults that fall back: entries and mapping shapes",
    summary: "One fault per reason: PTE entries in the range, past the end of the file, address and offset out of step, 2 MiB before or after the VMA, and a write to a private mapping.",
    topics: ["pmd-fault"],
    text: `machine dax=always pmd=on

## Setup
> Create f, 7 MiB of holes. Each load or store below faults, tries a PMD (dax_iomap_pmd_fault) and falls back to 4 KiB: read the reason in Narration and Call path.
create f
> Grow f to 7 MiB.
truncate f 7M

## PTE entries in the range
> B maps 1 MiB at offset 2 MiB.
B: mmap f 1M offset=2M as b
> B reads: a 4 KiB ZERO_PAGE entry at index 512.
B: load b
> A maps 8 MiB, 2 MiB-aligned (longer than the file).
A: mmap f 8M as a
> A writes at 2 MiB. grab_mapping_entry finds B's 4 KiB entry inside 512-1023: PTE entries win, VM_FAULT_FALLBACK. The 4 KiB retry allocates a block and replaces the zero entry: B's zero-page PTE goes.
A: store a+2M "pte"

## Past the end of the file
> A reads at 6 MiB: the 2 MiB at 6-8 MiB would pass the end of the file (7 MiB).
A: load a+6M

## Misfit mappings
> C maps f at a fixed address 4 KiB past a 2 MiB boundary.
C: mmap f 4M addr=0x7f0000001000 as c
> C reads: file offset and address sit at different places inside 2 MiB, no PMD can map both.
C: load c
> D maps 2 MiB at file offset 4 KiB.
D: mmap f 2M offset=4K as d
> D reads: the aligned 2 MiB would start before the VMA.
D: load d
> E maps 3 MiB.
E: mmap f 3M as e
> E reads at 2 MiB: the 2 MiB would pass the end of the VMA.
E: load e+2M

## A private write
> P maps 2 MiB at 4 MiB privately.
P: mmap f 2M offset=4M private as p
> P writes: a write to a private mapping falls back; do_cow_fault copies the page into DRAM.
P: store p "mine"
`,
  },
  {
    name: "pmd-fallback-space",
    title: "PMD faults that fall back: memory and extents",
    summary: "No DRAM for the huge zero page, an extent shorter than 2 MiB, and an extent whose pfn is not 2 MiB-aligned: each makes the PMD fault fall back.",
    topics: ["pmd-fault"],
    text: `machine dax=always dram=2M pmd=on

## No huge zero page
> This machine has 2 MiB of DRAM and its first page is the zero page, so there is no room for the 2 MiB huge zero folio. Create f.
create f
> Grow f to 4 MiB of holes.
truncate f 4M
> A maps it, 2 MiB-aligned.
A: mmap f 4M as m
> A reads a hole: dax_pmd_load_hole cannot get the huge zero folio (dax_pmd_load_hole_fallback). The EMPTY|PMD entry stays; the 4 KiB retry removes it and maps the 4 KiB zero page.
A: load m

## A short extent
> write(2) puts one block at file page 515.
write f 2060K "x"
> A writes at 2 MiB. XFS fills only the hole before page 515 (3 blocks): the extent is shorter than 2 MiB, so the fault falls back and the 4 KiB retry maps one block.
A: store m+2M "short"

## A misaligned extent
> Create g.
create g
> g gets 4 MiB of data on 2 MiB-aligned blocks.
write g 0 fill=0x1 len=4M
> Create h.
create h
> reflink shares g's blocks with h at 4 KiB later: h's pages sit one block off 2 MiB alignment.
reflink g 0 h 4K 4092K
> B maps h.
B: mmap h 4M as hm
> B reads at 2 MiB: the extent covers the 2 MiB, but its first pfn is not 2 MiB-aligned, so dax_iomap_direct_access refuses the PMD.
B: load hm+2M
`,
  },
  {
    name: "pmd-off",
    title: "With PMD faults off, every fault is 4 KiB",
    summary: "On pmd=off no 2 MiB fault is tried: each store takes a 4 KiB fault, its own block and its own entry.",
    topics: ["pmd-fault"],
    text: `machine dax=always pmd=off

## No huge faults
> pmd=off: a kernel built without transparent huge pages (so no CONFIG_FS_DAX_PMD), or a VMA with MADV_NOHUGEPAGE. Setting THP to never in sysfs does not stop DAX PMD faults. Create f.
create f
> Grow f to 4 MiB.
truncate f 4M

## The same aligned mapping
> A maps 4 MiB. The address happens to be 2 MiB-aligned (Page tables), so only pmd=off stops a PMD here.
A: mmap f 4M as a
> A writes: no ->huge_fault, only a 4 KiB fault. One block is allocated, one PTE entry.
A: store a "small"

## Many small entries
> A second store 1 MiB later: another fault, block and entry. pmd-fault maps this with one PMD.
A: store a+1M "again"
`,
  },
  {
    name: "map-sync",
    title: "MAP_SYNC: the fault commits the metadata, the CPU flushes the data",
    summary: "A store into a hole of a MAP_SYNC mapping returns VM_FAULT_NEEDDSYNC; dax_finish_sync_fault forces the log before the PTE becomes writable. After a power failure only the line flushed with CLWB survives.",
    topics: ["map-sync", "power-failure"],
    text: `machine dax=always platform=adr pmd=on

## A MAP_SYNC mapping
> Create f, 1 MiB of holes.
create f
> Grow it; no blocks.
truncate f 1M
> A maps f with MAP_SHARED_VALIDATE|MAP_SYNC (sync, Linux 4.15). Only a DAX file accepts it: VM_SYNC is set on the VMA.
A: mmap f 1M sync as m

## The synchronous fault
> A stores into a hole. XFS allocates a block; its metadata is not in the log yet, so the iomap carries IOMAP_F_DIRTY. DAX stores the entry but installs no PTE and does not tag it DIRTY: it returns VM_FAULT_NEEDDSYNC. XFS then calls dax_finish_sync_fault: vfs_fsync_range forces the log (the block allocation is now durable), and dax_insert_pfn_mkwrite tags DIRTY and installs the writable PTE.
A: store m "log record"
> A second store to the same page: the PTE is writable, no fault, no fsync.
A: store m+64 "more"

## Data needs a CPU flush
> The metadata is safe, but both stores sit in the CPU cache. On ADR the cache is lost at power failure. A flushes its first line itself (CLWB + SFENCE, like pmem_persist), with no system call.
A: flush m 64

## Power failure
> Power fails. ADR drains only the memory controller: the unflushed line is lost.
crash
> The first record survived: the block mapping was committed by the fault, the data by the flush.
read f 0 10
> The second store never reached the media: zeros.
read f 64 4
`,
  },
];
